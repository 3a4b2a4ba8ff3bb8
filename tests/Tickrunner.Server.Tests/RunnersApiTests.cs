using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

public sealed class RunnersApiTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string DocumentedCreateBody = """
        {
            "runner_id": "btc_ema_prod",
            "symbol": "BTCUSDT",
            "strategy_name": "ema_crossover",
            "window_size": 100,
            "config": {
              "stop_on_error": true,
              "log_actions": true
            }
          }
        """;

    [Fact]
    public async Task The_documented_create_runner_body_works_verbatim_and_the_snapshot_has_the_documented_shape()
    {
        var created = await _server.PostJsonAsync("/api/runners", DocumentedCreateBody);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/runners/btc_ema_prod", created.Headers.Location!.OriginalString);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("btc_ema_prod", body.GetProperty("runner_id").GetString());
        Assert.True(body.GetProperty("config").GetProperty("stop_on_error").GetBoolean());

        await Wait.Until(async () => (await _server.GetJsonAsync("/api/runners/btc_ema_prod/snapshot"))
            .GetProperty("stats").GetProperty("ticks_processed").GetInt64() > 3, what: "ticks");
        var snapshot = await _server.GetJsonAsync("/api/runners/btc_ema_prod/snapshot");
        foreach (var field in new[] { "runner_id", "symbol", "state", "position", "context", "stats", "uptime_ms", "window_size", "window_len", "status", "strategy_name", "transitions" })
            Assert.True(snapshot.TryGetProperty(field, out _), $"snapshot lacks {field}");
        Assert.Equal("BTCUSDT", snapshot.GetProperty("symbol").GetString());
        Assert.Contains(snapshot.GetProperty("state").GetString(), new[] { "Idle", "Analyzing", "InPosition" });
        foreach (var field in new[] { "ticks_processed", "actions_executed", "error_rate" })
            Assert.True(snapshot.GetProperty("stats").TryGetProperty(field, out _));
        Assert.Equal(100, snapshot.GetProperty("window_size").GetInt32());
        Assert.Equal(snapshot.GetProperty("runner_id").GetString(), (await _server.GetJsonAsync("/api/runners/btc_ema_prod")).GetProperty("runner_id").GetString());
    }

    [Fact]
    public async Task List_symbols_history_and_runners_for_a_symbol()
    {
        await _server.CreateRunnerAsync("a", "BTCUSDT");
        await _server.CreateRunnerAsync("b", "ETHUSDT", "rsi_mean_reversion");
        var list = await _server.GetJsonAsync("/api/runners");
        Assert.Equal(["a", "b"], list.EnumerateArray().Select(r => r.GetProperty("runner_id").GetString()));
        var symbols = await _server.GetJsonAsync("/api/symbols");
        Assert.Equal(["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"], symbols.EnumerateArray().Select(s => s.GetString()));
        var eth = await _server.GetJsonAsync("/api/symbols/ETHUSDT/runners");
        Assert.Equal("b", Assert.Single(eth.EnumerateArray()).GetProperty("runner_id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/api/symbols/NOPE/runners")).StatusCode);

        await Wait.Until(async () => (await _server.GetJsonAsync("/api/runners/a/history?count=5")).GetArrayLength() == 5, what: "5 bars");
        var history = await _server.GetJsonAsync("/api/runners/a/history?count=5");
        var bar = history[0];
        Assert.Equal(["symbol", "timestamp", "open", "high", "low", "close", "volume", "bid", "ask"], bar.EnumerateObject().Select(p => p.Name));
        var times = history.EnumerateArray().Select(b => b.GetProperty("timestamp").GetInt64()).ToList();
        Assert.Equal(times.Order(), times);
        Assert.True((await _server.GetJsonAsync("/api/runners/a/history")).GetArrayLength() >= 5); // count defaults to 100
    }

    [Theory]
    [InlineData("/api/runners/a/history?count=0", "count")]
    [InlineData("/api/runners/a/history?count=100001", "count")]
    [InlineData("/api/runners/a/trades?limit=0", "limit")]
    [InlineData("/api/runners/a/events?since=-1", "since")]
    public async Task Bad_query_values_are_400_naming_the_parameter(string path, string parameter)
    {
        await _server.CreateRunnerAsync("a");
        var response = await _server.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _));
    }

    [Fact]
    public async Task Pause_resume_stop_and_delete()
    {
        await _server.CreateRunnerAsync("a");
        async Task<string?> Steer(string verb) =>
            (await (await _server.Http.PostAsync($"/api/runners/a/{verb}", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString();
        Assert.Equal("paused", await Steer("pause"));
        Assert.Equal("paused", (await _server.GetJsonAsync("/api/runners/a")).GetProperty("status").GetString());
        Assert.Equal("running", await Steer("resume"));
        Assert.Equal("stopped", await Steer("stop"));
        Assert.Equal("stopped", await Steer("resume"));
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Http.DeleteAsync("/api/runners/a")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.DeleteAsync("/api/runners/a")).StatusCode);
    }

    [Theory]
    [InlineData("GET", "/api/runners/ghost")]
    [InlineData("GET", "/api/runners/ghost/snapshot")]
    [InlineData("GET", "/api/runners/ghost/history")]
    [InlineData("GET", "/api/runners/ghost/trades")]
    [InlineData("GET", "/api/runners/ghost/events")]
    [InlineData("DELETE", "/api/runners/ghost")]
    [InlineData("POST", "/api/runners/ghost/pause")]
    [InlineData("POST", "/api/runners/ghost/resume")]
    [InlineData("POST", "/api/runners/ghost/stop")]
    public async Task Unknown_runner_is_404_problem_json_on_every_route(string method, string path)
    {
        var response = await _server.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("'ghost'", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Create_validates_every_field_at_the_edge()
    {
        var response = await _server.PostJsonAsync("/api/runners",
            """{"runner_id":"no spaces!","symbol":"NOPE","strategy_name":"missing","window_size":0}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["runner_id", "strategy_name", "symbol", "window_size"], errors.EnumerateObject().Select(e => e.Name).Order());
        Assert.Contains("BTCUSDT", errors.GetProperty("symbol")[0].GetString());

        var tooLong = await _server.PostJsonAsync("/api/runners", $$"""{"runner_id":"{{new string('x', 65)}}","symbol":"BTCUSDT","strategy_name":"ema_crossover"}""");
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var missing = await _server.PostJsonAsync("/api/runners", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        var big = await _server.PostJsonAsync("/api/runners", """{"runner_id":"w","symbol":"BTCUSDT","strategy_name":"ema_crossover","window_size":100001}""");
        Assert.Contains("window_size", await big.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Duplicate_runner_id_is_409()
    {
        await _server.CreateRunnerAsync("dup");
        var again = await _server.PostJsonAsync("/api/runners", """{"runner_id":"dup","symbol":"ETHUSDT","strategy_name":"ema_crossover"}""");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already exists", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Malformed_json_wrong_content_type_and_oversized_bodies_are_problems()
    {
        var malformed = await _server.PostJsonAsync("/api/runners", """{"runner_id": "x",""");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType!.MediaType);
        Assert.Contains("not valid JSON at line 1", (await malformed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());

        var wrongType = await _server.Http.PostAsync("/api/runners", new StringContent("runner_id=x", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        Assert.Contains("Content-Type: application/json", (await wrongType.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());

        var wrongShape = await _server.PostJsonAsync("/api/runners", """{"runner_id": 5}""");
        Assert.Equal(HttpStatusCode.BadRequest, wrongShape.StatusCode);
        Assert.True((await wrongShape.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("runner_id", out _));

        // Expect: 100-continue, so the server's 413 arrives before the client has pushed 2 MB into a closing socket.
        var oversized = new HttpRequestMessage(HttpMethod.Post, "/api/strategies")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { name = "huge", code = new string('-', 2 * 1024 * 1024) }), System.Text.Encoding.UTF8, "application/json"),
        };
        oversized.Headers.ExpectContinue = true;
        var huge = await _server.Http.SendAsync(oversized);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Equal("application/problem+json", huge.Content.Headers.ContentType!.MediaType);

        var nowhere = await _server.Http.GetAsync("/api/nowhere");
        Assert.Equal(HttpStatusCode.NotFound, nowhere.StatusCode);
        Assert.Equal("application/problem+json", nowhere.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Trades_and_events_of_a_runner()
    {
        await _server.UploadStrategyAsync("flipper", """
            function detect_opportunity(md, ctx, ind) return { seen = md.close } end
            function filter_commitment(md, ctx, ind) return { action = "enter_long", price = md.close, quantity = 1 } end
            function manage_position(md, ctx, ind) return { action = "exit", price = md.close, reason = "flip" } end
            """);
        await _server.CreateRunnerAsync("f", "ETHUSDT", "flipper");
        await Wait.Until(async () => (await _server.GetJsonAsync("/api/runners/f/trades")).GetArrayLength() >= 2, what: "two trades");
        var trade = (await _server.GetJsonAsync("/api/runners/f/trades"))[0];
        Assert.Equal("Long", trade.GetProperty("side").GetString());
        Assert.Equal("flip", trade.GetProperty("reason").GetString());
        // Net of both fills' fees (10 bps each by default).
        var (entry, exit) = (trade.GetProperty("entry_price").GetDouble(), trade.GetProperty("exit_price").GetDouble());
        Assert.Equal((entry + exit) * 0.001, trade.GetProperty("fees").GetDouble(), 9);
        Assert.Equal(exit - entry - (entry + exit) * 0.001, trade.GetProperty("realized_pnl").GetDouble(), 9);

        var events = await _server.GetJsonAsync("/api/runners/f/events?since=0");
        Assert.Equal("RunnerStarted", events[0].Tag());
        Assert.All(events.EnumerateArray(), e => Assert.Equal("f", e.Payload().GetProperty("runner_id").GetString()));
        var seqs = events.EnumerateArray().Select(e => e.Payload().GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(seqs.Order(), seqs);
        var later = await _server.GetJsonAsync($"/api/runners/f/events?since={seqs[^2]}");
        Assert.True(later.GetArrayLength() >= 1 && later[0].Payload().GetProperty("seq").GetInt64() > seqs[^2]);
        Assert.Contains(events.EnumerateArray(), e => e.Tag() == "PositionClosed");

        var newest = await _server.GetJsonAsync("/api/runners/f/events?limit=2");
        Assert.Equal(2, newest.GetArrayLength());
        Assert.True(newest[0].Payload().GetProperty("seq").GetInt64() < newest[1].Payload().GetProperty("seq").GetInt64());
        Assert.True(newest[1].Payload().GetProperty("seq").GetInt64() >= seqs[^1]); // the newest, not the oldest
    }
}
