using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tickrunner.Server.Security;

namespace Tickrunner.Server.Tests;

/// <summary>
/// Rate limits: each policy answers 429 problem+json with Retry-After once its budget is spent, budgets are kept per
/// key or address, and the WebSocket limit holds a connection's permit until it closes. Budgets here are tiny and
/// refill once a minute, so nothing refills during a test unless the test asks for it.
/// </summary>
public sealed class RateLimitTests
{
    // An API key's name as identity, the way authentication will set it: the header stands in for a real key.
    private const string TestKeyHeader = "X-Test-Key";

    private static Dictionary<string, string?> Tiny(string policy, int tokens = 2, double periodSeconds = 60) => new()
    {
        [$"Tickrunner:RateLimits:{policy}:TokenLimit"] = tokens.ToString(),
        [$"Tickrunner:RateLimits:{policy}:TokensPerPeriod"] = "1",
        [$"Tickrunner:RateLimits:{policy}:PeriodSeconds"] = periodSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static void TestKeys(WebApplicationBuilder builder) => builder.Services.AddSingleton<IStartupFilter, TestIdentity>();

    private static HttpRequestMessage Request(HttpMethod method, string path, string? key = null, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Add(TestKeyHeader, key);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return request;
    }

    private static async Task<JsonElement> AssertTooManyRequests(HttpResponseMessage response, string limit, string setting, string rate, int maxRetryAfter)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, maxRetryAfter);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Equal(limit, problem.GetProperty("limit").GetString());
        Assert.Equal((int)retryAfter.Value.TotalSeconds, problem.GetProperty("retry_after").GetInt32());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains($"Tickrunner:RateLimits:{setting}", detail);
        Assert.Contains(rate, detail);
        return problem;
    }

    [Fact]
    public async Task The_general_limit_refuses_any_api_request_past_its_budget_with_429_and_Retry_After()
    {
        await using var server = await RunningServer.StartAsync(Tiny("Api"));
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/api/health")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/api/runners/nobody")).StatusCode); // a 404 spends too
        var refused = await AssertTooManyRequests(await server.Http.GetAsync("/api/runners"), "api", "Api",
            "2 requests at once, then 1 more every 60 s", 60);
        Assert.Contains("address 127.0.0.1", refused.GetProperty("detail").GetString());
        Assert.Equal("/api/runners", refused.GetProperty("instance").GetString());
        // The dashboard's files are not API requests and stay served.
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task Strategy_and_dataset_uploads_and_downloads_share_the_uploads_budget_and_reads_do_not_spend_it()
    {
        await using var server = await RunningServer.StartAsync(Tiny("Uploads", tokens: 3));
        // Refused bodies count: the limit is checked before the request is read.
        Assert.Equal(HttpStatusCode.BadRequest, (await server.PostJsonAsync("/api/strategies", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await server.PutJsonAsync("/api/strategies/mine", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await server.UploadAsync("", "symbol=BTCUSDT&id=x")).StatusCode);
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/api/strategies")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.PostJsonAsync("/api/strategies/ema_crossover/validate", "")).StatusCode);

        const string rate = "3 requests at once, then 1 more every 60 s";
        await AssertTooManyRequests(await server.PostJsonAsync("/api/strategies", "{}"), "uploads", "Uploads", rate, 60);
        await AssertTooManyRequests(await server.PutJsonAsync("/api/strategies/mine", "{}"), "uploads", "Uploads", rate, 60);
        await AssertTooManyRequests(await server.UploadAsync("", "symbol=BTCUSDT&id=x"), "uploads", "Uploads", rate, 60);
        await AssertTooManyRequests(await server.PostJsonAsync("/api/datasets/download", "{}"), "uploads", "Uploads", rate, 60);
        // Another policy's budget is untouched.
        Assert.Equal(HttpStatusCode.BadRequest, (await server.PostJsonAsync("/api/backtests", "{}")).StatusCode);
    }

    [Fact]
    public async Task Backtest_submissions_spend_the_jobs_budget()
    {
        await using var server = await RunningServer.StartAsync(Tiny("Jobs"));
        Assert.Equal(HttpStatusCode.BadRequest, (await server.PostJsonAsync("/api/backtests", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await server.PostJsonAsync("/api/backtests", "{}")).StatusCode);
        var refused = await AssertTooManyRequests(await server.PostJsonAsync("/api/backtests", "{}"), "jobs", "Jobs",
            "2 requests at once, then 1 more every 60 s", 60);
        Assert.StartsWith("Too many new jobs", refused.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/api/backtests")).StatusCode);
    }

    [Fact]
    public async Task Optimization_submissions_spend_the_same_jobs_budget_as_backtests()
    {
        await using var server = await RunningServer.StartAsync(Tiny("Jobs"));
        Assert.Equal(HttpStatusCode.BadRequest, (await server.PostJsonAsync("/api/optimizations", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await server.PostJsonAsync("/api/backtests", "{}")).StatusCode);
        await AssertTooManyRequests(await server.PostJsonAsync("/api/optimizations", "{}"), "jobs", "Jobs",
            "2 requests at once, then 1 more every 60 s", 60);
        await AssertTooManyRequests(await server.PostJsonAsync("/api/backtests", "{}"), "jobs", "Jobs",
            "2 requests at once, then 1 more every 60 s", 60);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/api/optimizations")).StatusCode);
    }

    [Fact]
    public async Task The_login_policy_limits_attempts_per_address()
    {
        // POST /api/auth/login is mapped by the authentication work; the policy is tested on an endpoint of its own
        // through the same registration the server uses.
        var limits = new RateLimitOptions { Login = { TokenLimit = 2, TokensPerPeriod = 1, PeriodSeconds = 60 } };
        await using var app = await LoginApp.StartAsync(limits);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Http.PostAsync("/api/auth/login", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Http.PostAsync("/api/auth/login", null)).StatusCode);
        var refused = await AssertTooManyRequests(await app.Http.PostAsync("/api/auth/login", null), "login", "Login",
            "2 requests at once, then 1 more every 60 s", 60);
        Assert.StartsWith("Too many login attempts from address 127.0.0.1", refused.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_spent_budget_refills_after_Retry_After()
    {
        await using var server = await RunningServer.StartAsync(Tiny("Api", tokens: 1, periodSeconds: 1));
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/api/health")).StatusCode);
        var refused = await server.Http.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        // Refilled about a second later (the limiter's timer ticks every 100 ms; a busy machine may be later still).
        await Wait.Until(async () => (await server.Http.GetAsync("/api/health")).StatusCode == HttpStatusCode.OK, 5_000, "the bucket to refill");
    }

    [Fact]
    public async Task Each_api_key_and_the_anonymous_address_have_budgets_of_their_own()
    {
        await using var server = await RunningServer.StartAsync(Tiny("Uploads"), configure: TestKeys);
        async Task<HttpStatusCode> Upload(string? key) =>
            (await server.Http.SendAsync(Request(HttpMethod.Post, "/api/strategies", key, "{}"))).StatusCode;

        Assert.Equal(HttpStatusCode.BadRequest, await Upload("alice"));
        Assert.Equal(HttpStatusCode.BadRequest, await Upload("alice"));
        var refused = await AssertTooManyRequests(await server.Http.SendAsync(Request(HttpMethod.Post, "/api/strategies", "alice", "{}")),
            "uploads", "Uploads", "2 requests at once", 60);
        Assert.StartsWith("Too many uploads from API key 'alice'", refused.GetProperty("detail").GetString());
        // bob and unauthenticated requests from the same address spend other budgets.
        Assert.Equal(HttpStatusCode.BadRequest, await Upload("bob"));
        Assert.Equal(HttpStatusCode.BadRequest, await Upload(null));
        Assert.Equal(HttpStatusCode.BadRequest, await Upload(null));
        Assert.Equal(HttpStatusCode.TooManyRequests, await Upload(null));
        Assert.Equal(HttpStatusCode.BadRequest, await Upload("bob"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await Upload("bob"));
    }

    [Fact]
    public async Task The_websocket_limit_refuses_the_connection_past_the_limit_with_429_and_accepts_again_once_one_closes()
    {
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Tickrunner:RateLimits:WebSockets:MaxConnectionsPerClient"] = "2",
            ["Tickrunner:RateLimits:WebSockets:RetryAfterSeconds"] = "7",
        }, configure: TestKeys);
        using var first = await server.ConnectAsync();
        using var second = await server.ConnectAsync();

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => server.ConnectAsync());
        Assert.Contains("429", refused.Message);
        var response = await server.Http.SendAsync(UpgradeRequest());
        var problem = await AssertTooManyRequests(response, "websockets", "WebSockets:MaxConnectionsPerClient", "2 open at once", 7);
        Assert.Equal(7, problem.GetProperty("retry_after").GetInt32());
        Assert.StartsWith("Too many WebSocket connections from address 127.0.0.1", problem.GetProperty("detail").GetString());

        // A key has connections of its own, even from the same address.
        using (var keyed = new ClientWebSocket())
        {
            keyed.Options.SetRequestHeader(TestKeyHeader, "alice");
            await keyed.ConnectAsync(server.WebSocketUri(), CancellationToken.None);
            Assert.Equal(WebSocketState.Open, keyed.State);
        }

        // The permit is held for the socket's lifetime: closing one frees it.
        await first.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        ClientWebSocket? third = null;
        await Wait.Until(async () =>
        {
            try
            {
                third = await server.ConnectAsync();
                return true;
            }
            catch (WebSocketException)
            {
                return false;
            }
        }, what: "a connection to be accepted once one closed");
        using (third)
        {
            Assert.Equal(WebSocketState.Open, third!.State);
            Assert.Equal(HttpStatusCode.TooManyRequests, (await server.Http.SendAsync(UpgradeRequest())).StatusCode);
        }
    }

    [Fact]
    public async Task Disabled_limits_refuse_nothing()
    {
        var settings = Tiny("Api", tokens: 1);
        foreach (var (key, value) in Tiny("Uploads", tokens: 1)) settings[key] = value;
        settings["Tickrunner:RateLimits:WebSockets:MaxConnectionsPerClient"] = "1";
        settings["Tickrunner:RateLimits:Enabled"] = "false";
        await using var server = await RunningServer.StartAsync(settings);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/api/health")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await server.PostJsonAsync("/api/strategies", "{}")).StatusCode);
        }
        using var first = await server.ConnectAsync();
        using var second = await server.ConnectAsync();
        Assert.Equal(WebSocketState.Open, second.State);
    }

    [Fact]
    public async Task The_defaults_let_the_load_harness_poll_5000_snapshots_back_to_back()
    {
        await using var server = await RunningServer.StartAsync();
        await server.CreateRunnerAsync("r00");
        for (var i = 0; i < 5000; i++)
        {
            using var response = await server.Http.GetAsync("/api/runners/r00/snapshot");
            if (response.StatusCode != HttpStatusCode.OK) Assert.Fail($"snapshot {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Theory]
    [InlineData("Tickrunner:RateLimits:Api:TokenLimit", "0", "Tickrunner:RateLimits:Api:TokenLimit must be at least 1")]
    [InlineData("Tickrunner:RateLimits:Login:TokensPerPeriod", "50", "Tickrunner:RateLimits:Login:TokensPerPeriod (50) must not exceed")]
    [InlineData("Tickrunner:RateLimits:Jobs:PeriodSeconds", "0", "Tickrunner:RateLimits:Jobs:PeriodSeconds must be at least 0.1")]
    [InlineData("Tickrunner:RateLimits:WebSockets:MaxConnectionsPerClient", "0", "MaxConnectionsPerClient must be at least 1")]
    public async Task A_limit_that_cannot_work_stops_the_server_naming_its_setting(string key, string value, string message)
    {
        using var data = new TempDirectory("tickrunner-limits-");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningServer.StartAsync(new() { [key] = value }, data));
        Assert.Contains(message, error.Message);
    }

    private static HttpRequestMessage UpgradeRequest()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/ws");
        request.Headers.Add("Connection", "Upgrade");
        request.Headers.Add("Upgrade", "websocket");
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        return request;
    }

    /// <summary>Makes a request carrying <see cref="TestKeyHeader"/> authenticated as that key, ahead of the server's pipeline.</summary>
    private sealed class TestIdentity : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Headers.TryGetValue(TestKeyHeader, out var key))
                    context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, key.ToString())], "test"));
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    /// <summary>A bare app with the server's rate limits and a stand-in login endpoint under the login policy.</summary>
    private sealed class LoginApp : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private LoginApp(WebApplication app)
        {
            _app = app;
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            Http = new HttpClient { BaseAddress = new Uri(address) };
        }

        public HttpClient Http { get; }

        public static async Task<LoginApp> StartAsync(RateLimitOptions limits)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddProblemDetails();
            builder.Services.AddTickrunnerRateLimits(limits);
            var app = builder.Build();
            app.UseRateLimiter();
            app.MapPost("/api/auth/login", () => Results.NoContent()).RequireRateLimiting(RateLimits.Login);
            await app.StartAsync();
            return new LoginApp(app);
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await _app.DisposeAsync();
        }
    }
}
