using System.Net;
using System.Text.RegularExpressions;
using Tickrunner.Server.Security;

namespace Tickrunner.Server.Tests;

/// <summary>The Content-Security-Policy and the other security headers on every response, the dashboard's and the API's.</summary>
public sealed partial class SecurityHeadersTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        string Header(string name) =>
            response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
            : throw new Xunit.Sdk.XunitException($"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}: no {name} header");
        Assert.Equal(SecurityHeadersOptions.DefaultContentSecurityPolicy, Header("Content-Security-Policy"));
        Assert.Equal("nosniff", Header("X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header("Referrer-Policy"));
        Assert.Equal("DENY", Header("X-Frame-Options"));
    }

    [Theory]
    [InlineData("/", HttpStatusCode.OK)] // the dashboard
    [InlineData("/index.html", HttpStatusCode.OK)]
    [InlineData("/api/health", HttpStatusCode.OK)]
    [InlineData("/api/runners", HttpStatusCode.OK)]
    [InlineData("/api/runners/nobody", HttpStatusCode.NotFound)] // an endpoint's problem
    [InlineData("/no/such/route", HttpStatusCode.NotFound)] // the status-code pages' problem
    [InlineData("/openapi/v1.json", HttpStatusCode.OK)]
    [InlineData("/ws", HttpStatusCode.BadRequest)] // not an upgrade
    public async Task Every_response_carries_the_security_headers(string path, HttpStatusCode status)
    {
        var response = await _server.Http.GetAsync(path);
        Assert.Equal(status, response.StatusCode);
        AssertSecurityHeaders(response);
    }

    [Fact]
    public async Task The_dashboards_scripts_and_styles_and_refusals_carry_them_too()
    {
        var index = await _server.Http.GetStringAsync("/");
        var asset = AssetPath().Match(index);
        Assert.True(asset.Success, index);
        var script = await _server.Http.GetAsync(asset.Groups[1].Value.TrimStart('.'));
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        AssertSecurityHeaders(script);

        // Refused before any endpoint: a foreign Host (421) and a foreign Origin (403).
        var foreign = new HttpRequestMessage(HttpMethod.Get, "/api/health");
        foreign.Headers.Host = "evil.example";
        var misdirected = await _server.Http.SendAsync(foreign);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, misdirected.StatusCode);
        AssertSecurityHeaders(misdirected);
        var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/runners/x/stop");
        crossSite.Headers.Add("Origin", "http://evil.example");
        var forbidden = await _server.Http.SendAsync(crossSite);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        AssertSecurityHeaders(forbidden);
    }

    [Fact]
    public async Task The_policy_allows_no_inline_script_no_eval_and_no_framing()
    {
        var response = await _server.Http.GetAsync("/");
        var policy = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
        var directives = policy.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(d => d.Split(' ', 2))
            .ToDictionary(d => d[0], d => d.Length > 1 ? d[1] : "");
        Assert.Equal("'self'", directives["default-src"]);
        Assert.Equal("'self'", directives["script-src"]);
        Assert.Equal("'none'", directives["frame-ancestors"]);
        Assert.Equal("'none'", directives["object-src"]);
        Assert.False(directives.ContainsKey("script-src-elem") || directives.ContainsKey("script-src-attr"), policy);
    }

    [Fact]
    public async Task The_served_dashboard_has_no_inline_script_handler_or_style()
    {
        var index = await _server.Http.GetStringAsync("/");
        foreach (Match script in ScriptTag().Matches(index)) Assert.Contains("src=", script.Value);
        Assert.DoesNotMatch(EventHandlerAttribute(), index);
        Assert.DoesNotMatch(StyleElementOrAttribute(), index);
        Assert.DoesNotContain("javascript:", index);
    }

    [Fact]
    public async Task Configured_values_replace_the_defaults_and_an_empty_one_leaves_its_header_out()
    {
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Tickrunner:SecurityHeaders:ContentSecurityPolicy"] = "default-src 'none'",
            ["Tickrunner:SecurityHeaders:ReferrerPolicy"] = "strict-origin",
            ["Tickrunner:SecurityHeaders:FrameOptions"] = "",
        });
        var response = await server.Http.GetAsync("/api/health");
        Assert.Equal("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("strict-origin", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.False(response.Headers.Contains("X-Frame-Options"));
    }

    [Fact]
    public async Task Disabled_they_are_not_sent()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Tickrunner:SecurityHeaders:Enabled"] = "false" });
        var response = await server.Http.GetAsync("/");
        Assert.False(response.Headers.Contains("Content-Security-Policy"));
        Assert.False(response.Headers.Contains("X-Content-Type-Options"));
    }

    [GeneratedRegex(@"src=""(\./assets/[^""]+\.js)""")]
    private static partial Regex AssetPath();

    [GeneratedRegex("<script\\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptTag();

    [GeneratedRegex("<[^>]+\\son[a-z]+\\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex EventHandlerAttribute();

    [GeneratedRegex("<style\\b|<[^>]+\\sstyle\\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex StyleElementOrAttribute();
}
