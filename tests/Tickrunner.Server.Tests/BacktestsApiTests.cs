using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;
using static Tickrunner.Server.Tests.BacktestTestData;

namespace Tickrunner.Server.Tests;

public sealed class BacktestsApiTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    // One worker and a queue of one: the tests below decide exactly which job runs and which waits.
    private static Dictionary<string, string?> OneWorker => new() { ["Tickrunner:Backtests:Workers"] = "1", ["Tickrunner:Backtests:QueueLimit"] = "1" };

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(OneWorker);
        await _server.UploadOkAsync(Csv(3000), "bars");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_backtest_through_the_api_gives_the_report_trades_and_equity_of_Backtest_Run()
    {
        await _server.UploadStrategyAsync("trader", Trader);
        var from = Start + 100 * Minute;
        var to = Start + 2800 * Minute;
        var id = await _server.SubmitAsync(new
        {
            strategy_name = "trader", dataset = "bars", from, to, window_size = 50, initial_capital = 5000, fee_bps = 5,
            slippage_bps = 2, fill = "next_open", stops = "intrabar",
        });
        var job = await _server.WaitForAsync(id, "done", "failed");
        Assert.Equal("done", job.GetProperty("status").GetString());
        Assert.Equal(1.0, job.GetProperty("progress").GetDouble());
        Assert.Equal(2701, job.GetProperty("bars_done").GetInt64());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("error").ValueKind);
        var settings = job.GetProperty("settings");
        Assert.Equal(50, settings.GetProperty("window_size").GetInt32());
        Assert.Equal("next_open", settings.GetProperty("account").GetProperty("fill").GetString());

        // The same bars and settings in process.
        var store = _server.Services.GetRequiredService<DatasetStore>();
        var sandbox = _server.Services.GetRequiredService<IOptions<LuaSandboxOptions>>().Value;
        var expected = Backtest.Run("trader", Trader, store.Load("bars"), new BacktestSettings
        {
            Account = new AccountSettings { InitialCapital = 5000, FeeBps = 5, SlippageBps = 2, Fill = FillTiming.NextOpen, Stops = StopTiming.Intrabar },
            WindowSize = 50, From = from, To = to,
        }, sandbox);
        var report = job.GetProperty("report");
        Assert.Equal(expected.Report.Digest, report.GetProperty("digest").GetString());
        Assert.Equal(JsonDocument.Parse(expected.ReportJson()).RootElement.ToString(), report.ToString());
        Assert.True(expected.Trades.Count > 100, $"{expected.Trades.Count} trades");

        // Trades, page by page, are the trade list of the run.
        var pages = new List<JsonElement>();
        for (var offset = 0; ; offset += 250)
        {
            var page = await _server.GetJsonAsync($"/api/backtests/{id}/trades?offset={offset}&limit=250");
            pages.AddRange(page.EnumerateArray());
            if (page.GetArrayLength() < 250) break;
        }
        Assert.Equal(JsonDocument.Parse(expected.TradesJson()).RootElement.EnumerateArray().Select(t => t.ToString()), pages.Select(t => t.ToString()));
        Assert.Equal(expected.Trades.Count, (await _server.GetJsonAsync($"/api/backtests/{id}/trades?limit=100000")).GetArrayLength());
        Assert.Equal(0, (await _server.GetJsonAsync($"/api/backtests/{id}/trades?offset=100000")).GetArrayLength());
        foreach (var query in new[] { "offset=-1", "limit=0", "limit=100001", "offset=x", "from=x", "from=10&to=9" })
            await ProblemAsync(await _server.Http.GetAsync($"/api/backtests/{id}/trades?{query}"), 400);

        // A time range keeps the trades open at some time in it (exit ≥ from, entry ≤ to), for the chart's markers.
        var windowFrom = expected.Trades[40].ExitTimestamp;
        var windowTo = expected.Trades[60].EntryTimestamp;
        var inWindow = await _server.GetJsonAsync($"/api/backtests/{id}/trades?from={windowFrom}&to={windowTo}&limit=100000");
        var wanted = expected.Trades.Where(t => t.ExitTimestamp >= windowFrom && t.EntryTimestamp <= windowTo).ToList();
        Assert.InRange(wanted.Count, 21, 22);
        Assert.Equal(wanted.Select(t => t.EntryTimestamp), inWindow.EnumerateArray().Select(t => t.GetProperty("entry_timestamp").GetInt64()));
        var second = await _server.GetJsonAsync($"/api/backtests/{id}/trades?from={windowFrom}&to={windowTo}&offset=1&limit=1");
        Assert.Equal(wanted[1].EntryTimestamp, second[0].GetProperty("entry_timestamp").GetInt64());

        // Two days in one month: one row whose return is the run's.
        var monthly = await _server.GetJsonAsync($"/api/backtests/{id}/monthly");
        Assert.Equal(1, monthly.GetArrayLength());
        Assert.Equal("2024-01", monthly[0].GetProperty("month").GetString());
        Assert.Equal(5000, monthly[0].GetProperty("start_equity").GetDouble());
        Assert.Equal(expected.Report.FinalEquity, monthly[0].GetProperty("end_equity").GetDouble());
        Assert.Equal(expected.Report.TotalReturnPct, monthly[0].GetProperty("return_pct").GetDouble(), 9);

        // Every point of the equity curve, or exactly N for display with the first and last kept.
        var equity = await _server.GetJsonAsync($"/api/backtests/{id}/equity");
        Assert.Equal(expected.Equity.Count, equity.GetArrayLength());
        for (var i = 0; i < expected.Equity.Count; i++)
        {
            Assert.Equal(expected.Times[i], equity[i][0].GetInt64());
            Assert.Equal(expected.Equity[i], equity[i][1].GetDouble());
        }
        var thin = await _server.GetJsonAsync($"/api/backtests/{id}/equity?points=102");
        Assert.Equal(102, thin.GetArrayLength());
        Assert.Equal(equity[0].ToString(), thin[0].ToString());
        Assert.Equal(equity[equity.GetArrayLength() - 1].ToString(), thin[101].ToString());
        var times = thin.EnumerateArray().Select(p => p[0].GetInt64()).ToList();
        Assert.Equal(times.Order().Distinct(), times); // in time order, no point twice
        var full = equity.EnumerateArray().ToDictionary(p => p[0].GetInt64(), p => p[1].GetDouble());
        Assert.All(thin.EnumerateArray(), p => Assert.Equal(full[p[0].GetInt64()], p[1].GetDouble()));
        var lowest = expected.Equity.Min();
        Assert.Contains(thin.EnumerateArray(), p => p[1].GetDouble() == lowest); // a bucket's minimum survives
        Assert.Equal(2, (await _server.GetJsonAsync($"/api/backtests/{id}/equity?points=2")).GetArrayLength());
        foreach (var query in new[] { "points=1", "points=abc" })
            await ProblemAsync(await _server.Http.GetAsync($"/api/backtests/{id}/equity?{query}"), 400);

        // The history lists it with its headline metrics.
        var listed = (await _server.GetJsonAsync("/api/backtests"))[0];
        Assert.Equal(id, listed.GetProperty("id").GetString());
        Assert.Equal(expected.Report.TotalReturnPct, listed.GetProperty("total_return_pct").GetDouble());
        Assert.Equal(expected.Report.MaxDrawdownPct, listed.GetProperty("max_drawdown_pct").GetDouble());
        Assert.Equal(expected.Report.Trades, listed.GetProperty("trades").GetInt32());
        Assert.Equal("bars", listed.GetProperty("dataset").GetString());
        await ProblemAsync(await _server.PostJsonAsync($"/api/backtests/{id}/cancel", ""), 409);
    }

    [Fact]
    public async Task The_workers_run_below_the_runners_and_still_finish_jobs()
    {
        var id = await _server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "bars" });
        Assert.Equal("done", (await _server.WaitForAsync(id, "done", "failed")).GetProperty("status").GetString());
        if (!OperatingSystem.IsLinux()) return;

        // Every backtest worker in this process (other test classes run servers too; a just-started worker lowers
        // itself first thing, so it is given a moment): SCHED_IDLE (policy 5), or nice 19 where that was refused.
        var lowered = false;
        for (var attempt = 0; attempt < 50 && !lowered; attempt++)
        {
            var workers = WorkerThreads();
            lowered = workers.Count > 0 && workers.All(w => w.Policy == "5" || w.Nice == "19");
            if (!lowered) await Task.Delay(100);
        }
        Assert.True(lowered, string.Join("; ", WorkerThreads().Select(w => $"policy {w.Policy}, nice {w.Nice}")));
    }

    private static List<(string Policy, string Nice)> WorkerThreads()
    {
        var found = new List<(string, string)>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith("backtest-", StringComparison.Ordinal)) continue;
                var policy = File.ReadLines(Path.Combine(task, "sched")).First(l => l.StartsWith("policy", StringComparison.Ordinal)).Split(':')[1].Trim();
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                found.Add((policy, stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16])); // nice: the 19th field of stat
            }
            catch (IOException)
            {
                // a thread that ended meanwhile
            }
        }
        return found;
    }

    [Fact]
    public async Task Bad_submissions_name_what_is_wrong()
    {
        async Task<JsonElement> Refused(object body, int status) =>
            await ProblemAsync(await _server.PostJsonAsync("/api/backtests", JsonSerializer.Serialize(body)), status);
        static string[] Fields(JsonElement problem) => [.. problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order()];

        Assert.Equal(new[] { "dataset", "strategy_name" }, Fields(await Refused(new { }, 400)));
        Assert.Equal(new[] { "strategy_name" }, Fields(await Refused(new { strategy_name = "missing", dataset = "bars" }, 400)));
        Assert.Equal(new[] { "fill" }, Fields(await Refused(new { strategy_name = "ema_crossover", dataset = "bars", fill = "sometimes" }, 400)));
        Assert.Equal(new[] { "fee_bps", "window_size" }, Fields(await Refused(new { strategy_name = "ema_crossover", dataset = "bars", fee_bps = -1, window_size = 0 }, 400)));
        Assert.Equal(new[] { "to" }, Fields(await Refused(new { strategy_name = "ema_crossover", dataset = "bars", from = Start + 10, to = Start }, 400)));
        Assert.Equal(new[] { "from" }, Fields(await Refused(new { strategy_name = "ema_crossover", dataset = "bars", from = Start + 3000 * Minute }, 400)));
        Assert.Equal(new[] { "to" }, Fields(await Refused(new { strategy_name = "ema_crossover", dataset = "bars", to = Start - 1 }, 400)));
        Assert.Equal(new[] { "dataset" }, Fields(await Refused(new { strategy_name = "ema_crossover", dataset = "bad/id" }, 400)));

        var unknown = await Refused(new { strategy_name = "ema_crossover", dataset = "nope" }, 422);
        Assert.Equal(new[] { "dataset" }, Fields(unknown));
        Assert.Contains("'nope'", unknown.GetProperty("detail").GetString());

        var syntax = await Refused(new { code = "function detect_opportunity()\n  local x = = 1\nend", dataset = "bars" }, 422);
        Assert.Equal("Invalid Lua strategy", syntax.GetProperty("title").GetString());
        Assert.Equal(2, syntax.GetProperty("diagnostics")[0].GetProperty("line").GetInt32());
        Assert.StartsWith("2:", syntax.GetProperty("errors").GetProperty("code")[0].GetString());

        await ProblemAsync(await _server.Http.GetAsync("/api/backtests/bt-999"), 404);
        await ProblemAsync(await _server.Http.GetAsync("/api/backtests/whatever"), 404);
        await ProblemAsync(await _server.Http.GetAsync("/api/backtests/bt-999/trades"), 404);
        await ProblemAsync(await _server.Http.GetAsync("/api/backtests/bt-999/equity"), 404);
        await ProblemAsync(await _server.PostJsonAsync("/api/backtests/bt-999/cancel", ""), 404);
        await ProblemAsync(await _server.Http.DeleteAsync("/api/backtests/bt-999"), 404);
        Assert.Empty((await _server.GetJsonAsync("/api/backtests")).EnumerateArray());
    }

    [Fact]
    public async Task A_strategy_error_at_run_time_fails_the_job_with_its_lua_line()
    {
        var id = await _server.SubmitAsync(new { strategy_name = "failing", code = Failing, dataset = "bars" });
        var job = await _server.WaitForAsync(id, "done", "failed");
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Contains("failing.lua:4: attempt to index a nil value (local 'x')", job.GetProperty("error").GetString());
        Assert.Equal(12, job.GetProperty("report").GetProperty("bars").GetInt32()); // the report covers the bars up to the failing one
        Assert.Equal(12, job.GetProperty("bars_done").GetInt64());
        Assert.Contains("failing.lua:4", (await _server.GetJsonAsync("/api/backtests"))[0].GetProperty("error").GetString());
    }

    [Fact]
    public async Task Cancel_ends_a_running_job_within_a_few_thousand_bars_and_a_queued_one_at_once_and_a_full_queue_is_429()
    {
        await _server.UploadOkAsync(Csv(60_000), "long");
        var running = await _server.SubmitAsync(new { strategy_name = "slow", code = Slow, dataset = "long" });
        await _server.WaitForAsync(running, "running");
        var queued = await _server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "bars" });
        var full = await ProblemAsync(await _server.PostJsonAsync("/api/backtests", JsonSerializer.Serialize(new { strategy_name = "ema_crossover", dataset = "bars" })), 429);
        Assert.Contains("QueueLimit", full.GetProperty("detail").GetString());

        var waiting = await _server.BacktestAsync(queued);
        Assert.Equal("queued", waiting.GetProperty("status").GetString());
        var cancelledQueued = await (await _server.PostJsonAsync($"/api/backtests/{queued}/cancel", "")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("cancelled", cancelledQueued.GetProperty("status").GetString());

        var response = await _server.PostJsonAsync($"/api/backtests/{running}/cancel", "");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cancelled = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.True(cancelled.GetProperty("bars_done").GetInt64() < 60_000);
        Assert.Equal(JsonValueKind.Null, cancelled.GetProperty("report").ValueKind);
        Assert.Equal("cancelled", (await _server.BacktestAsync(running)).GetProperty("status").GetString());
        await ProblemAsync(await _server.PostJsonAsync($"/api/backtests/{running}/cancel", ""), 409);
        Assert.Equal(0, (await _server.GetJsonAsync($"/api/backtests/{running}/equity")).GetArrayLength());

        // The worker is free again: the next job runs to the end.
        var next = await _server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "bars" });
        Assert.Equal("done", (await _server.WaitForAsync(next, "done", "failed")).GetProperty("status").GetString());
        Assert.Equal(new[] { next, queued, running }, (await _server.GetJsonAsync("/api/backtests")).EnumerateArray().Select(b => b.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task A_dataset_in_use_cannot_be_deleted_and_deleting_a_running_job_cancels_it()
    {
        await _server.UploadOkAsync(Csv(60_000), "long");
        var id = await _server.SubmitAsync(new { strategy_name = "slow", code = Slow, dataset = "long" });
        await _server.WaitForAsync(id, "running");
        var inUse = await ProblemAsync(await _server.Http.DeleteAsync("/api/datasets/long"), 409);
        Assert.Contains($"backtest {id}", inUse.GetProperty("detail").GetString());
        await ProblemAsync(await _server.UploadAsync(Csv(10), "symbol=TESTUSDT&id=long&overwrite=true"), 409);

        Assert.Equal(HttpStatusCode.NoContent, (await _server.Http.DeleteAsync($"/api/backtests/{id}")).StatusCode);
        await ProblemAsync(await _server.Http.GetAsync($"/api/backtests/{id}"), 404);
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Http.DeleteAsync("/api/datasets/long")).StatusCode);
    }

    [Fact]
    public async Task Progress_and_the_end_of_a_job_arrive_on_the_websocket_and_only_for_those_who_ask()
    {
        using var backtests = await _server.ConnectAsync("type=BacktestProgress,BacktestFinished");
        using var bySymbol = await _server.ConnectAsync("symbol=BTCUSDT");
        using var byRunner = await _server.ConnectAsync("runner_id=r1");
        await _server.UploadOkAsync(Csv(200_000), "many");
        var id = await _server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "many" });

        var frames = new List<JsonElement>();
        while (true)
        {
            var message = await backtests.ReceiveUntilAsync(m => m.Tag() is "BacktestProgress" or "BacktestFinished", 60_000);
            Assert.NotNull(message);
            frames.Add(message.Value);
            if (message.Value.Tag() == "BacktestFinished") break;
        }
        Assert.All(frames, f => Assert.Equal(id, f.Payload().GetProperty("backtest_id").GetString()));
        Assert.All(frames, f => Assert.False(f.Payload().TryGetProperty("runner_id", out _)));
        var seqs = frames.Select(f => f.Payload().GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(seqs.Order(), seqs);
        var progress = frames[..^1];
        Assert.NotEmpty(progress);
        Assert.All(progress, f => Assert.Equal("BacktestProgress", f.Tag()));
        var done = progress.Select(f => f.Payload().GetProperty("bars_done").GetInt64()).ToList();
        Assert.Equal(done.Order(), done);
        Assert.Equal(0, done[0]);
        Assert.Equal(200_000, done[^1]);
        Assert.Equal(1.0, progress[^1].Payload().GetProperty("progress").GetDouble());
        Assert.True(progress[^1].Payload().GetProperty("bars_per_second").GetDouble() > 0);
        Assert.True(frames[^1].Payload().GetProperty("timestamp").GetInt64() > 0);
        Assert.Equal("done", frames[^1].Payload().GetProperty("status").GetString());
        Assert.Equal("done", (await _server.BacktestAsync(id)).GetProperty("status").GetString()); // stored before it was announced

        // A runner created now emits events after the backtest's: had the symbol or runner filters passed the backtest's
        // events, they would have arrived first.
        await _server.CreateRunnerAsync("r1");
        foreach (var socket in new[] { bySymbol, byRunner })
        {
            var first = await socket.ReceiveUntilAsync(m => m.Tag() != "Heartbeat", 15_000);
            Assert.NotNull(first);
            Assert.Equal("RunnerStarted", first.Value.Tag());
        }
    }

    [Fact]
    public async Task Jobs_queued_or_running_when_the_server_stopped_come_back_failed_as_interrupted()
    {
        var data = Directory.CreateTempSubdirectory("tickrunner-backtest-restart-").FullName;
        try
        {
            string running, queued, finished;
            await using (var first = await RunningServer.StartAsync(OneWorker, data))
            {
                await first.UploadOkAsync(Csv(3000), "bars");
                finished = await first.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "bars" });
                await first.WaitForAsync(finished, "done");
                await first.UploadOkAsync(Csv(60_000), "long");
                running = await first.SubmitAsync(new { strategy_name = "slow", code = Slow, dataset = "long" });
                await first.WaitForAsync(running, "running");
                queued = await first.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "bars" });
            }
            await using var second = await RunningServer.StartAsync(OneWorker, data);
            foreach (var id in new[] { running, queued })
            {
                var job = await second.BacktestAsync(id);
                Assert.Equal("failed", job.GetProperty("status").GetString());
                Assert.Equal("interrupted", job.GetProperty("error").GetString());
            }
            Assert.Equal("done", (await second.BacktestAsync(finished)).GetProperty("status").GetString());
            // The datasets they used are free again, and new ids do not reuse old ones.
            Assert.Equal(HttpStatusCode.NoContent, (await second.Http.DeleteAsync("/api/datasets/long")).StatusCode);
            var next = await second.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "bars" });
            Assert.NotEqual(running, next);
            Assert.NotEqual(queued, next);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }
}
