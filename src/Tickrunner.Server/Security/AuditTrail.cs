using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Security;

/// <summary>
/// Records every state-changing API request (POST, PUT, PATCH, DELETE under <c>/api</c>), refused ones included, after
/// its response: the key's name, the action (method and route), its target (the route's id or name, or what a create
/// answered with in Location), the status and the outcome. Written before the next request on the connection, so a client
/// that saw its response finds the row.
/// </summary>
internal sealed class AuditTrail(AuditRepository audit, ILogger<AuditTrail> log, TimeProvider clock)
{
    private static readonly object CallerKey = new();

    /// <summary>Names the caller of a request that authenticates itself in its body (a login).</summary>
    public static void NameCaller(HttpContext context, string? keyName)
    {
        if (keyName is not null) context.Items[CallerKey] = keyName;
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        // Only requests to an endpoint: a flood of posts to made-up paths (answered 404 or 401) writes nothing.
        if (ScopeRequirement.IsSafe(request.Method) || !request.Path.StartsWithSegments("/api") || context.GetEndpoint() is null)
        {
            await next(context);
            return;
        }
        var status = StatusCodes.Status500InternalServerError;
        try
        {
            await next(context);
            status = context.Response.StatusCode;
        }
        finally
        {
            Record(context, status);
        }
    }

    private void Record(HttpContext context, int status)
    {
        var request = context.Request;
        var pattern = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        var action = Cut($"{request.Method} {(pattern is null ? request.Path.Value : "/" + pattern.Trim('/'))}")!;
        var target = TargetOf(context);
        var outcome = status switch
        {
            < 400 => "ok",
            StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => "denied",
            < 500 => "refused",
            _ => "failed",
        };
        var key = context.User.KeyName() ?? context.Items[CallerKey] as string;
        try
        {
            audit.Append(new AuditEntry(0, clock.GetUtcNow().ToUnixTimeMilliseconds(), key, context.Connection.RemoteIpAddress?.ToString(),
                request.Method, action, target, status, outcome));
        }
        catch (Exception e)
        {
            // The request has been answered; a failed audit write is loud in the log rather than an error for the caller.
            log.LogError(e, "Could not write the audit row for {Action} ({Status})", action, status);
        }
    }

    private static string? TargetOf(HttpContext context)
    {
        var values = context.Request.RouteValues;
        foreach (var name in (string[])["id", "name", "symbol"])
            if (values.TryGetValue(name, out var value) && value is not null) return Cut(value.ToString());
        var location = context.Response.Headers.Location.ToString();
        return location.Length > 0 ? Cut(Uri.UnescapeDataString(location[(location.LastIndexOf('/') + 1)..])) : null;
    }

    private static string? Cut(string? text) => text is { Length: > 200 } ? text[..200] : text;
}
