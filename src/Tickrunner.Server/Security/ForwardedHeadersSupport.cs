using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Tickrunner.Server.Security;

/// <summary>ASP.NET Core's forwarded-headers middleware, configured from <see cref="TrustedProxyOptions"/>.</summary>
public static class ForwardedHeadersSupport
{
    private const string Section = TickrunnerOptions.Section + ":ForwardedHeaders";

    /// <summary>Adds the middleware when enabled; put it first, before anything reads the scheme or the client address.</summary>
    public static IApplicationBuilder UseTickrunnerForwardedHeaders(this IApplicationBuilder app, TrustedProxyOptions proxies)
    {
        if (!proxies.Enabled) return app;
        return app.UseForwardedHeaders(ToMiddlewareOptions(proxies));
    }

    /// <summary>The middleware's options; an address or network that does not parse stops the server with the key that holds it.</summary>
    public static ForwardedHeadersOptions ToMiddlewareOptions(TrustedProxyOptions proxies)
    {
        if (proxies.ForwardLimit < 1) throw new InvalidOperationException($"{Section}:ForwardLimit must be at least 1, got {proxies.ForwardLimit}.");
        // Not X-Forwarded-Host: the proxy passes the browser's Host through, which Tickrunner:AllowedHosts then checks.
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            ForwardLimit = proxies.ForwardLimit,
        };
        if (proxies.KnownProxies.Count == 0 && proxies.KnownNetworks.Count == 0) return options; // the framework's default: loopback
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        for (var i = 0; i < proxies.KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(proxies.KnownProxies[i].Trim(), out var address))
                throw new InvalidOperationException($"{Section}:KnownProxies:{i} is not an IP address: '{proxies.KnownProxies[i]}'.");
            options.KnownProxies.Add(address);
        }
        for (var i = 0; i < proxies.KnownNetworks.Count; i++)
        {
            if (!System.Net.IPNetwork.TryParse(proxies.KnownNetworks[i].Trim(), out var network))
                throw new InvalidOperationException($"{Section}:KnownNetworks:{i} is not a network in CIDR notation (e.g. 10.0.0.0/8): '{proxies.KnownNetworks[i]}'.");
            options.KnownIPNetworks.Add(network);
        }
        return options;
    }
}
