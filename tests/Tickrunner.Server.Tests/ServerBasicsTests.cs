using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

public sealed class ServerBasicsTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync(new() { ["Tickrunner:Demo:Enabled"] = "true" });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Health_reports_engine_feed_and_store()
    {
        await Wait.Until(async () => (await _server.GetJsonAsync("/api/health")).GetProperty("feed").GetProperty("bars_delivered").GetInt64() > 0, what: "bars");
        var health = await _server.GetJsonAsync("/api/health");
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("Simulated", health.GetProperty("feed").GetProperty("kind").GetString());
        Assert.True(health.GetProperty("feed").GetProperty("connected").GetBoolean());
        Assert.Equal("ok", health.GetProperty("store").GetProperty("status").GetString());
        Assert.Equal(4, health.GetProperty("engine").GetProperty("runners").GetInt32());
        Assert.True(health.GetProperty("events").GetProperty("last_seq").GetInt64() > 0);
        Assert.True(health.GetProperty("events").GetProperty("tick_to_hub_p99_us").GetDouble() > 0);
    }

    [Fact]
    public async Task First_start_creates_demo_runners_that_trade_on_their_own()
    {
        var runners = await _server.GetJsonAsync("/api/runners");
        Assert.Equal(["bnb_ema", "btc_ema", "eth_rsi", "sol_breakout"], runners.EnumerateArray().Select(r => r.GetProperty("runner_id").GetString()));
        await Wait.Until(async () => (await _server.GetJsonAsync("/api/runners/btc_ema")).GetProperty("stats").GetProperty("ticks_processed").GetInt64() > 10, what: "ticks");
    }

    [Fact]
    public async Task First_start_makes_the_sample_dataset_so_the_dashboard_can_backtest_at_once()
    {
        var sample = await _server.GetJsonAsync("/api/datasets/sample");
        Assert.Equal("BTCUSDT", sample.GetProperty("symbol").GetString());
        Assert.Equal("1m", sample.GetProperty("interval").GetString());
        Assert.Equal(100_000, sample.GetProperty("bars").GetInt32());
        Assert.Equal(1_704_067_200_000, sample.GetProperty("first").GetInt64());
    }

    [Fact]
    public async Task Openapi_document_lists_the_api()
    {
        var doc = await _server.GetJsonAsync("/openapi/v1.json");
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        foreach (var path in new[] { "/api/runners", "/api/runners/{id}", "/api/runners/{id}/snapshot", "/api/runners/{id}/history", "/api/symbols",
                     "/api/symbols/{symbol}/runners", "/api/strategies", "/api/strategies/{name}/validate", "/api/health" })
            Assert.Contains(path, paths);
    }

    [Fact]
    public async Task Cors_allows_the_configured_origin_only()
    {
        async Task<HttpResponseMessage> Preflight(string origin)
        {
            var request = new HttpRequestMessage(HttpMethod.Options, "/api/runners");
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "POST");
            request.Headers.Add("Access-Control-Request-Headers", "content-type");
            return await _server.Http.SendAsync(request);
        }
        var allowed = await Preflight("http://localhost:3000");
        Assert.Equal("http://localhost:3000", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var denied = await Preflight("http://evil.example");
        Assert.False(denied.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Requests_from_foreign_origins_cannot_steer_runners_or_open_the_stream()
    {
        var post = new HttpRequestMessage(HttpMethod.Post, "/api/runners/btc_ema/stop");
        post.Headers.Add("Origin", "http://evil.example");
        var refused = await _server.Http.SendAsync(post);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("Tickrunner:Cors:Origins", await refused.Content.ReadAsStringAsync());
        Assert.Equal("running", (await _server.GetJsonAsync("/api/runners/btc_ema")).GetProperty("status").GetString());

        var allowed = new HttpRequestMessage(HttpMethod.Post, "/api/runners/btc_ema/pause");
        allowed.Headers.Add("Origin", "http://localhost:3000");
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.SendAsync(allowed)).StatusCode);

        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", "http://evil.example");
        await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => socket.ConnectAsync(_server.WebSocketUri(), CancellationToken.None));
    }

    [Fact]
    public async Task Method_not_allowed_is_a_problem_with_a_detail()
    {
        var response = await _server.Http.PutAsync("/api/runners", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("PUT is not allowed", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }
}
