using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Optimization;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;
using static Tickrunner.Server.Tests.BacktestTestData;

namespace Tickrunner.Server.Tests;

public sealed class OptimizationsApiTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    // A queue of one: the tests below decide which job runs and which waits.
    private static Dictionary<string, string?> OneQueued => new() { ["Tickrunner:Optimizations:QueueLimit"] = "1" };

    private const string Crossover = TestStrategies.Crossover;

    /// <summary>Burns instructions on every bar: each trial over tens of thousands of bars lasts seconds.</summary>
    private const string SlowWithParams = """
        params = { n = { default = 20000, min = 10000, max = 20000, step = 1 } }
        function detect_opportunity(md, ctx)
          local s = 0
          for i = 1, params.n do s = s + i end
          return nil
        end
        function filter_commitment() return nil end
        function manage_position() return nil end
        """;

    private static readonly Dictionary<string, ParameterRange> CrossoverSpace = new()
    {
        ["fast"] = new() { Min = 2, Max = 10 },
        ["slow"] = new() { Min = 20, Max = 40, Step = 10 },
        ["side"] = new() { Choices = ["long", "short"] },
    };

    private static readonly object CrossoverSpaceBody = new
    {
        fast = new { min = 2, max = 10 },
        slow = new { min = 20, max = 40, step = 10 },
        side = new { choices = new[] { "long", "short" } },
    };

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(OneQueued);
        await _server.UploadOkAsync(Csv(3000), "bars");
        await _server.UploadStrategyAsync("crossover", Crossover);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_optimization_through_the_api_gives_the_trials_best_top_and_statistics_of_Optimizer_Run()
    {
        var id = await SubmitAsync(_server, new
        {
            strategy_name = "crossover", dataset = "bars", window_size = 50, fee_bps = 5, method = "random", trials = 16, seed = 5,
            objective = "sharpe", min_trades = 195, top_k = 3, space = CrossoverSpaceBody,
        });
        Assert.StartsWith("opt-", id);
        var job = await WaitForAsync(_server, id, "done", "failed");
        Assert.Equal("done", job.GetProperty("status").GetString());
        Assert.Equal(1.0, job.GetProperty("progress").GetDouble());
        Assert.Equal(16, job.GetProperty("trials_done").GetInt32());
        Assert.Equal(16, job.GetProperty("trials_planned").GetInt32());
        Assert.Equal(0, job.GetProperty("window").GetInt32());
        Assert.Equal(1, job.GetProperty("windows").GetInt32());
        Assert.False(job.GetProperty("stopped_early").GetBoolean());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("walk_forward").ValueKind);
        Assert.Equal(JsonValueKind.Null, job.GetProperty("error").ValueKind);
        var settings = job.GetProperty("settings");
        Assert.Equal("random", settings.GetProperty("method").GetString());
        Assert.Equal(50, settings.GetProperty("backtest").GetProperty("window_size").GetInt32());

        // The same bars and settings in process: the same trials, best, top and statistics.
        var expected = Optimizer.Run("crossover", Crossover, _server.Services.GetRequiredService<DatasetStore>().Load("bars"), new OptimizationSettings
        {
            Method = OptimizationMethod.Random, Trials = 16, Seed = 5, MinTrades = 195, TopK = 3, Space = CrossoverSpace, Parallelism = 1,
            Backtest = new BacktestSettings { WindowSize = 50, Account = AccountSettings.With(null, 5, null, null, null) },
        }, Sandbox(_server));
        Assert.Contains(expected.Trials, t => t.Counts);
        Assert.Contains(expected.Trials, t => !t.Counts); // min_trades leaves some out, so the sort below meets both
        var best = job.GetProperty("best");
        Assert.Equal(expected.Best!.Trial, best.GetProperty("trial").GetInt32());
        Assert.Equal(expected.Best.Report!.Digest, best.GetProperty("report").GetProperty("digest").GetString());
        AssertJson(Serialize(expected.Top, OptimizationJson.Default.IReadOnlyListTrialRow), job.GetProperty("top"));
        var whole = JsonSerializer.SerializeToElement(expected, OptimizationJson.Default.OptimizationResult);
        foreach (var part in new[] { "space", "best", "deflated_sharpe", "overfitting" })
            AssertJson(whole.GetProperty(part), job.GetProperty(part));
        Assert.NotEqual(JsonValueKind.Null, job.GetProperty("deflated_sharpe").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, job.GetProperty("overfitting").ValueKind);
        Assert.Equal("integer", job.GetProperty("space")[0].GetProperty("kind").GetString());

        // Every trial's row, in trial order, is the optimizer's row.
        var byTrial = await _server.GetJsonAsync($"/api/optimizations/{id}/trials?sort=trial&limit=100");
        Assert.Equal(16, byTrial.GetProperty("total").GetInt32());
        var rows = byTrial.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(16, rows.Count);
        for (var i = 0; i < rows.Count; i++) AssertJson(whole.GetProperty("trials")[i], rows[i]);

        // The history lists it with its best objective and values.
        var listed = (await _server.GetJsonAsync("/api/optimizations"))[0];
        Assert.Equal(id, listed.GetProperty("id").GetString());
        Assert.Equal("random", listed.GetProperty("method").GetString());
        Assert.Equal("sharpe", listed.GetProperty("objective").GetString());
        Assert.Equal("TESTUSDT", listed.GetProperty("symbol").GetString());
        Assert.Equal(expected.Best.Objective, listed.GetProperty("best_objective").GetDouble());
        AssertJson(whole.GetProperty("best").GetProperty("params"), listed.GetProperty("best_params"));
        Assert.Equal(16, listed.GetProperty("trials_done").GetInt32());

        // Without walk-forward there is no stitched curve; an ended job cannot be cancelled.
        Assert.Equal(0, (await _server.GetJsonAsync($"/api/optimizations/{id}/walk-forward/equity")).GetArrayLength());
        await ProblemAsync(await _server.PostJsonAsync($"/api/optimizations/{id}/cancel", ""), 409);

        // Deleting removes the job and its trials' rows.
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Http.DeleteAsync($"/api/optimizations/{id}")).StatusCode);
        await ProblemAsync(await _server.Http.GetAsync($"/api/optimizations/{id}"), 404);
        await ProblemAsync(await _server.Http.GetAsync($"/api/optimizations/{id}/trials"), 404);
        Assert.Equal(0L, Scalar(_server, "SELECT COUNT(*) FROM optimization_trials;"));
        Assert.Equal(0L, Scalar(_server, "SELECT COUNT(*) FROM optimizations;"));
    }

    [Fact]
    public async Task Trials_page_and_sort_by_every_key_in_both_orders_with_those_that_do_not_count_last()
    {
        var id = await SubmitAsync(_server, new
        {
            strategy_name = "crossover", dataset = "bars", window_size = 50, method = "random", trials = 14, seed = 9, min_trades = 195,
            space = CrossoverSpaceBody,
        });
        Assert.Equal("done", (await WaitForAsync(_server, id, "done", "failed")).GetProperty("status").GetString());
        var all = (await _server.GetJsonAsync($"/api/optimizations/{id}/trials?sort=trial&limit=10000")).GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(14, all.Count);
        Assert.Contains(all, t => t.GetProperty("status").GetString() != "ok");
        Assert.Contains(all, t => t.GetProperty("status").GetString() == "ok");

        foreach (var sort in new[] { "trial", "objective", "total_return_pct", "sharpe", "max_drawdown_pct", "trades" })
        {
            foreach (var order in new[] { "asc", "desc" })
            {
                var pages = new List<int>();
                for (var offset = 0; ; offset += 4)
                {
                    var page = await _server.GetJsonAsync($"/api/optimizations/{id}/trials?sort={sort}&order={order}&offset={offset}&limit=4");
                    Assert.Equal(14, page.GetProperty("total").GetInt32());
                    var trials = page.GetProperty("trials").EnumerateArray().Select(t => t.GetProperty("trial").GetInt32()).ToList();
                    pages.AddRange(trials);
                    if (trials.Count < 4) break;
                }
                Assert.True(ExpectedOrder(all, sort, order == "desc").SequenceEqual(pages), $"sort={sort}&order={order}: {string.Join(",", pages)}");
            }
        }
        // Defaults: by objective, best first; by trial, ascending; 100 a page.
        var byObjective = await _server.GetJsonAsync($"/api/optimizations/{id}/trials");
        Assert.Equal(ExpectedOrder(all, "objective", true), byObjective.GetProperty("trials").EnumerateArray().Select(t => t.GetProperty("trial").GetInt32()));
        var byTrial = await _server.GetJsonAsync($"/api/optimizations/{id}/trials?sort=trial");
        Assert.Equal(Enumerable.Range(0, 14), byTrial.GetProperty("trials").EnumerateArray().Select(t => t.GetProperty("trial").GetInt32()));
        Assert.Empty((await _server.GetJsonAsync($"/api/optimizations/{id}/trials?offset=14")).GetProperty("trials").EnumerateArray());

        foreach (var (query, field) in new[] { ("sort=bogus", "sort"), ("order=up", "order"), ("limit=0", "limit"), ("limit=10001", "limit"), ("offset=-1", "offset"), ("offset=x", "offset") })
        {
            var problem = await ProblemAsync(await _server.Http.GetAsync($"/api/optimizations/{id}/trials?{query}"), 400);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{query}: {problem}");
        }
    }

    // The order the API promises: by the key, undefined values last, ties by trial; for the objective, the trials that count first.
    private static IEnumerable<int> ExpectedOrder(List<JsonElement> trials, string sort, bool descending)
    {
        if (sort == "trial") return trials.Select(t => t.GetProperty("trial").GetInt32()).OrderBy(t => descending ? -t : t);
        double? Key(JsonElement t)
        {
            var value = sort == "objective" ? t.GetProperty("objective")
                : t.GetProperty("report") is { ValueKind: JsonValueKind.Object } report ? report.GetProperty(sort) : default;
            return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
        }
        bool Counts(JsonElement t) => t.GetProperty("status").GetString() == "ok" && Key(t) is not null;
        return trials.OrderBy(t => sort == "objective" && !Counts(t))
            .ThenBy(t => Key(t) is null)
            .ThenBy(t => Key(t) is { } k ? (descending ? -k : k) : 0)
            .ThenBy(t => t.GetProperty("trial").GetInt32())
            .Select(t => t.GetProperty("trial").GetInt32());
    }

    [Fact]
    public async Task Bad_submissions_name_what_is_wrong_by_field()
    {
        async Task<JsonElement> Refused(object body, int status) =>
            await ProblemAsync(await _server.PostJsonAsync("/api/optimizations", JsonSerializer.Serialize(body)), status);
        async Task<string[]> Fields(object body) =>
            [.. (await Refused(body, 400)).GetProperty("errors").EnumerateObject().Select(p => p.Name).Order()];

        Assert.Equal(["dataset", "strategy_name"], await Fields(new { }));
        Assert.Equal(["fee_bps", "window_size"], await Fields(new { strategy_name = "crossover", dataset = "bars", fee_bps = -1, window_size = 0 }));
        Assert.Equal(["space.fast"], await Fields(new { strategy_name = "crossover", dataset = "bars", space = new { fast = new { min = 9, max = 3 } } }));
        Assert.Equal(["space.fast"], await Fields(new { strategy_name = "crossover", dataset = "bars", space = new { fast = new { min = 1 } } })); // below the declaration
        Assert.Equal(["space.fast"], await Fields(new { strategy_name = "crossover", dataset = "bars", space = new { fast = new { step = 0.5 } } }));
        Assert.Equal(["space.nope"], await Fields(new { strategy_name = "crossover", dataset = "bars", space = new { nope = new { min = 1 } } }));
        Assert.Equal(["space.side"], await Fields(new { strategy_name = "crossover", dataset = "bars", space = new { side = new { min = 1 } } }));
        Assert.Equal(["space.side"], await Fields(new { strategy_name = "crossover", dataset = "bars", space = new { side = new { choices = new[] { "up" } } } }));
        Assert.Equal(["space.fast"], await Fields(new { strategy_name = "crossover", dataset = "bars", space = new { fast = new { min = 2 } }, @params = new { fast = 3 } }));
        Assert.Equal(["space.fast.min"], await Fields(new { strategy_name = "crossover", dataset = "bars", space = new { fast = new { min = "2" } } }));
        Assert.Equal(["params.slow"], await Fields(new { strategy_name = "crossover", dataset = "bars", space = new { fast = new { } }, @params = new { slow = 1000 } }));
        Assert.Equal(["trials"], await Fields(new { strategy_name = "crossover", dataset = "bars", trials = 0 }));
        Assert.Equal(["trials"], await Fields(new { strategy_name = "crossover", dataset = "bars", trials = 100_001 }));
        Assert.Equal(["method"], await Fields(new { strategy_name = "crossover", dataset = "bars", method = "exhaustive" }));
        Assert.Equal(["objective"], await Fields(new { strategy_name = "crossover", dataset = "bars", objective = "luck" }));
        Assert.Equal(["max_drawdown_pct", "min_trades", "patience", "top_k"],
            await Fields(new { strategy_name = "crossover", dataset = "bars", top_k = 0, patience = 0, min_trades = -1, max_drawdown_pct = 101 }));
        Assert.Equal(["walk_forward.test_bars", "walk_forward.train_bars"],
            await Fields(new { strategy_name = "crossover", dataset = "bars", walk_forward = new { train_bars = 1, test_bars = 1 } }));
        Assert.Equal(["walk_forward.test_bars", "walk_forward.train_bars"], await Fields(new { strategy_name = "crossover", dataset = "bars", walk_forward = new { } }));
        Assert.Equal(["walk_forward.windows"],
            await Fields(new { strategy_name = "crossover", dataset = "bars", walk_forward = new { train_bars = 100, test_bars = 100, windows = 0 } }));
        // The dataset's 3,000 bars in range hold one window of 2,000 + 500 but not two, nor any of 2,000 + 2,000.
        var tooShort = await Refused(new { strategy_name = "crossover", dataset = "bars", walk_forward = new { train_bars = 2000, test_bars = 2000 } }, 400);
        Assert.Equal(["walk_forward"], tooShort.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        Assert.Contains("the range has 3,000", tooShort.GetProperty("errors").GetProperty("walk_forward")[0].GetString());
        Assert.Equal(["walk_forward"], await Fields(new { strategy_name = "crossover", dataset = "bars", from = Start + 1000 * Minute,
            walk_forward = new { train_bars = 1500, test_bars = 500, windows = 2 } }));
        Assert.Equal(["from"], await Fields(new { strategy_name = "crossover", dataset = "bars", from = Start + 3000 * Minute }));
        // A grid of every declared value of ema_crossover is far too large; a strategy without parameters has nothing to search.
        Assert.Equal(["space"], await Fields(new { strategy_name = "ema_crossover", dataset = "bars", method = "grid" }));
        Assert.Equal(["space"], await Fields(new { strategy_name = "trader", code = Trader, dataset = "bars" }));

        var unknown = await Refused(new { strategy_name = "crossover", dataset = "nope" }, 422);
        Assert.Equal("Unknown dataset", unknown.GetProperty("title").GetString());
        Assert.True(unknown.GetProperty("errors").TryGetProperty("dataset", out _));
        var syntax = await Refused(new { code = "params = { x = { default = 1, min = 0, max = 2 } }\nfunction detect_opportunity()\n  local x = = 1\nend", dataset = "bars" }, 422);
        Assert.Equal("Invalid Lua strategy", syntax.GetProperty("title").GetString());
        Assert.Equal(3, syntax.GetProperty("diagnostics")[0].GetProperty("line").GetInt32());
        Assert.StartsWith("3:", syntax.GetProperty("errors").GetProperty("code")[0].GetString());

        foreach (var path in new[] { "opt-999", "whatever", "opt-999/trials", "opt-999/walk-forward/equity" })
            await ProblemAsync(await _server.Http.GetAsync($"/api/optimizations/{path}"), 404);
        await ProblemAsync(await _server.PostJsonAsync("/api/optimizations/opt-999/cancel", ""), 404);
        await ProblemAsync(await _server.Http.DeleteAsync("/api/optimizations/opt-999"), 404);
        await ProblemAsync(await _server.Http.GetAsync("/api/optimizations?limit=0"), 400);
        Assert.Empty((await _server.GetJsonAsync("/api/optimizations")).EnumerateArray());
    }

    [Fact]
    public async Task A_walk_forward_gives_the_windows_out_of_sample_report_and_stitched_equity_of_Optimizer_Run()
    {
        var id = await SubmitAsync(_server, new
        {
            strategy_name = "crossover", dataset = "bars", window_size = 50, method = "tpe", trials = 6, seed = 3, space = CrossoverSpaceBody,
            walk_forward = new { train_bars = 1000, test_bars = 500, windows = 3 },
        });
        var job = await WaitForAsync(_server, id, "done", "failed");
        Assert.Equal("done", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("window").GetInt32());
        Assert.Equal(3, job.GetProperty("windows").GetInt32());

        var expected = Optimizer.Run("crossover", Crossover, _server.Services.GetRequiredService<DatasetStore>().Load("bars"), new OptimizationSettings
        {
            Method = OptimizationMethod.Tpe, Trials = 6, Seed = 3, TopK = 5, Space = CrossoverSpace, Parallelism = 2,
            Backtest = new BacktestSettings { WindowSize = 50 },
            WalkForward = new WalkForwardSettings { TrainBars = 1000, TestBars = 500, Windows = 3 },
        }, Sandbox(_server));
        var walkForward = expected.WalkForward!;
        var whole = JsonSerializer.SerializeToElement(expected, OptimizationJson.Default.OptimizationResult);
        AssertJson(whole.GetProperty("walk_forward").GetProperty("windows"), job.GetProperty("walk_forward").GetProperty("windows"));
        AssertJson(whole.GetProperty("walk_forward").GetProperty("out_of_sample"), job.GetProperty("walk_forward").GetProperty("out_of_sample"));
        Assert.Equal(walkForward.OutOfSample!.Digest, job.GetProperty("walk_forward").GetProperty("out_of_sample").GetProperty("digest").GetString());
        Assert.Equal(3, job.GetProperty("walk_forward").GetProperty("windows").GetArrayLength());
        AssertJson(whole.GetProperty("best"), job.GetProperty("best")); // the last window's
        var trials = await _server.GetJsonAsync($"/api/optimizations/{id}/trials?sort=trial");
        Assert.Equal(expected.Trials.Count, trials.GetProperty("total").GetInt32());
        for (var i = 0; i < expected.Trials.Count; i++) AssertJson(whole.GetProperty("trials")[i], trials.GetProperty("trials")[i]);

        var equity = await _server.GetJsonAsync($"/api/optimizations/{id}/walk-forward/equity");
        Assert.Equal(walkForward.Equity.Count, equity.GetArrayLength());
        Assert.Equal(1500, equity.GetArrayLength()); // three test parts of 500 bars
        for (var i = 0; i < walkForward.Equity.Count; i++)
        {
            Assert.Equal(walkForward.Times[i], equity[i][0].GetInt64());
            Assert.Equal(walkForward.Equity[i], equity[i][1].GetDouble());
        }
        var thin = await _server.GetJsonAsync($"/api/optimizations/{id}/walk-forward/equity?points=10");
        Assert.Equal(10, thin.GetArrayLength());
        Assert.Equal(equity[0].ToString(), thin[0].ToString());
        Assert.Equal(equity[1499].ToString(), thin[9].ToString());
        await ProblemAsync(await _server.Http.GetAsync($"/api/optimizations/{id}/walk-forward/equity?points=1"), 400);
    }

    [Fact]
    public async Task A_running_optimization_runs_lowered_and_cancels_and_a_queued_one_cancels_at_once_and_a_full_queue_is_429()
    {
        await _server.UploadOkAsync(Csv(30_000), "long");
        await _server.UploadStrategyAsync("slow", SlowWithParams);
        var running = await SubmitAsync(_server, new { strategy_name = "slow", dataset = "long", method = "random", trials = 1000 });
        await WaitForAsync(_server, running, "running");
        var queued = await SubmitAsync(_server, new { strategy_name = "crossover", dataset = "bars", trials = 2 });
        var full = await ProblemAsync(await _server.PostJsonAsync("/api/optimizations", JsonSerializer.Serialize(new { strategy_name = "crossover", dataset = "bars" })), 429);
        Assert.Contains("Optimizations:QueueLimit", full.GetProperty("detail").GetString());
        var inUse = await ProblemAsync(await _server.Http.DeleteAsync("/api/datasets/long"), 409);
        Assert.Contains($"optimization {running}", inUse.GetProperty("detail").GetString());

        // The job's thread and its trial threads (one per core) all run at the lowest priority.
        if (OperatingSystem.IsLinux())
        {
            var lowered = false;
            List<(string Name, string Policy, string Nice)> threads = [];
            for (var attempt = 0; attempt < 100 && !lowered; attempt++)
            {
                threads = JobThreads();
                lowered = threads.Any(t => t.Name == "optimization") && (Environment.ProcessorCount == 1 || threads.Any(t => t.Name.StartsWith("trial-", StringComparison.Ordinal)))
                    && threads.All(t => t.Policy == "5" || t.Nice == "19");
                if (!lowered) await Task.Delay(50);
            }
            Assert.True(lowered, string.Join("; ", threads.Select(t => $"{t.Name}: policy {t.Policy}, nice {t.Nice}")));
        }

        var cancelledQueued = await (await _server.PostJsonAsync($"/api/optimizations/{queued}/cancel", "")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("cancelled", cancelledQueued.GetProperty("status").GetString());

        var response = await _server.PostJsonAsync($"/api/optimizations/{running}/cancel", "");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cancelled = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.True(cancelled.GetProperty("trials_done").GetInt32() < 1000);
        Assert.Equal(JsonValueKind.Null, cancelled.GetProperty("best").ValueKind);
        Assert.Equal(0, cancelled.GetProperty("top").GetArrayLength());
        Assert.Equal("cancelled", (await OptimizationAsync(_server, running)).GetProperty("status").GetString());
        Assert.Equal(0, (await _server.GetJsonAsync($"/api/optimizations/{running}/trials")).GetProperty("total").GetInt32());
        await ProblemAsync(await _server.PostJsonAsync($"/api/optimizations/{running}/cancel", ""), 409);

        // The worker is free again and the dataset too: the next job runs to the end.
        var next = await SubmitAsync(_server, new { strategy_name = "crossover", dataset = "bars", trials = 2 });
        Assert.Equal("done", (await WaitForAsync(_server, next, "done", "failed")).GetProperty("status").GetString());
        Assert.Equal([next, queued, running], (await _server.GetJsonAsync("/api/optimizations")).EnumerateArray().Select(o => o.GetProperty("id").GetString()));
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Http.DeleteAsync("/api/datasets/long")).StatusCode);
    }

    [Fact]
    public async Task Deleting_a_running_optimization_cancels_it()
    {
        await _server.UploadOkAsync(Csv(30_000), "long");
        var id = await SubmitAsync(_server, new { code = SlowWithParams, dataset = "long", trials = 1000 });
        await WaitForAsync(_server, id, "running");
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Http.DeleteAsync($"/api/optimizations/{id}")).StatusCode);
        await ProblemAsync(await _server.Http.GetAsync($"/api/optimizations/{id}"), 404);
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Http.DeleteAsync("/api/datasets/long")).StatusCode);
    }

    [Fact]
    public async Task Progress_and_the_end_of_a_job_arrive_on_the_websocket()
    {
        using var socket = await _server.ConnectAsync("type=OptimizationProgress,OptimizationFinished");
        using var bySymbol = await _server.ConnectAsync("symbol=BTCUSDT");
        var id = await SubmitAsync(_server, new { strategy_name = "crossover", dataset = "bars", method = "grid", space = CrossoverSpaceBody });

        var frames = new List<JsonElement>();
        while (true)
        {
            var message = await socket.ReceiveUntilAsync(m => m.Tag() is "OptimizationProgress" or "OptimizationFinished", 60_000);
            Assert.NotNull(message);
            frames.Add(message.Value);
            if (message.Value.Tag() == "OptimizationFinished") break;
        }
        Assert.All(frames, f => Assert.Equal(id, f.Payload().GetProperty("optimization_id").GetString()));
        Assert.All(frames, f => Assert.False(f.Payload().TryGetProperty("runner_id", out _)));
        var seqs = frames.Select(f => f.Payload().GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(seqs.Order(), seqs);
        var progress = frames[..^1].Select(f => f.Payload()).ToList();
        Assert.All(frames[..^1], f => Assert.Equal("OptimizationProgress", f.Tag()));
        Assert.Equal(0, progress[0].GetProperty("trials_done").GetInt32());
        Assert.Equal(0, progress[0].GetProperty("progress").GetDouble());
        Assert.Equal(JsonValueKind.Null, progress[0].GetProperty("best_objective").ValueKind);
        Assert.Equal(JsonValueKind.Null, progress[0].GetProperty("best_trial").ValueKind);
        var done = progress.Select(p => p.GetProperty("trials_done").GetInt32()).ToList();
        Assert.Equal(done.Order(), done);
        Assert.All(progress, p => Assert.Equal(54, p.GetProperty("trials_planned").GetInt32())); // 9 × 3 × 2 points
        Assert.All(progress, p => Assert.Equal(1, p.GetProperty("windows").GetInt32()));
        Assert.Equal(54, done[^1]); // the last trial's progress is always sent
        Assert.Equal(1.0, progress[^1].GetProperty("progress").GetDouble());
        Assert.Equal(JsonValueKind.Number, progress[^1].GetProperty("best_trial").ValueKind);
        Assert.Equal("done", frames[^1].Payload().GetProperty("status").GetString());
        var job = await OptimizationAsync(_server, id); // stored before it was announced
        Assert.Equal("done", job.GetProperty("status").GetString());
        Assert.Equal(job.GetProperty("best").GetProperty("trial").GetInt32(), progress[^1].GetProperty("best_trial").GetInt32());
        Assert.Equal(job.GetProperty("best").GetProperty("objective").GetDouble(), progress[^1].GetProperty("best_objective").GetDouble());

        // Job events have no symbol: a runner created now is the first thing a symbol filter passes.
        await _server.CreateRunnerAsync("r1");
        var first = await bySymbol.ReceiveUntilAsync(m => m.Tag() != "Heartbeat", 15_000);
        Assert.NotNull(first);
        Assert.Equal("RunnerStarted", first.Value.Tag());
    }

    [Fact]
    public async Task Jobs_queued_or_running_when_the_server_stopped_come_back_failed_as_interrupted()
    {
        var data = Directory.CreateTempSubdirectory("tickrunner-optimization-restart-").FullName;
        try
        {
            string running, queued, finished;
            await using (var first = await RunningServer.StartAsync(OneQueued, data))
            {
                await first.UploadOkAsync(Csv(3000), "bars");
                await first.UploadStrategyAsync("crossover", Crossover);
                finished = await SubmitAsync(first, new { strategy_name = "crossover", dataset = "bars", trials = 2 });
                await WaitForAsync(first, finished, "done");
                await first.UploadOkAsync(Csv(30_000), "long");
                running = await SubmitAsync(first, new { code = SlowWithParams, dataset = "long", trials = 1000 });
                await WaitForAsync(first, running, "running");
                queued = await SubmitAsync(first, new { strategy_name = "crossover", dataset = "bars", trials = 2 });
            }
            await using var second = await RunningServer.StartAsync(OneQueued, data);
            foreach (var id in new[] { running, queued })
            {
                var job = await OptimizationAsync(second, id);
                Assert.Equal("failed", job.GetProperty("status").GetString());
                Assert.Equal("interrupted", job.GetProperty("error").GetString());
            }
            var done = await OptimizationAsync(second, finished);
            Assert.Equal("done", done.GetProperty("status").GetString());
            Assert.Equal(2, (await second.GetJsonAsync($"/api/optimizations/{finished}/trials")).GetProperty("total").GetInt32());
            // The datasets they used are free again, and new ids do not reuse old ones.
            Assert.Equal(HttpStatusCode.NoContent, (await second.Http.DeleteAsync("/api/datasets/long")).StatusCode);
            var next = await SubmitAsync(second, new { strategy_name = "crossover", dataset = "bars", trials = 2 });
            Assert.DoesNotContain(next, new[] { running, queued, finished });
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<string> SubmitAsync(RunningServer server, object body)
    {
        var response = await server.PostJsonAsync("/api/optimizations", JsonSerializer.Serialize(body));
        Assert.True((int)response.StatusCode == 202, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("queued", accepted.GetProperty("status").GetString());
        var id = accepted.GetProperty("id").GetString()!;
        Assert.Equal($"/api/optimizations/{id}", response.Headers.Location?.ToString());
        return id;
    }

    private static Task<JsonElement> OptimizationAsync(RunningServer server, string id) => server.GetJsonAsync($"/api/optimizations/{id}");

    private static async Task<JsonElement> WaitForAsync(RunningServer server, string id, params string[] statuses)
    {
        JsonElement job = default;
        await Wait.Until(async () =>
        {
            job = await OptimizationAsync(server, id);
            return statuses.Contains(job.GetProperty("status").GetString());
        }, 60_000, $"optimization {id} to be {string.Join(" or ", statuses)}");
        return job;
    }

    private static LuaSandboxOptions Sandbox(RunningServer server) => server.Services.GetRequiredService<IOptions<LuaSandboxOptions>>().Value;

    private static JsonElement Serialize<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) => JsonSerializer.SerializeToElement(value, info);

    private static void AssertJson(JsonElement expected, JsonElement actual) =>
        Assert.True(JsonElement.DeepEquals(expected, actual), $"expected {expected}\n  actual {actual}");

    private static long Scalar(RunningServer server, string sql)
    {
        using var connection = server.Services.GetRequiredService<Storage.TickrunnerDatabase>().Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    // The optimization's own thread and its trial threads in this process (other test classes run servers too).
    private static List<(string Name, string Policy, string Nice)> JobThreads()
    {
        var found = new List<(string, string, string)>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                if (name != "optimization" && !name.StartsWith("trial-", StringComparison.Ordinal)) continue;
                var policy = File.ReadLines(Path.Combine(task, "sched")).First(l => l.StartsWith("policy", StringComparison.Ordinal)).Split(':')[1].Trim();
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                found.Add((name, policy, stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16]));
            }
            catch (IOException)
            {
                // a thread that ended meanwhile
            }
        }
        return found;
    }
}
