using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Tickrunner.Server.Tests;

/// <summary>
/// Behind a reverse proxy: with forwarded headers on and the proxy trusted, X-Forwarded-Proto makes the request HTTPS
/// and X-Forwarded-For is the client address the rate limiter counts; from an untrusted proxy, or with the option off,
/// both headers are ignored. The addresses in the headers are documentation addresses (RFC 5737); no traffic goes there.
/// </summary>
public sealed class ForwardedHeadersTests
{
    private static Dictionary<string, string?> Settings(bool enabled, string? knownProxy = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Tickrunner:ForwardedHeaders:Enabled"] = enabled ? "true" : "false",
            ["Tickrunner:RateLimits:Api:TokenLimit"] = "2",
            ["Tickrunner:RateLimits:Api:TokensPerPeriod"] = "1",
            ["Tickrunner:RateLimits:Api:PeriodSeconds"] = "60",
        };
        if (knownProxy is not null) settings["Tickrunner:ForwardedHeaders:KnownProxies:0"] = knownProxy;
        return settings;
    }

    private static async Task<(RunningServer Server, SeenRequests Seen)> StartAsync(Dictionary<string, string?> settings)
    {
        var seen = new SeenRequests();
        // Forwarded headers on means a proxy serves the server to others: it starts only with a key.
        var server = await RunningServer.StartAsync(settings, configure: builder => builder.Services.AddSingleton<IStartupFilter>(seen), withAdminKey: true);
        return (server, seen);
    }

    private static HttpRequestMessage Forwarded(HttpMethod method, string path, string client, string? proto = null, string? origin = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Forwarded-For", client);
        if (proto is not null) request.Headers.Add("X-Forwarded-Proto", proto);
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (method == HttpMethod.Post) request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        return request;
    }

    private static async Task<string> Detail(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;

    [Theory]
    [InlineData(null)] // the default: the proxy on this machine
    [InlineData("127.0.0.1")]
    public async Task From_a_trusted_proxy_the_forwarded_scheme_and_client_address_are_the_requests(string? knownProxy)
    {
        var (server, seen) = await StartAsync(Settings(enabled: true, knownProxy));
        await using var _ = server;

        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(Forwarded(HttpMethod.Get, "/api/health", "203.0.113.7", "https"))).StatusCode);
        Assert.True(seen.Last.IsHttps);
        Assert.Equal("https", seen.Last.Scheme);
        Assert.Equal(IPAddress.Parse("203.0.113.7"), seen.Last.Client);

        // The dashboard's own POST behind a TLS proxy is same-origin: its Origin is https://host.
        var origin = $"https://{server.BaseAddress.Authority}";
        var post = await server.Http.SendAsync(Forwarded(HttpMethod.Post, "/api/strategies", "203.0.113.7", "https", origin));
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode); // past the origin check (no 403), to the missing key's 401

        // 203.0.113.7 has spent its two requests; 203.0.113.8 has a budget of its own.
        var refused = await server.Http.SendAsync(Forwarded(HttpMethod.Get, "/api/health", "203.0.113.7"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("address 203.0.113.7", await Detail(refused));
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(Forwarded(HttpMethod.Get, "/api/health", "203.0.113.8"))).StatusCode);
        Assert.False(seen.Last.IsHttps); // no X-Forwarded-Proto this time
        Assert.Equal(IPAddress.Parse("203.0.113.8"), seen.Last.Client);
    }

    [Theory]
    [InlineData(false, null)] // off, the default
    [InlineData(true, "192.0.2.1")] // on, but the request comes from 127.0.0.1, which is not the trusted proxy
    public async Task Forwarded_headers_are_ignored_when_off_or_from_an_untrusted_proxy(bool enabled, string? knownProxy)
    {
        var (server, seen) = await StartAsync(Settings(enabled, knownProxy));
        await using var _ = server;

        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(Forwarded(HttpMethod.Get, "/api/health", "203.0.113.7", "https"))).StatusCode);
        Assert.False(seen.Last.IsHttps);
        Assert.Equal(IPAddress.Loopback, seen.Last.Client);

        var origin = $"https://{server.BaseAddress.Authority}";
        Assert.Equal(HttpStatusCode.Forbidden,
            (await server.Http.SendAsync(Forwarded(HttpMethod.Post, "/api/strategies", "203.0.113.7", "https", origin))).StatusCode);

        // A client cannot pick a fresh budget by naming another address: every request counts against 127.0.0.1 (the
        // refused POST did not reach the limiter).
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(Forwarded(HttpMethod.Get, "/api/health", "203.0.113.8"))).StatusCode);
        var refused = await server.Http.SendAsync(Forwarded(HttpMethod.Get, "/api/health", "203.0.113.9"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("address 127.0.0.1", await Detail(refused));
    }

    [Theory]
    [InlineData("Tickrunner:ForwardedHeaders:KnownProxies:0", "proxy.lan", "Tickrunner:ForwardedHeaders:KnownProxies:0 is not an IP address")]
    [InlineData("Tickrunner:ForwardedHeaders:KnownNetworks:0", "10.0.0.0/33", "Tickrunner:ForwardedHeaders:KnownNetworks:0 is not a network in CIDR notation")]
    public async Task A_proxy_setting_that_does_not_parse_stops_the_server_naming_its_key(string key, string value, string message)
    {
        using var data = new TempDirectory("tickrunner-proxies-");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RunningServer.StartAsync(new() { ["Tickrunner:ForwardedHeaders:Enabled"] = "true", [key] = value }, data, withAdminKey: true));
        Assert.Contains(message, error.Message);
    }

    /// <summary>What the pipeline made of the last request, read as its response starts: after the forwarded-headers middleware ran.</summary>
    private sealed class SeenRequests : IStartupFilter
    {
        public (bool IsHttps, string Scheme, IPAddress? Client) Last { get; private set; }

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                // When the response starts, before the client can see it, so the test never reads a stale value.
                context.Response.OnStarting(() =>
                {
                    Last = (context.Request.IsHttps, context.Request.Scheme, context.Connection.RemoteIpAddress);
                    return Task.CompletedTask;
                });
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
