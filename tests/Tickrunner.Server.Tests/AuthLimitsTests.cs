using System.Net;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

/// <summary>Where auth meets the rate limits and the proxy: the login's own limit, budgets per key, the cookie's Secure flag behind HTTPS.</summary>
public sealed class AuthLimitsTests
{
    private static Dictionary<string, string?> Tight(string policy, int tokens) => new()
    {
        [$"Tickrunner:RateLimits:{policy}:TokenLimit"] = tokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [$"Tickrunner:RateLimits:{policy}:TokensPerPeriod"] = "1",
        [$"Tickrunner:RateLimits:{policy}:PeriodSeconds"] = "60",
    };

    [Fact]
    public async Task Login_attempts_past_the_login_limit_get_429_with_Retry_After_even_with_the_right_key()
    {
        var (server, keys) = await AuthTests.StartWithKeysAsync(Tight("Login", 3));
        await using var owned = server;
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await server.PostJsonAsync("/api/auth/login", """{"key":"trk_guess"}""");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var limited = await server.PostJsonAsync("/api/auth/login", JsonSerializer.Serialize(new { key = keys.Admin }));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After");
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        // Other requests keep their own budget.
        using var read = await server.Http.SendAsync(AuthTests.Request(HttpMethod.Get, "/api/runners", keys.Admin));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task Each_key_has_its_own_budget()
    {
        var (server, keys) = await AuthTests.StartWithKeysAsync(Tight("Api", 3));
        await using var owned = server;
        for (var i = 0; i < 3; i++)
        {
            using var ok = await server.Http.SendAsync(AuthTests.Request(HttpMethod.Get, "/api/runners", keys.Read));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using (var spent = await server.Http.SendAsync(AuthTests.Request(HttpMethod.Get, "/api/runners", keys.Read)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, spent.StatusCode);
            Assert.Contains("reader", await spent.Content.ReadAsStringAsync()); // the problem names whose budget is spent
        }
        using var other = await server.Http.SendAsync(AuthTests.Request(HttpMethod.Get, "/api/runners", keys.Trade));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Behind_an_https_proxy_the_session_cookie_is_secure()
    {
        var (server, keys) = await AuthTests.StartWithKeysAsync(new() { ["Tickrunner:ForwardedHeaders:Enabled"] = "true" }, exposed: true);
        await using var owned = server;
        using var request = AuthTests.Json(HttpMethod.Post, "/api/auth/login", JsonSerializer.Serialize(new { key = keys.Read }), null);
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var flags = response.Headers.GetValues("Set-Cookie").Single().Split(';', StringSplitOptions.TrimEntries);
        Assert.Contains("secure", flags, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("httponly", flags, StringComparer.OrdinalIgnoreCase);
        // The audit row has the browser's address, not the proxy's.
        using var audit = await server.Http.SendAsync(AuthTests.Request(HttpMethod.Get, "/api/audit?limit=1", keys.Admin));
        var row = JsonDocument.Parse(await audit.Content.ReadAsStringAsync()).RootElement[0];
        Assert.Equal("POST /api/auth/login", row.GetProperty("action").GetString());
        Assert.Equal("203.0.113.7", row.GetProperty("address").GetString());
    }
}
