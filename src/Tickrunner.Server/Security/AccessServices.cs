using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Tickrunner.Server.Security;

/// <summary>Registers who-may-do-what and attaches scopes to endpoints.</summary>
public static class AccessServices
{
    /// <summary>API keys, sessions, the scope checks, the audit trail, bound from <c>Tickrunner:Auth</c>.</summary>
    public static IServiceCollection AddTickrunnerAccess(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AuthOptions>(configuration.GetSection("Tickrunner:Auth"));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<AccessControl>();
        services.AddSingleton<Storage.AuditRepository>();
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<IAuthorizationHandler, ScopeRequirementHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AccessRefusals>();
        services.AddAuthentication(AccessAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, AccessAuthenticationHandler>(AccessAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        return services;
    }

    /// <summary>Requires <paramref name="safe"/> to read (GET, HEAD, the WebSocket) and <paramref name="unsafe"/> to change, when keys are asked for.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, ApiScope safe, ApiScope @unsafe) where TBuilder : IEndpointConventionBuilder =>
        // No scheme named on the policy: the authentication middleware's result (the default scheme) is used as it is,
        // rather than authenticated a second time and merged for every request.
        builder.RequireAuthorization(new AuthorizationPolicyBuilder().AddRequirements(new ScopeRequirement(safe, @unsafe)).Build());

    /// <summary>Requires <paramref name="scope"/> for every method.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, ApiScope scope) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireScope(scope, scope);
}
