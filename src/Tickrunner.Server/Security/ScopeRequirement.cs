using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authorization;

namespace Tickrunner.Server.Security;

/// <summary>
/// The scope an endpoint needs: <see cref="Safe"/> for GET and HEAD (and the WebSocket), <see cref="Unsafe"/> for what
/// changes state. A dashboard session's state-changing request must also carry its CSRF token.
/// </summary>
public sealed class ScopeRequirement(ApiScope safe, ApiScope @unsafe) : IAuthorizationRequirement
{
    /// <summary>For reading.</summary>
    public ApiScope Safe { get; } = safe;

    /// <summary>For changing.</summary>
    public ApiScope Unsafe { get; } = @unsafe;

    /// <summary>What a request with that method needs.</summary>
    public ApiScope For(string method) => IsSafe(method) ? Safe : Unsafe;

    /// <summary>GET, HEAD and OPTIONS change nothing.</summary>
    public static bool IsSafe(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);
}

/// <summary>Why a request was refused: the scope missing, or the CSRF token.</summary>
internal sealed class ScopeFailure(IAuthorizationHandler handler, string message, ApiScope needed, bool csrf)
    : AuthorizationFailureReason(handler, message)
{
    public ApiScope Needed { get; } = needed;
    public bool Csrf { get; } = csrf;
    public bool CsrfSent { get; init; }
}

/// <summary>Grants a <see cref="ScopeRequirement"/> when keys are not asked for, or to a caller whose scope covers it.</summary>
internal sealed class ScopeRequirementHandler(AccessControl access) : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (!access.Enabled)
        {
            context.Succeed(requirement);
            return Task.CompletedTask;
        }
        var http = context.Resource as HttpContext;
        var method = http?.Request.Method ?? HttpMethods.Get;
        var needed = requirement.For(method);
        var scope = context.User.Scope();
        if (scope is null)
        {
            // Nobody known: a challenge (401), whose text AccessRefusals takes from the policy; a reason would be dropped.
            context.Fail();
            return Task.CompletedTask;
        }
        if (scope < needed)
        {
            context.Fail(new ScopeFailure(this,
                $"The key '{context.User.KeyName()}' has the '{scope.Value.Name()}' scope; {method} {http?.Request.Path} needs '{needed.Name()}'.",
                needed, csrf: false));
            return Task.CompletedTask;
        }
        // A session cookie rides along with any request the browser makes; the token proves the page itself sent it.
        if (http is not null && !ScopeRequirement.IsSafe(method)
            && context.User.FindFirst(AccessAuthenticationHandler.CsrfClaim)?.Value is { } csrf
            && http.Request.Headers[AccessAuthenticationHandler.CsrfHeader].ToString() is var sent
            && !SameToken(sent, csrf))
        {
            context.Fail(new ScopeFailure(this, sent.Length == 0
                ? $"A state-changing request made with the session cookie must carry the session's CSRF token in the {AccessAuthenticationHandler.CsrfHeader} header (GET /api/auth/session gives it)."
                : $"The {AccessAuthenticationHandler.CsrfHeader} header is not this session's CSRF token (a token of an earlier session?); GET /api/auth/session gives the current one.",
                needed, csrf: true) { CsrfSent = sent.Length > 0 });
            return Task.CompletedTask;
        }
        context.Succeed(requirement);
        return Task.CompletedTask;
    }

    private static bool SameToken(string sent, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(expected));
}
