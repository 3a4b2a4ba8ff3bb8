using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Engine.Strategies;
using Tickrunner.Server.Common;

namespace Tickrunner.Server.Api;

/// <summary>RFC 7807 problem results with a <c>detail</c> a person can act on and, for validation, errors by field.</summary>
internal static class Problems
{
    /// <summary>The problem a service's refusal maps to.</summary>
    public static ProblemHttpResult From(ServiceException e) => e switch
    {
        InvalidRequestException invalid => Invalid(invalid.Errors),
        NotFoundException => NotFound(e.Message),
        ConflictException => Conflict(e.Message),
        UnavailableException => Unavailable(e.Message),
        InvalidStrategyException strategy => InvalidStrategy(strategy.Name, strategy.Diagnostics),
        UnprocessableException unprocessable => TypedResults.Problem(e.Message, statusCode: StatusCodes.Status422UnprocessableEntity,
            title: unprocessable.Title, extensions: unprocessable.Extensions),
        TooManyRequestsException => TypedResults.Problem(e.Message, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests"),
        NotAvailableException => TypedResults.Problem(e.Message, statusCode: StatusCodes.Status501NotImplemented, title: "Not available in this mode"),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e, "A service exception without a problem."),
    };

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");

    public static ProblemHttpResult PayloadTooLarge(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large");

    public static ProblemHttpResult Unavailable(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable");

    /// <summary>400 with <c>errors</c> keyed by field.</summary>
    public static ProblemHttpResult Invalid(IReadOnlyDictionary<string, string> errors) =>
        TypedResults.Problem(
            detail: string.Join(" ", errors.Values),
            statusCode: StatusCodes.Status400BadRequest,
            title: "Invalid request",
            extensions: new Dictionary<string, object?> { ["errors"] = errors.ToDictionary(e => e.Key, e => new[] { e.Value }) });

    /// <summary>422 for Lua code that does not load: <c>errors.code</c> as "line:column: message" and the diagnostics themselves.</summary>
    public static ProblemHttpResult InvalidStrategy(string name, IReadOnlyList<LuaDiagnostic> diagnostics) =>
        TypedResults.Problem(
            detail: $"Strategy '{name}' has {diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error)} error(s): "
                + string.Join("; ", diagnostics.Select(d => $"line {d}")),
            statusCode: StatusCodes.Status422UnprocessableEntity,
            title: "Invalid Lua strategy",
            extensions: new Dictionary<string, object?>
            {
                ["errors"] = new Dictionary<string, string[]> { ["code"] = diagnostics.Select(d => d.ToString()).ToArray() },
                ["diagnostics"] = diagnostics,
            });
}
