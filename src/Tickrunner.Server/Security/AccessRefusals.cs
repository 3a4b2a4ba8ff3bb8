using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Net.Http.Headers;

namespace Tickrunner.Server.Security;

/// <summary>
/// Turns a refused request into problem+json that says what is missing: 401 with no or a bad credential (and
/// <c>WWW-Authenticate: Bearer</c>), 403 when the key's scope is too small or a session's CSRF token is missing.
/// </summary>
internal sealed class AccessRefusals : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Succeeded) return _default.HandleAsync(next, context, policy, result);
        var failure = result.AuthorizationFailure?.FailureReasons.OfType<ScopeFailure>().FirstOrDefault();
        var request = context.Request;
        var authenticated = context.User.Identity?.IsAuthenticated == true;
        if (result.Challenged || !authenticated)
        {
            // A challenge carries no failure reasons (the policy evaluator drops them); the policy says what is needed.
            var needed = policy.Requirements.OfType<ScopeRequirement>().FirstOrDefault()?.For(request.Method) ?? ApiScope.Read;
            var why = AccessAuthenticationHandler.FailureOf(context);
            var detail = (why is null ? "No API key was sent. " : why + " ")
                + $"{request.Method} {request.Path} needs a key with the '{needed.Name()}' scope: send 'Authorization: Bearer <key>'"
                + (request.Path.StartsWithSegments("/ws") ? ", add ?access_token=<key>," : "")
                + " or log in to the dashboard. Keys are made with: dotnet run --project src/Tickrunner.Cli -- keys create --name NAME --scope "
                + needed.Name() + " --data DIR (DIR: the server's Tickrunner:DataDirectory).";
            context.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
            return TypedResults.Problem(detail, request.Path, StatusCodes.Status401Unauthorized, "Unauthorized",
                extensions: new Dictionary<string, object?> { ["required_scope"] = needed.Name() }).ExecuteAsync(context);
        }
        return TypedResults.Problem(failure?.Message ?? "This key may not do that.", request.Path, StatusCodes.Status403Forbidden,
            failure?.Csrf == true ? (failure.CsrfSent ? "CSRF token invalid" : "CSRF token missing") : "Forbidden",
            extensions: new Dictionary<string, object?> { ["required_scope"] = (failure?.Needed ?? ApiScope.Admin).Name() }).ExecuteAsync(context);
    }
}
