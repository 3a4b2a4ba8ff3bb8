using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using static Tickrunner.Engine.Tests.EngineTestKit;

namespace Tickrunner.Engine.Tests;

public class TradingEngineTests
{
    private const string Counting = """
        function detect_opportunity(md, ctx, ind) ctx.n = (ctx.n or 0) + 1; ctx.last = md.close end
        function filter_commitment() end
        function manage_position() end
        """;

    private const string Slow = """
        function detect_opportunity(md, ctx, ind) local x = 0 for i = 1, 200000 do x = x + i end end
        function filter_commitment() end
        function manage_position() end
        """;

    private static readonly Dictionary<string, string> Strategies = new() { ["counting"] = Counting, ["slow"] = Slow };

    [Fact]
    public async Task Hundred_runners_on_ten_symbols_all_process_their_own_symbol()
    {
        await using var hub = new EventHub();
        await using var engine = NewEngine(hub, Strategies);
        for (var i = 0; i < 100; i++) engine.AddRunner(Definition($"r{i:D3}", $"SYM{i % 10}", "counting"));
        Assert.Equal(10, engine.Symbols.Count);
        Assert.Equal(10, engine.RunnersFor("SYM3").Count);
        for (var t = 0; t < 50; t++)
            for (var s = 0; s < 10; s++) engine.Publish(Bar($"SYM{s}", t, 100 + s));
        var snapshots = await engine.GetAllSnapshotsAsync();
        Assert.Equal(100, snapshots.Count);
        Assert.All(snapshots, s =>
        {
            Assert.Equal(50L, s.Context["n"]);
            Assert.Equal(100.0 + int.Parse(s.Symbol[3..]), s.Context["last"]);
        });
        var health = engine.Health();
        Assert.Equal((100, 100, 10, 500L, 0L), (health.Runners, health.Running, health.Symbols, health.BarsReceived, health.TicksDropped));
    }

    [Fact]
    public async Task Seq_is_strictly_increasing_across_runners()
    {
        await using var hub = new EventHub();
        using var subscription = hub.Subscribe();
        await using var engine = NewEngine(hub, Strategies);
        for (var i = 0; i < 20; i++) engine.AddRunner(Definition($"r{i}", $"S{i % 4}", "counting"));
        for (var t = 0; t < 100; t++)
            for (var s = 0; s < 4; s++) engine.Publish(Bar($"S{s}", t, 100));
        var expected = 20 + 20 * 100; // RunnerStarted + TickReceived per runner per bar
        var seqs = new List<long>();
        using var timeout = new CancellationTokenSource(10_000);
        await foreach (var m in subscription.ReadAllAsync(timeout.Token))
        {
            seqs.Add(m.Frame!.Seq);
            if (seqs.Count == expected) break;
        }
        Assert.Equal(Enumerable.Range(1, expected).Select(i => (long)i), seqs);
    }

    [Fact]
    public async Task A_subscriber_that_never_reads_does_not_slow_the_engine()
    {
        await using var hub = new EventHub(new EventHubOptions { SubscriberQueueSize = 100 });
        using var stuck = hub.Subscribe(); // never read
        await using var engine = NewEngine(hub, Strategies);
        engine.AddRunner(Definition("r", "S", "counting"));
        for (var t = 0; t < 5_000; t++)
        {
            engine.Publish(Bar("S", t, 100));
            if (t % 500 == 0) await engine.GetRunnerSnapshotAsync("r"); // keep the inbox from overflowing
        }
        var snapshot = await engine.GetRunnerSnapshotAsync("r");
        Assert.Equal(5_000L, snapshot.Context["n"]);
        await Wait.Until(() => hub.LastSeq == 5_001);
        Assert.Equal(5_001 - 100, stuck.Dropped);
        Assert.True(stuck.TryRead(out var notice) && notice.IsLagNotice && notice.Dropped == 4_901);
    }

    [Fact]
    public async Task A_command_sees_every_bar_published_before_it_even_right_after_another_command()
    {
        // A command is answered on the runner's loop while the caller goes on; the next command, sent after more
        // bars, must not be answered by the loop still draining commands from the first one.
        await using var engine = NewEngine(null, Strategies);
        engine.AddRunner(Definition("r", "S", "counting"));
        for (var round = 1; round <= 300; round++)
        {
            for (var i = 0; i < 20; i++) engine.Publish(Bar("S", round * 20 + i, 100));
            var snapshot = await engine.GetRunnerSnapshotAsync("r");
            Assert.Equal(round * 20L, snapshot.Stats.TicksProcessed);
        }
    }

    [Fact]
    public async Task A_command_whose_wake_item_a_full_inbox_dropped_is_still_answered_after_the_bars_before_it()
    {
        await using var engine = NewEngine(null, Strategies, new EngineOptions { InboxCapacity = 4 });
        var runner = engine.AddRunner(Definition("slow", "S", "slow"));
        for (var t = 0; t < 4; t++) engine.Publish(Bar("S", t, 100));
        var snapshot = runner.GetSnapshotAsync();
        // Its wake item is pushed out of the 4-item inbox by these bars, re-queued, pushed out again, ...
        for (var t = 4; t < 40; t++) engine.Publish(Bar("S", t, 100));
        var answered = await snapshot.WaitAsync(TimeSpan.FromSeconds(20));
        var after = await runner.GetSnapshotAsync();
        Assert.True(answered.Stats.TicksDropped > 0, "the inbox overflowed");
        Assert.Equal(40, after.Stats.TicksProcessed + after.Stats.TicksDropped);
        Assert.True(answered.Stats.TicksProcessed + answered.Stats.TicksDropped >= 4, "the answer saw the bars queued before it");
    }

    [Theory]
    [InlineData(4, true)]
    [InlineData(int.MaxValue, false)] // the same scenario without turns: the light runner waits
    public async Task A_runner_that_always_has_work_takes_turns_with_the_others(int batchSize, bool lightServedFirst)
    {
        // One runner thread, held while two busy runners (a few ms per tick) get full inboxes and then a light
        // runner gets one bar, so the order of work on that thread does not depend on timing.
        // No spare thread: on a loaded machine a 40-bar turn can outlast its 100 ms and a spare would serve the light one.
        await using var engine = NewEngine(null, Strategies, new EngineOptions { RunnerThreads = 1, BatchSize = batchSize, SpareThreadAfterMs = 60_000 });
        var busy = new[] { engine.AddRunner(Definition("busy1", "B1", "slow")), engine.AddRunner(Definition("busy2", "B2", "slow")) };
        var light = engine.AddRunner(Definition("light", "L", "counting"));
        await light.GetSnapshotAsync(); // every loop has started
        using var held = new ManualResetEventSlim();
        using var hold = new ManualResetEventSlim();
        engine.Threads.Post(_ =>
        {
            held.Set();
            hold.Wait();
        }, null);
        held.Wait(); // the thread is ours: every loop is back to waiting for bars
        for (var i = 0; i < 40; i++)
            foreach (var runner in busy) engine.Publish(Bar(runner.Symbol, i, 100));
        engine.Publish(Bar("L", 0, 100));
        var snapshot = light.GetSnapshotAsync();
        hold.Set();
        var lightDone = await snapshot;
        Assert.Equal(1, lightDone.Stats.TicksProcessed);
        Assert.True(lightServedFirst == busy.All(runner => runner.InboxCount > 0), $"inboxes {string.Join(",", busy.Select(r => r.InboxCount))}");
    }

    [Fact]
    public async Task A_slow_runner_drops_its_own_oldest_bars_and_never_blocks_the_others()
    {
        await using var engine = NewEngine(null, Strategies, new EngineOptions { InboxCapacity = 8 });
        var slow = engine.AddRunner(Definition("slow", "S", "slow"));
        var fast = engine.AddRunner(Definition("fast", "S", "counting"));
        for (var t = 0; t < 200; t++)
        {
            engine.Publish(Bar("S", t, 100 + t));
            await Task.Yield();
        }
        var fastSnapshot = await fast.GetSnapshotAsync();
        var slowSnapshot = await slow.GetSnapshotAsync();
        Assert.True(slowSnapshot.Stats.TicksDropped > 0, "the slow runner dropped bars");
        Assert.Equal(200, slowSnapshot.Stats.TicksProcessed + slowSnapshot.Stats.TicksDropped);
        Assert.Equal(299.0, fastSnapshot.Context["last"]); // the newest bar reached both
        Assert.Equal(299.0, (await slow.GetPriceHistoryAsync(1))[0].Close);
    }

    [Fact]
    public async Task Add_validates_and_rejects_duplicates_and_unknown_strategies()
    {
        await using var engine = NewEngine(null, Strategies);
        engine.AddRunner(Definition("a", "S", "counting"));
        Assert.Throws<DuplicateRunnerException>(() => engine.AddRunner(Definition("a", "S", "counting")));
        var invalid = Assert.Throws<InvalidRunnerDefinitionException>(() => engine.AddRunner(Definition("bad id!", "S", "counting", window: 0)));
        Assert.Equal(["runner_id", "window_size"], invalid.Problems.Keys.Order());
        Assert.Throws<StrategyNotFoundException>(() => engine.AddRunner(Definition("b", "S", "nope")));
        Assert.False(engine.Contains("b"));
        await Assert.ThrowsAsync<RunnerNotFoundException>(() => engine.GetRunnerSnapshotAsync("nope"));
        Assert.Throws<RunnerNotFoundException>(() => engine.GetRunner("nope"));
    }

    [Fact]
    public async Task Invalid_bars_are_counted_and_not_routed()
    {
        await using var engine = NewEngine(null, Strategies);
        var runner = engine.AddRunner(Definition("a", "S", "counting"));
        Assert.False(engine.Publish(new MarketData("S", 1, 10, 9, 11, 10, 1, 0, 0))); // high < low
        Assert.True(engine.Publish(Bar("S", 2, 10)));
        Assert.Equal(1L, (await runner.GetSnapshotAsync()).Context["n"]);
        Assert.Equal(1, engine.Health().BarsRejected);
    }

    [Fact]
    public async Task No_runner_can_be_added_once_the_engine_is_shutting_down()
    {
        var engine = NewEngine(null, Strategies);
        engine.AddRunner(Definition("a", "S", "counting"));
        await engine.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => engine.AddRunner(Definition("b", "S", "counting")));
        Assert.Empty(engine.RunnerIds);
    }

    [Fact]
    public async Task Runs_from_a_feed_and_shuts_down_gracefully()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink, Strategies);
        engine.AddRunner(Definition("a", "BTCUSDT", "counting"));
        engine.AddRunner(Definition("b", "ETHUSDT", "counting"));
        var feed = new SimulatedFeed(new SimulatedFeedOptions { TickInterval = TimeSpan.Zero, MaxBarsPerSymbol = 300, StartTimestamp = 0 });
        await engine.RunFeedAsync(feed, ["BTCUSDT", "ETHUSDT"]);
        Assert.Equal(300L, (await engine.GetRunnerSnapshotAsync("b")).Context["n"]);
        await engine.DisposeAsync();
        Assert.Equal(2, sink.Snapshot().Count(e => e.Kind == RunnerEventKind.RunnerStopped && e.Text == "engine shutdown"));
        Assert.Empty(engine.RunnerIds);
    }

    [Fact]
    public async Task Strategies_print_into_the_log_without_breaking()
    {
        var lines = new List<string>();
        await using var engine = new TradingEngine((d, log) => LuaStrategy.FromCode("p", "print('hello from load')\n" + Counting, log: line => { lines.Add(line); log(line); }));
        engine.AddRunner(Definition("a", "S", "p"));
        Assert.Equal(["hello from load"], lines);
    }
}
