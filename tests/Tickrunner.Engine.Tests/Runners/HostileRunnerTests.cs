using Tickrunner.Engine.Events;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using static Tickrunner.Engine.Tests.EngineTestKit;

namespace Tickrunner.Engine.Tests;

/// <summary>Hostile runners next to ordinary ones: the ordinary ones keep trading, memory and history stay bounded.</summary>
public class HostileRunnerTests
{
    private const string Counting = """
        function detect_opportunity(md, ctx) ctx.n = (ctx.n or 0) + 1 end
        function filter_commitment() end
        function manage_position() end
        """;

    private const string Endless = HostileStrategies.Endless;

    // A 12 MiB error message on every tick.
    private const string Shouting = """
        local big = string.rep('e', 12 * 1024 * 1024)
        function detect_opportunity(md, ctx) error(big) end
        function filter_commitment() end
        function manage_position() end
        """;

    private static readonly LuaSandboxOptions Sandbox = new()
    {
        InstructionBudget = 2_000_000_000, MemoryLimitBytes = 64 * 1024 * 1024, WallClockLimitMs = 3000,
    };

    private static readonly Dictionary<string, string> Strategies = new() { ["counting"] = Counting, ["endless"] = Endless, ["shouting"] = Shouting };

    [Fact]
    public async Task Two_runaway_runners_cannot_hold_up_the_others_and_are_stopped_at_the_wall_clock_limit()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink, Strategies, new EngineOptions { RunnerThreads = 2 }, Sandbox);
        engine.AddRunner(Definition("hostile1", "EVIL", "endless"));
        engine.AddRunner(Definition("hostile2", "EVIL", "endless"));
        engine.AddRunner(Definition("demo1", "BTCUSDT", "counting"));
        engine.AddRunner(Definition("demo2", "ETHUSDT", "counting"));
        engine.Publish(Bar("EVIL", 1, 100));
        var demo = engine.GetRunner("demo1");
        // Both runner threads are now inside endless calls: the bystanders are served by spare threads meanwhile.
        await Wait.Until(() => engine.Runners.Count(r => r.Id.StartsWith("hostile", StringComparison.Ordinal) && r.StrategyCallTicks(System.Diagnostics.Stopwatch.GetTimestamp()) > 0) == 2);
        for (var t = 1; t <= 20; t++)
        {
            engine.Publish(Bar("BTCUSDT", t, 100 + t));
            engine.Publish(Bar("ETHUSDT", t, 100 + t));
        }
        // Served while both runner threads are held (the calls run for 3 s): a spare thread starts after 100 ms.
        var snapshot = await demo.GetSnapshotAsync().WaitAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(20L, snapshot.Context["n"]);
        Assert.True(engine.Runners.Any(r => r.Id.StartsWith("hostile", StringComparison.Ordinal) && r.StrategyCallTicks(System.Diagnostics.Stopwatch.GetTimestamp()) > 0),
            "the bystanders were served while a runaway call was still running");

        await Wait.Until(() => engine.GetRunner("hostile1").Status == RunnerStatus.Stopped && engine.GetRunner("hostile2").Status == RunnerStatus.Stopped);
        foreach (var id in new[] { "hostile1", "hostile2" })
        {
            var error = Assert.Single(sink.For(id), e => e.Kind == RunnerEventKind.Error);
            Assert.Equal(ErrorSeverity.Critical, error.Severity);
            Assert.Contains("endless.lua:3: ran longer than the wall-clock limit of 3,000 ms per call", error.Text);
            Assert.Contains(sink.For(id), e => e.Kind == RunnerEventKind.RunnerStopped);
        }
        Assert.Empty(engine.Health().UnresponsiveRunners);
        await Wait.Until(() => engine.Health().SpareThreads == 0);
        engine.Publish(Bar("BTCUSDT", 21, 50));
        await Wait.Until(() => (long)demo.GetSnapshotAsync().Result.Context["n"] == 21);
    }

    [Fact]
    public async Task A_runner_failing_on_every_tick_with_a_huge_message_keeps_history_and_memory_bounded()
    {
        await using var hub = new EventHub(new EventHubOptions { HistorySize = 10_000 });
        await using var engine = NewEngine(hub, Strategies, sandbox: Sandbox);
        engine.AddRunner(Definition("loud", "EVIL", "shouting"));
        engine.AddRunner(Definition("demo", "BTCUSDT", "counting"));
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var t = 1; t <= 200; t++)
        {
            engine.Publish(Bar("EVIL", t, 100));
            engine.Publish(Bar("BTCUSDT", t, 100));
        }
        var loud = await engine.GetRunner("loud").GetSnapshotAsync();
        Assert.Equal(200L, loud.Stats.Errors);
        Assert.Equal(RunnerStatus.Running, loud.Status);
        Assert.Equal(200L, (await engine.GetRunner("demo").GetSnapshotAsync()).Context["n"]);

        // One event for 200 identical errors, cut to the message limit; the process did not keep 200 × 12 MiB.
        var errors = hub.Recent(0, new EventFilter(["loud"], [], [RunnerEventKind.Error]));
        var error = Assert.Single(errors);
        Assert.True(error.Json.Length < LuaStrategy.MaxErrorBytes + 512, $"event of {error.Json.Length} bytes");
        Assert.Contains("truncated from 12,582,9", error.Event.Text);
        var grown = GC.GetTotalMemory(forceFullCollection: true) - before;
        Assert.True(grown < 64L * 1024 * 1024, $"managed memory grew by {grown:N0} bytes");
    }

    [Fact]
    public async Task A_call_stuck_where_the_watchdog_cannot_reach_is_reported_unresponsive_and_the_others_go_on()
    {
        // print reaches the host's log: a log that blocks holds the call inside a host function, where no hook fires.
        using var release = new ManualResetEventSlim();
        const string Printing = """
            function detect_opportunity(md, ctx) print('hello') ctx.n = (ctx.n or 0) + 1 end
            function filter_commitment() end
            function manage_position() end
            """;
        var sandbox = new LuaSandboxOptions { WallClockLimitMs = 200 };
        var sink = new CollectingSink();
        await using var engine = new TradingEngine((definition, log) => LuaStrategy.FromCode(definition.StrategyName,
            definition.StrategyName == "printing" ? Printing : Counting, sandbox,
            definition.RunnerId == "stuck" ? _ => release.Wait() : log), sink, new EngineOptions { RunnerThreads = 1 });
        engine.AddRunner(Definition("stuck", "EVIL", "printing"));
        engine.AddRunner(Definition("demo", "BTCUSDT", "counting"));
        engine.Publish(Bar("EVIL", 1, 100));

        await Wait.Until(() => engine.Health().UnresponsiveRunners.Contains("stuck"));
        for (var t = 1; t <= 5; t++) engine.Publish(Bar("BTCUSDT", t, 100));
        Assert.Equal(5L, (await engine.GetRunner("demo").GetSnapshotAsync().WaitAsync(TimeSpan.FromSeconds(5))).Context["n"]);

        // Once the host function returns, the pending interrupt fails the call at its next instruction.
        release.Set();
        await Wait.Until(() => engine.GetRunner("stuck").Status == RunnerStatus.Stopped);
        Assert.Empty(engine.Health().UnresponsiveRunners);
        Assert.Contains(sink.For("stuck"), e => e.Kind == RunnerEventKind.Error && e.Text!.Contains("wall-clock limit of 200 ms"));
    }
}
