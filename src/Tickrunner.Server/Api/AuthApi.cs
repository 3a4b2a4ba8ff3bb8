using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Server.Security;

namespace Tickrunner.Server.Api;

/// <summary>Body of <c>POST /api/auth/login</c>.</summary>
public sealed record LoginRequest(string? Key);

/// <summary>Who the caller is, for the dashboard: whether keys are asked for, and if so, which key, scope and CSRF token.</summary>
public sealed record SessionResponse(bool AuthRequired, bool Authenticated, string? Name, string? Scope, string? Via, string? CsrfToken, long? ExpiresAt);

/// <summary><c>/api/auth</c>: the dashboard's login (a key for an HttpOnly session cookie), logout, and who am I.</summary>
public static class AuthApi
{
    /// <summary>Maps the auth endpoints, open to all (they are how one gets in); the group is returned for rate limits.</summary>
    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth").WithTags("Auth");
        group.MapPost("/login", Login).Accepts<LoginRequest>("application/json")
            .RequireRateLimiting(RateLimits.Login) // guessing keys is hopeless (256 bits), but each attempt costs a hash and a read
            .WithSummary("Exchange an API key for a session cookie (HttpOnly, SameSite=Strict, Secure on HTTPS)");
        group.MapPost("/logout", Logout).WithSummary("End the session at once");
        group.MapGet("/session", Session).WithSummary("Whether keys are asked for; the caller's key, scope and the session's CSRF token");
        return group;
    }

    private static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> Login(HttpContext context, AccessControl access)
    {
        var (body, problem) = await RequestBody.ReadAsync<LoginRequest>(context.Request);
        if (problem is not null) return problem;
        if (string.IsNullOrWhiteSpace(body!.Key)) return Problems.Invalid(new Dictionary<string, string> { ["key"] = "key is required: an API key made with `keys create`." });
        if (access.Login(body.Key.Trim()) is not { } created)
        {
            return TypedResults.Problem("That key is not valid or has been revoked.", context.Request.Path, StatusCodes.Status401Unauthorized,
                "Unauthorized");
        }
        var session = created.Session;
        AuditTrail.NameCaller(context, session.Key.Name);
        context.Response.Cookies.Append(AccessAuthenticationHandler.SessionCookie, created.Token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            Expires = DateTimeOffset.FromUnixTimeMilliseconds(session.ExpiresAt),
        });
        return TypedResults.Ok(new SessionResponse(access.Enabled, true, session.Key.Name, session.Key.Scope.Name(), nameof(AccessVia.Session).ToLowerInvariant(),
            session.CsrfToken, session.ExpiresAt));
    }

    private static NoContent Logout(HttpContext context, AccessControl access)
    {
        if (context.Request.Cookies.TryGetValue(AccessAuthenticationHandler.SessionCookie, out var token) && token.Length > 0)
        {
            AuditTrail.NameCaller(context, access.VerifySession(token)?.Key.Name);
            access.Logout(token);
        }
        context.Response.Cookies.Delete(AccessAuthenticationHandler.SessionCookie, new CookieOptions
        {
            HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps, Path = "/",
        });
        return TypedResults.NoContent();
    }

    private static Ok<SessionResponse> Session(HttpContext context, AccessControl access)
    {
        var required = access.Enabled;
        var user = context.User;
        if (!required) return TypedResults.Ok(new SessionResponse(false, false, null, ApiScope.Admin.Name(), null, null, null));
        if (user.Scope() is not { } scope) return TypedResults.Ok(new SessionResponse(true, false, null, null, null, null, null));
        var via = user.FindFirst(AccessAuthenticationHandler.ViaClaim)?.Value?.ToLowerInvariant();
        var csrf = user.FindFirst(AccessAuthenticationHandler.CsrfClaim)?.Value;
        long? expires = null;
        if (csrf is not null && context.Request.Cookies.TryGetValue(AccessAuthenticationHandler.SessionCookie, out var token))
            expires = access.VerifySession(token)?.ExpiresAt;
        return TypedResults.Ok(new SessionResponse(true, true, user.KeyName(), scope.Name(), via, csrf, expires));
    }
}
