using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Tickrunner.Server.Security;

/// <summary>
/// Reads who a request is: <c>Authorization: Bearer KEY</c>, the WebSocket's <c>?access_token=KEY</c>, or the dashboard's
/// session cookie, in that order. With keys not asked for (<see cref="AccessControl.Enabled"/> false) it reads nothing.
/// </summary>
public sealed class AccessAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AccessControl access)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "Tickrunner";

    /// <summary>The dashboard's session cookie.</summary>
    public const string SessionCookie = "tickrunner_session";

    /// <summary>The header a session's state-changing request carries its CSRF token in.</summary>
    public const string CsrfHeader = "X-CSRF-Token";

    /// <summary>The claims a grant becomes.</summary>
    public const string ScopeClaim = "tickrunner:scope", KeyIdClaim = "tickrunner:key_id", ViaClaim = "tickrunner:via", CsrfClaim = "tickrunner:csrf";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!access.Enabled) return Task.FromResult(AuthenticateResult.NoResult());
        var authorization = Request.Headers.Authorization.ToString();
        // Another scheme (a proxy's Basic auth in front, say) is not ours: the cookie or query may still say who this is.
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Grant(access.VerifyKey(authorization[7..].Trim(), AccessVia.Bearer),
                "The API key in the Authorization header is not valid or has been revoked.");
        }
        if (Request.Path.StartsWithSegments("/ws") && Request.Query.TryGetValue("access_token", out var token))
            return Grant(access.VerifyKey(token.ToString(), AccessVia.Query), "The access_token is not a valid API key or has been revoked.");
        if (Request.Cookies.TryGetValue(SessionCookie, out var session) && session.Length > 0)
            return Grant(access.VerifySession(session), "The session has expired, was logged out, or its key was revoked; log in again.");
        return Task.FromResult(AuthenticateResult.NoResult());
    }

    private Task<AuthenticateResult> Grant(AccessGrant? grant, string whyNot)
    {
        if (grant is null) return Fail(whyNot);
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, grant.Key.Name),
            new(ScopeClaim, grant.Key.Scope.Name()),
            new(KeyIdClaim, grant.Key.KeyId),
            new(ViaClaim, grant.Via.ToString()),
        };
        if (grant.CsrfToken is { } csrf) claims.Add(new Claim(CsrfClaim, csrf));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    private Task<AuthenticateResult> Fail(string message)
    {
        Context.Items[FailureKey] = message; // the authentication middleware keeps no failed result; the refusal says why
        return Task.FromResult(AuthenticateResult.Fail(message));
    }

    private static readonly object FailureKey = new();

    /// <summary>Why the credential this request sent was refused, or null when it sent none.</summary>
    public static string? FailureOf(HttpContext context) => context.Items[FailureKey] as string;
}

/// <summary>Reading a request's grant back from its principal.</summary>
public static class AccessClaims
{
    /// <summary>The scope of an authenticated caller, or null.</summary>
    public static ApiScope? Scope(this ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && ApiScopes.TryParse(user.FindFirstValue(AccessAuthenticationHandler.ScopeClaim), out var scope)
            ? scope : null;

    /// <summary>The key's name of an authenticated caller, or null.</summary>
    public static string? KeyName(this ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true ? user.Identity.Name : null;
}
