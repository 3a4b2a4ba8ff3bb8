using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tickrunner.Engine.Runners;
using Tickrunner.Server.Metrics;
using static Tickrunner.Server.Tests.BacktestTestData;

namespace Tickrunner.Server.Tests;

/// <summary>
/// <c>GET /metrics</c> on a real server: valid Prometheus text by promtool's judgement, every documented series there and
/// moving with what the server does, and a scrape whose work does not grow with the number of runners.
/// </summary>
public sealed class MetricsTests
{
    // Every series the API guide documents (§8), by its declared type.
    private static readonly Dictionary<string, string> Documented = new()
    {
        ["tickrunner_runners"] = "gauge",
        ["tickrunner_ticks_processed_total"] = "counter",
        ["tickrunner_ticks_dropped_total"] = "counter",
        ["tickrunner_actions_total"] = "counter",
        ["tickrunner_errors_total"] = "counter",
        ["tickrunner_tick_to_hub_latency_seconds"] = "histogram",
        ["tickrunner_bars_received_total"] = "counter",
        ["tickrunner_bars_rejected_total"] = "counter",
        ["tickrunner_events_published_total"] = "counter",
        ["tickrunner_http_requests_total"] = "counter",
        ["tickrunner_websocket_clients"] = "gauge",
        ["tickrunner_websocket_frames_sent_total"] = "counter",
        ["tickrunner_websocket_frames_dropped_total"] = "counter",
        ["tickrunner_websocket_lag_notices_total"] = "counter",
        ["tickrunner_backtests"] = "gauge",
        ["tickrunner_backtests_finished_total"] = "counter",
        ["tickrunner_backtest_bars_total"] = "counter",
        ["tickrunner_optimizations"] = "gauge",
        ["tickrunner_optimizations_finished_total"] = "counter",
        ["tickrunner_optimization_trials_total"] = "counter",
        ["tickrunner_engine_halted"] = "gauge",
        ["tickrunner_open_positions"] = "gauge",
        ["tickrunner_open_notional"] = "gauge",
        ["tickrunner_candle_bars_dropped_total"] = "counter",
        ["tickrunner_candle_bars_ignored_total"] = "counter",
        ["tickrunner_candles_unwritten_total"] = "counter",
    };

    private const string TicksProcessed = "tickrunner_ticks_processed_total";
    private const string LatencyCount = "tickrunner_tick_to_hub_latency_seconds_count";

    [Fact]
    public async Task A_scrape_is_valid_Prometheus_text_with_every_documented_series()
    {
        await using var server = await RunningServer.StartAsync();
        await server.CreateRunnerAsync("btc", "BTCUSDT");
        await server.CreateRunnerAsync("eth", "ETHUSDT", "rsi_mean_reversion");
        await server.UploadOkAsync(Csv(500), "bars");
        await server.WaitForAsync(await server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "bars" }), "done");
        var optimization = await server.PostJsonAsync("/api/optimizations",
            """{"strategy_name": "ema_crossover", "dataset": "bars", "method": "random", "trials": 4, "space": {"fast": {"min": 5, "max": 9}}}""");
        Assert.Equal(HttpStatusCode.Accepted, optimization.StatusCode);
        await Wait.Until(async () => (await server.GetJsonAsync(optimization.Headers.Location!.ToString())).GetProperty("status").GetString() == "done",
            60_000, "the optimization to be done");
        using var client = await server.ConnectAsync();
        Assert.NotNull(await client.ReceiveUntilAsync(m => m.Tag() == "TickReceived"));

        var scrape = await MetricsScrape.TakeAsync(server);

        await scrape.CheckWithPromtoolAsync();
        var types = scrape.Types();
        foreach (var (name, type) in Documented)
            Assert.True(types.TryGetValue(name, out var declared) && declared == type, $"{name} should be a {type}; /metrics declares:\n{scrape.Text}");
        Assert.Equal(2, scrape["tickrunner_runners{status=\"running\"}"]);
        Assert.Equal(0, scrape["tickrunner_runners{status=\"paused\"}"]);
        Assert.Equal(1, scrape["tickrunner_websocket_clients"]);
        Assert.Equal(1, scrape["tickrunner_backtests_finished_total{status=\"done\"}"]);
        Assert.Equal(500, scrape["tickrunner_backtest_bars_total"]);
        Assert.Equal(0, scrape["tickrunner_backtests{status=\"running\"}"]);
        Assert.Equal(1, scrape["tickrunner_optimizations_finished_total{status=\"done\"}"]);
        Assert.Equal(0, scrape["tickrunner_optimizations{status=\"running\"}"]);
        Assert.Equal(0, scrape["tickrunner_optimizations{status=\"queued\"}"]);
        Assert.Equal(4, scrape["tickrunner_optimization_trials_total"]);
        Assert.True(scrape[LatencyCount] > 0);
        Assert.Equal(scrape[LatencyCount], scrape["tickrunner_tick_to_hub_latency_seconds_bucket{le=\"+Inf\"}"]);
        // Only the fixed labels: no runner id, symbol or job id is ever a label value.
        Assert.DoesNotContain("\"btc\"", scrape.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("BTCUSDT", scrape.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("bt-1", scrape.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("opt-1", scrape.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Counters_move_with_ticks_frames_requests_and_backtests()
    {
        await using var server = await RunningServer.StartAsync();
        await server.CreateRunnerAsync("btc", "BTCUSDT");
        await server.UploadOkAsync(Csv(700), "bars");
        var before = await MetricsScrape.TakeAsync(server);

        using (var client = await server.ConnectAsync())
        {
            for (var i = 0; i < 3; i++) Assert.NotNull(await client.ReceiveUntilAsync(m => m.Tag() == "TickReceived"));
        }
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/api/runners/btc")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/api/runners/nobody")).StatusCode);
        await server.WaitForAsync(await server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "bars" }), "done");
        var after = await MetricsScrape.TakeAsync(server);

        await after.CheckWithPromtoolAsync();
        Assert.True(after[TicksProcessed] > before[TicksProcessed]);
        Assert.True(after["tickrunner_bars_received_total"] > before["tickrunner_bars_received_total"]);
        Assert.True(after["tickrunner_events_published_total"] > before["tickrunner_events_published_total"]);
        Assert.True(after[LatencyCount] > before[LatencyCount]);
        Assert.True(after["tickrunner_tick_to_hub_latency_seconds_sum"] > before["tickrunner_tick_to_hub_latency_seconds_sum"]);
        // The client received three ticks, and perhaps more frames before it closed.
        Assert.True(after["tickrunner_websocket_frames_sent_total"] - before["tickrunner_websocket_frames_sent_total"] >= 3);
        // Requests are counted by route pattern, not path: both runner reads are one route, told apart by their status.
        Assert.Equal(1, after["tickrunner_http_requests_total{method=\"GET\",route=\"/api/runners/{id}\",code=\"200\"}"]);
        Assert.Equal(1, after["tickrunner_http_requests_total{method=\"GET\",route=\"/api/runners/{id}\",code=\"404\"}"]);
        Assert.Equal(1, after["tickrunner_http_requests_total{method=\"POST\",route=\"/api/backtests\",code=\"202\"}"]);
        Assert.Equal(1, after["tickrunner_http_requests_total{method=\"GET\",route=\"/ws\",code=\"101\"}"]);
        Assert.True(after["tickrunner_http_requests_total{method=\"GET\",route=\"/metrics\",code=\"200\"}"] >= 1); // the first scrape
        Assert.Equal(700, after["tickrunner_backtest_bars_total"] - before["tickrunner_backtest_bars_total"]);
        Assert.Equal(1, after["tickrunner_backtests_finished_total{status=\"done\"}"] - before["tickrunner_backtests_finished_total{status=\"done\"}"]);
    }

    [Fact]
    public async Task A_request_that_fails_with_an_exception_is_counted_as_500_on_its_route()
    {
        // The health endpoint's service cannot be made: its handler throws, and the exception handler answers 500.
        await using var server = await RunningServer.StartAsync(configure: b => b.Host.UseServiceProviderFactory(new LastWord(services =>
            services.AddSingleton<Health.HealthService>(_ => throw new InvalidOperationException("no health today")))));
        Assert.Equal(HttpStatusCode.InternalServerError, (await server.Http.GetAsync("/api/health")).StatusCode);

        var scrape = await MetricsScrape.TakeAsync(server);

        Assert.Equal(1, scrape["tickrunner_http_requests_total{method=\"GET\",route=\"/api/health\",code=\"500\"}"]);
    }

    // Registers after the server's own registrations (the builder's configure callback runs before them), so they win.
    private sealed class LastWord(Action<IServiceCollection> register) : IServiceProviderFactory<IServiceCollection>
    {
        public IServiceCollection CreateBuilder(IServiceCollection services)
        {
            register(services);
            return services;
        }

        public IServiceProvider CreateServiceProvider(IServiceCollection services) => services.BuildServiceProvider();
    }

    [Fact]
    public async Task Errors_are_counted_by_severity_and_rejections_by_action_kind()
    {
        await using var server = await RunningServer.StartAsync();
        await server.UploadStrategyAsync("boom", """
            function detect_opportunity(md, ctx, ind) error("boom") end
            function filter_commitment(md, ctx, ind) return nil end
            function manage_position(md, ctx, ind) return nil end
            """);
        // Analyzing on the first bar, then an entry the account can never pay for: rejected on every bar after.
        await server.UploadStrategyAsync("greedy", """
            function detect_opportunity(md, ctx, ind) return { signal = "any" } end
            function filter_commitment(md, ctx, ind) return { action = "enter_long", price = md.close, quantity = 1e12 } end
            function manage_position(md, ctx, ind) return nil end
            """);
        await server.CreateRunnerAsync("errs", "BTCUSDT", "boom");
        await server.CreateRunnerAsync("greedy", "ETHUSDT", "greedy");
        var stopping = await server.PostJsonAsync("/api/runners",
            """{"runner_id":"fatal","symbol":"SOLUSDT","strategy_name":"boom","config":{"stop_on_error":true}}""");
        Assert.Equal(HttpStatusCode.Created, stopping.StatusCode);

        MetricsScrape scrape = null!;
        await Wait.Until(async () =>
        {
            scrape = await MetricsScrape.TakeAsync(server);
            return scrape["tickrunner_errors_total{severity=\"error\"}"] >= 3 && scrape["tickrunner_errors_total{severity=\"warning\"}"] >= 3
                && scrape["tickrunner_runners{status=\"stopped\"}"] == 1;
        }, what: "errors of every severity");

        await scrape.CheckWithPromtoolAsync();
        Assert.Equal(1, scrape["tickrunner_errors_total{severity=\"critical\"}"]); // the stop_on_error runner, once: then it stopped
        Assert.Equal(2, scrape["tickrunner_runners{status=\"running\"}"]);
        var rejected = scrape["tickrunner_actions_total{kind=\"enter_long\",result=\"rejected\"}"];
        Assert.True(rejected >= 3);
        // Each rejection is also a warning; the scrape reads the runners one after another, so allow a tick between them.
        Assert.InRange(scrape["tickrunner_errors_total{severity=\"warning\"}"] - rejected, -1, 1);
        Assert.Equal(0, scrape["tickrunner_actions_total{kind=\"enter_long\",result=\"executed\"}"]);
    }

    [Fact]
    public async Task Dropped_ticks_rejected_bars_and_executed_actions_move_their_series()
    {
        // A replay of a bar a millisecond with one malformed row: a runner four bars deep that spends milliseconds on each
        // drops most of them, and one that trades has its entries and exits counted as executed.
        var csv = Path.Combine(Path.GetTempPath(), $"tickrunner-metrics-{Guid.NewGuid():N}.csv");
        var lines = Csv(20_000).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        lines.Insert(100, "not,a,bar,at,all,really");
        await File.WriteAllLinesAsync(csv, lines);
        try
        {
            await using var server = await RunningServer.StartAsync(new()
            {
                ["Tickrunner:Feed:Kind"] = "Replay",
                ["Tickrunner:Feed:ReplayFiles:0"] = $"TESTUSDT={csv}",
                ["Tickrunner:Feed:ReplaySpeed"] = "60000", // a one-minute bar every millisecond
                ["Tickrunner:Engine:InboxCapacity"] = "4",
            });
            await server.UploadStrategyAsync("trader", Trader);
            await server.UploadStrategyAsync("slow", Slow.Replace("20000", "400000", StringComparison.Ordinal)); // some ms a bar
            await server.CreateRunnerAsync("trades", "TESTUSDT", "trader");
            await server.CreateRunnerAsync("slow", "TESTUSDT", "slow");

            MetricsScrape scrape = null!;
            foreach (var series in new[] { "tickrunner_ticks_dropped_total", "tickrunner_bars_rejected_total",
                         "tickrunner_actions_total{kind=\"enter_long\",result=\"executed\"}", "tickrunner_actions_total{kind=\"exit\",result=\"executed\"}" })
                await Wait.Until(async () => (scrape = await MetricsScrape.TakeAsync(server))[series] > 0, 30_000, $"{series} to move");
            await scrape.CheckWithPromtoolAsync();
            Assert.Equal(1, scrape["tickrunner_bars_rejected_total"]); // the one malformed row
            var dropped = (await server.GetJsonAsync("/api/runners/slow")).GetProperty("stats").GetProperty("ticks_dropped").GetInt64();
            Assert.True(dropped > 0, "the slow runner's own count of dropped ticks");
        }
        finally
        {
            File.Delete(csv);
        }
    }

    [Fact]
    public async Task Job_gauges_count_queued_and_running_jobs_and_the_finished_totals_count_failures_and_cancellations()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Tickrunner:Backtests:Workers"] = "1" });
        await server.UploadOkAsync(Csv(40_000, skip: new HashSet<int>(Enumerable.Range(20_000, 100))), "long");
        await server.UploadStrategyAsync("slow", Slow);
        await server.UploadStrategyAsync("slow_params", "params = { n = { default = 1, min = 1, max = 50, step = 1 } }\n" + Slow);
        var gapFrom = Start + 20_010 * Minute;
        var gapTo = Start + 20_050 * Minute;

        // Backtests: one running, one waiting for the only worker; both cancelled; a range inside the gap fails.
        var running = await server.SubmitAsync(new { strategy_name = "slow", dataset = "long" });
        await server.WaitForAsync(running, "running");
        var queued = await server.SubmitAsync(new { strategy_name = "slow", dataset = "long" });
        var scrape = await MetricsScrape.TakeAsync(server);
        Assert.Equal(1, scrape["tickrunner_backtests{status=\"running\"}"]);
        Assert.Equal(1, scrape["tickrunner_backtests{status=\"queued\"}"]);
        foreach (var id in new[] { queued, running }) await server.PostJsonAsync($"/api/backtests/{id}/cancel", "");
        await server.WaitForAsync(running, "cancelled");
        var failing = await server.SubmitAsync(new { strategy_name = "slow", dataset = "long", from = gapFrom, to = gapTo });
        await server.WaitForAsync(failing, "failed");

        // Optimizations: one runs (one at a time), the next waits; both cancelled; one over the gap fails.
        async Task<string> Optimize(object body)
        {
            var response = await server.PostJsonAsync("/api/optimizations", System.Text.Json.JsonSerializer.Serialize(body));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return response.Headers.Location!.ToString();
        }
        async Task WaitFor(string location, string status) => await Wait.Until(async () =>
            (await server.GetJsonAsync(location)).GetProperty("status").GetString() == status, 60_000, $"{location} to be {status}");
        var optimizing = await Optimize(new { strategy_name = "slow_params", dataset = "long", method = "random", trials = 1000 });
        await WaitFor(optimizing, "running");
        var waiting = await Optimize(new { strategy_name = "slow_params", dataset = "long", method = "random", trials = 1000 });
        scrape = await MetricsScrape.TakeAsync(server);
        Assert.Equal(1, scrape["tickrunner_optimizations{status=\"running\"}"]);
        Assert.Equal(1, scrape["tickrunner_optimizations{status=\"queued\"}"]);
        foreach (var location in new[] { waiting, optimizing }) await server.PostJsonAsync($"{location}/cancel", "");
        await WaitFor(optimizing, "cancelled");
        var broken = await Optimize(new { strategy_name = "slow_params", dataset = "long", method = "random", trials = 2, from = gapFrom, to = gapTo });
        await WaitFor(broken, "failed");

        scrape = await MetricsScrape.TakeAsync(server);
        await scrape.CheckWithPromtoolAsync();
        Assert.Equal(2, scrape["tickrunner_backtests_finished_total{status=\"cancelled\"}"]);
        Assert.Equal(1, scrape["tickrunner_backtests_finished_total{status=\"failed\"}"]);
        Assert.Equal(2, scrape["tickrunner_optimizations_finished_total{status=\"cancelled\"}"]);
        Assert.Equal(1, scrape["tickrunner_optimizations_finished_total{status=\"failed\"}"]);
        Assert.Equal(0, scrape["tickrunner_backtests{status=\"running\"}"] + scrape["tickrunner_backtests{status=\"queued\"}"]);
        Assert.Equal(0, scrape["tickrunner_optimizations{status=\"running\"}"] + scrape["tickrunner_optimizations{status=\"queued\"}"]);
    }

    [Fact]
    public async Task A_removed_runner_leaves_the_status_gauge_but_its_counts_stay_in_the_totals()
    {
        await using var server = await RunningServer.StartAsync();
        await server.CreateRunnerAsync("stays", "BTCUSDT");
        await server.CreateRunnerAsync("goes", "ETHUSDT");
        await server.PostJsonAsync("/api/runners/stays/pause", "");
        await Wait.Until(() => Totals(server).TicksProcessed >= 10, what: "some ticks");
        var scrape = await MetricsScrape.TakeAsync(server);
        Assert.Equal(1, scrape["tickrunner_runners{status=\"paused\"}"]);
        Assert.Equal(1, scrape["tickrunner_runners{status=\"running\"}"]);
        var before = Totals(server).TicksProcessed;

        Assert.Equal(HttpStatusCode.NoContent, (await server.Http.DeleteAsync("/api/runners/goes")).StatusCode);

        // The engine's own totals, not the series: a counter series never shows a fall (it would read to Prometheus as a restart).
        Assert.True(Totals(server).TicksProcessed >= before);
        scrape = await MetricsScrape.TakeAsync(server);
        Assert.Equal(0, scrape["tickrunner_runners{status=\"running\"}"]);
        Assert.Equal(1, scrape["tickrunner_runners{status=\"paused\"}"]);
    }

    [Fact]
    public async Task A_runner_started_again_keeps_its_old_instance_counts_in_the_totals()
    {
        await using var server = await RunningServer.StartAsync();
        await server.CreateRunnerAsync("again", "BTCUSDT");
        await Wait.Until(() => Totals(server).TicksProcessed >= 10, what: "some ticks");
        await server.PostJsonAsync("/api/runners/again/stop", "");
        var before = Totals(server).TicksProcessed;

        var started = await server.PostJsonAsync("/api/runners/again/start", "");
        Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());

        // A new instance counts from 0; the old one's ticks stay counted.
        Assert.True(Totals(server).TicksProcessed >= before);
        Assert.Equal(1, (await MetricsScrape.TakeAsync(server))["tickrunner_runners{status=\"running\"}"]);
    }

    private static EngineTotals Totals(RunningServer server)
    {
        var totals = new EngineTotals();
        server.Services.GetRequiredService<TradingEngine>().ReadTotals(totals);
        return totals;
    }

    [Fact]
    public async Task Events_dropped_for_a_client_that_stopped_reading_are_counted_with_their_lag_notice()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Tickrunner:WebSockets:QueueSize"] = "4" });
        for (var i = 0; i < 6; i++) await server.CreateRunnerAsync($"r{i}", "BTCUSDT");
        using var stuck = await RawWebSocketClient.ConnectAsync(server.BaseAddress, "/ws");

        // Counted as the events are dropped, while the client still reads nothing.
        await Wait.Until(async () => (await MetricsScrape.TakeAsync(server))["tickrunner_websocket_frames_dropped_total"] > 0,
            what: "dropped frames to be counted");
        using var timeout = new CancellationTokenSource(15_000);
        while ((await stuck.ReceiveAsync(timeout.Token)).Tag() != "Lagged")
        {
        }
        var scrape = await MetricsScrape.TakeAsync(server);
        Assert.True(scrape["tickrunner_websocket_lag_notices_total"] >= 1);
        Assert.True(scrape["tickrunner_websocket_frames_sent_total"] >= 1);
    }

    [Fact]
    public async Task A_scrape_costs_the_same_with_two_runners_or_two_hundred()
    {
        // The process series read the OS's thread list, which changes with the thread pool: left out, so that only the
        // server's own work is measured.
        await using var server = await RunningServer.StartAsync(new() { ["Tickrunner:Metrics:ProcessMetrics"] = "false" });
        var metrics = server.Services.GetRequiredService<TickrunnerMetrics>();
        var symbols = new[] { "BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT" };
        await server.CreateRunnerAsync("r0", "BTCUSDT");
        await server.CreateRunnerAsync("r1", "ETHUSDT");
        var few = Measure(metrics);

        for (var i = 2; i < 200; i++) await server.CreateRunnerAsync($"r{i}", symbols[i % symbols.Length]);
        Assert.Equal(200, (await MetricsScrape.TakeAsync(server))["tickrunner_runners{status=\"running\"}"]);
        var many = Measure(metrics);

        // Copying the counts into the series allocates nothing at all; the whole scrape (text included) the same with 200 runners.
        Assert.Equal(0, few.Update);
        Assert.Equal(0, many.Update);
        Assert.True(Math.Abs(many.Scrape - few.Scrape) < 256, $"a scrape allocated {few.Scrape} bytes with 2 runners, {many.Scrape} with 200");
    }

    // The fewest bytes this thread allocated over a few rounds (a first round may still create what later ones reuse).
    private static (long Update, long Scrape) Measure(TickrunnerMetrics metrics)
    {
        var buffer = new MemoryStream(1 << 20);
        long update = long.MaxValue, scrape = long.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var start = GC.GetAllocatedBytesForCurrentThread();
            metrics.Update();
            update = Math.Min(update, GC.GetAllocatedBytesForCurrentThread() - start);

            buffer.SetLength(0);
            start = GC.GetAllocatedBytesForCurrentThread();
            // A memory stream completes every write at once: the whole export runs on this thread.
            metrics.WriteAsync(buffer, CancellationToken.None).GetAwaiter().GetResult();
            scrape = Math.Min(scrape, GC.GetAllocatedBytesForCurrentThread() - start);
        }
        return (update, scrape);
    }

    [Fact]
    public async Task With_metrics_off_the_route_answers_404_saying_so()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Tickrunner:Metrics:Enabled"] = "false" });
        var response = await server.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Tickrunner:Metrics:Enabled", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Latency_buckets_come_from_the_configuration()
    {
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Tickrunner:Metrics:TickLatencyBuckets:0"] = "0.001",
            ["Tickrunner:Metrics:TickLatencyBuckets:1"] = "0.1",
        });
        await server.CreateRunnerAsync("btc");
        var scrape = await MetricsScrape.TakeAsync(server);
        var buckets = scrape.Samples.Keys.Where(k => k.StartsWith("tickrunner_tick_to_hub_latency_seconds_bucket", StringComparison.Ordinal)).ToList();
        Assert.Equal(["le=\"0.001\"", "le=\"0.1\"", "le=\"+Inf\""], buckets.Select(k => k[(k.IndexOf('{') + 1)..^1]));
    }
}
