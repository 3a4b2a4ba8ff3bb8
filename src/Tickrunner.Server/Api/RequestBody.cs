using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Engine.Wire;

namespace Tickrunner.Server.Api;

/// <summary>
/// Reads a JSON body with errors a client can act on: wrong content type (415), malformed JSON with line and
/// byte position (400), a body that is too large (413). Minimal-API binding would answer these with an empty 400.
/// </summary>
internal static class RequestBody
{
    /// <remarks>With <paramref name="optional"/> an empty body, or the JSON <c>null</c>, is no value and no problem.</remarks>
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, bool optional = false)
        where T : class
    {
        if (optional && (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.ContainsKey("Transfer-Encoding"))))
            return (null, null);
        if (!request.HasJsonContentType())
            return (null, TypedResults.Problem(
                $"Send the body as JSON with 'Content-Type: application/json' (got '{request.ContentType ?? "no content type"}').",
                statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type"));
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, WireJson.Options, request.HttpContext.RequestAborted);
            return value is null && !optional
                ? (null, Problems.BadRequest("The request body is empty or null; send a JSON object."))
                : (value, null);
        }
        catch (JsonException e) when (e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) && e.Message.Contains("could not be converted", StringComparison.Ordinal))
        {
            var field = path[2..];
            return (null, Problems.Invalid(new Dictionary<string, string> { [field] = $"{field} has the wrong type: {FirstSentence(e.Message)}" }));
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" + (string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" ({e.Path})") : "";
            return (null, Problems.BadRequest($"The request body is not valid JSON{where}: {FirstSentence(e.Message)}"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TypedResults.Problem($"The request body is larger than the limit of {request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes.",
                statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large"));
        }
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
