namespace Tickrunner.Server.Security;

/// <summary>
/// A reverse proxy in front of the server (<c>Tickrunner:ForwardedHeaders</c>): when on, <c>X-Forwarded-For</c> and
/// <c>X-Forwarded-Proto</c> from a trusted proxy become the request's client address and scheme, so
/// <c>Request.IsHttps</c>, same-origin checks and per-address rate limits see the browser, not the proxy.
/// Off by default: without a proxy, anyone could send those headers and pick their own address.
/// </summary>
public sealed class TrustedProxyOptions
{
    /// <summary>Read forwarded headers from the proxies below.</summary>
    public bool Enabled { get; set; }

    /// <summary>Addresses of trusted proxies; with neither list set, the proxy on this machine (127.0.0.1 and ::1).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Trusted proxy networks in CIDR notation, e.g. <c>10.0.0.0/8</c> (a container network).</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>Proxies in a row to read back through (each must be trusted); 1 for one proxy in front.</summary>
    public int ForwardLimit { get; set; } = 1;
}
