using Tickrunner.Engine.Events;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Trading;
using static Tickrunner.Engine.Tests.EngineTestKit;

namespace Tickrunner.Engine.Tests;

public class SymbolRunnerTests
{
    // Opportunity at 101, enter at 102 (stop 97), raise the stop to 100 at 103, exit at the strategy's
    // request when the close is 110, or by the stop when it falls to 99.
    private const string Scripted = """
        function detect_opportunity(md, ctx, ind)
          if md.close == 101 then return { seen = md.close } end
        end
        function filter_commitment(md, ctx, ind)
          return { action = "enter_long", price = md.close, quantity = 1, stop_loss = md.close - 5, take_profit = md.close + 50 }
        end
        function manage_position(md, ctx, ind)
          if md.close == 103 then return { action = "update_stop_loss", new_stop = 100 } end
          if md.close == 110 then return { action = "exit", price = md.close, reason = "target reached" } end
          if md.close == 104 then error("boom") end
          if md.close == 105 then return { action = "start_analyzing" } end
        end
        """;

    private static readonly Dictionary<string, string> Strategies = new() { ["scripted"] = Scripted };

    private static async Task<List<string>> RunScenario(params double[] closes)
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink, Strategies);
        var runner = engine.AddRunner(Definition("r1"));
        for (var i = 0; i < closes.Length; i++) engine.Publish(Bar("BTCUSDT", 1000 + i, closes[i]));
        await runner.GetSnapshotAsync(); // every bar published before it has been processed
        return sink.For("r1").Select(Describe).ToList();
    }

    [Fact]
    public async Task Enter_update_and_stop_loss_exit_emit_the_exact_sequence()
    {
        var events = await RunScenario(100, 101, 102, 103, 99);
        Assert.Equal(
        [
            "RunnerStarted ",
            "TickReceived 100",
            "TickReceived 101",
            "StateTransition Idle->Analyzing Strategy detected opportunity",
            "TickReceived 102",
            "ActionExecuted enter_long",
            "PositionOpened Long 102",
            "StateTransition Analyzing->InPosition Entered Long 1 at 102",
            "PositionUpdated 102 0",
            "TickReceived 103",
            "ActionExecuted update_stop_loss",
            "PositionUpdated 103 1",
            "TickReceived 99",
            "StateTransition InPosition->Idle Stop loss hit at 99",
            "PositionClosed 99 -3.201 Stop loss hit at 99", // −3 gross, less 10 bps on 102 and on 99
        ], events);
    }

    [Fact]
    public async Task Strategy_exit_emits_action_transition_and_realized_pnl()
    {
        var events = await RunScenario(100, 101, 102, 110);
        Assert.Equal(
        [
            "TickReceived 110",
            "ActionExecuted exit",
            "StateTransition InPosition->Idle target reached",
            "PositionClosed 110 7.788 target reached", // 8 gross, less 10 bps on 102 and on 110
        ], events.TakeLast(4));
    }

    [Fact]
    public async Task Rejected_action_is_a_warning_and_counted()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink, Strategies);
        var runner = engine.AddRunner(Definition("r1"));
        foreach (var close in new double[] { 100, 101, 102, 105 }) engine.Publish(Bar("BTCUSDT", 1, close));
        var snapshot = await runner.GetSnapshotAsync();
        Assert.Contains("Error Warning start_analyzing rejected: start_analyzing is not valid in state InPosition (only in Idle)",
            sink.For("r1").Select(Describe));
        Assert.Equal(1, snapshot.Stats.ActionsRejected);
        Assert.Equal(1, snapshot.Stats.ActionsExecuted);
        Assert.Equal(TradingState.InPosition, snapshot.State);
    }

    [Fact]
    public async Task Strategy_error_without_stop_on_error_skips_the_tick_and_counts()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink, Strategies);
        var runner = engine.AddRunner(Definition("r1"));
        foreach (var close in new double[] { 100, 101, 102, 104, 106 }) engine.Publish(Bar("BTCUSDT", 1, close));
        var snapshot = await runner.GetSnapshotAsync();
        var error = Assert.Single(sink.For("r1"), e => e.Kind == RunnerEventKind.Error);
        Assert.Equal(ErrorSeverity.Error, error.Severity);
        Assert.Equal("manage_position: scripted.lua:10: boom", error.Text);
        Assert.Equal(RunnerStatus.Running, snapshot.Status);
        Assert.Equal(1, snapshot.Stats.Errors);
        Assert.Equal(5, snapshot.Stats.TicksProcessed);
        Assert.Equal(0.2, snapshot.Stats.ErrorRate, 9);
    }

    [Fact]
    public async Task Strategy_error_with_stop_on_error_is_critical_and_stops_the_runner()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink, Strategies);
        var runner = engine.AddRunner(Definition("r1", stopOnError: true));
        foreach (var close in new double[] { 100, 101, 102, 104, 106, 107 }) engine.Publish(Bar("BTCUSDT", 1, close));
        var snapshot = await runner.GetSnapshotAsync();
        var tail = sink.For("r1").Select(Describe).TakeLast(3).ToList();
        Assert.Equal("Error Critical manage_position: scripted.lua:10: boom", tail[0]);
        Assert.Equal("PositionUpdated 104 2", tail[1]);
        Assert.Equal("RunnerStopped strategy error: manage_position: scripted.lua:10: boom", tail[2]);
        Assert.Equal(RunnerStatus.Stopped, snapshot.Status);
        Assert.Equal(4, snapshot.Stats.TicksProcessed); // bars after the stop are not processed
        Assert.Contains("r1", engine.RunnerIds); // listed until removed
    }

    [Fact]
    public async Task Snapshot_and_history_show_the_runner()
    {
        await using var engine = NewEngine(null, Strategies);
        var runner = engine.AddRunner(Definition("r1", window: 3));
        foreach (var close in new double[] { 100, 101, 102, 103 }) engine.Publish(Bar("BTCUSDT", 5000 + (long)close, close));
        var s = await runner.GetSnapshotAsync();
        Assert.Equal(("r1", "BTCUSDT", "scripted", RunnerStatus.Running, TradingState.InPosition), (s.RunnerId, s.Symbol, s.StrategyName, s.Status, s.State));
        Assert.Equal(102, s.Position!.EntryPrice);
        Assert.Equal(100, s.Position.StopLoss);
        Assert.Equal(1, s.Position.UnrealizedPnl);
        Assert.Equal(101.0, s.Context["seen"]);
        Assert.Equal((3, 3), (s.WindowSize, s.WindowLen));
        Assert.Equal(4, s.Stats.TicksProcessed);
        Assert.True(s.Stats.MaxTickUs >= s.Stats.AvgTickUs && s.Stats.AvgTickUs >= s.Stats.MinTickUs && s.Stats.MinTickUs > 0);
        Assert.Equal([TradingState.Analyzing, TradingState.InPosition], s.Transitions.Select(t => t.To));
        Assert.True(s.UptimeMs >= 0);

        var history = await engine.GetPriceHistoryAsync("r1", 2);
        Assert.Equal([102.0, 103.0], history.Select(b => b.Close));
        Assert.Equal(3, (await engine.GetPriceHistoryAsync("r1", 100)).Length);
    }

    [Fact]
    public async Task Closed_trades_are_kept()
    {
        await using var engine = NewEngine(null, Strategies);
        var runner = engine.AddRunner(Definition("r1"));
        foreach (var close in new double[] { 100, 101, 102, 110, 101, 102, 103, 99 }) engine.Publish(Bar("BTCUSDT", 1, close));
        var trades = await runner.GetTradesAsync();
        Assert.Equal([(102.0, 110.0, 8.0), (102.0, 99.0, -3.0)], trades.Select(t => (t.EntryPrice, t.ExitPrice!.Value, t.RealizedPnl!.Value)));
    }

    [Fact]
    public async Task Pause_skips_ticks_and_resume_continues()
    {
        await using var engine = NewEngine(null, Strategies);
        var runner = engine.AddRunner(Definition("r1"));
        engine.Publish(Bar("BTCUSDT", 1, 100));
        Assert.Equal(RunnerStatus.Paused, await engine.PauseAsync("r1"));
        engine.Publish(Bar("BTCUSDT", 2, 101));
        engine.Publish(Bar("BTCUSDT", 3, 99));
        var paused = await runner.GetSnapshotAsync();
        Assert.Equal((RunnerStatus.Paused, 1L, 1), (paused.Status, paused.Stats.TicksProcessed, paused.WindowLen));
        Assert.Equal(RunnerStatus.Running, await engine.ResumeAsync("r1"));
        engine.Publish(Bar("BTCUSDT", 4, 101));
        var resumed = await runner.GetSnapshotAsync();
        Assert.Equal((2L, TradingState.Analyzing), (resumed.Stats.TicksProcessed, resumed.State));
    }

    [Fact]
    public async Task Stop_emits_runner_stopped_once_and_removal_always_announces_itself()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink, Strategies);
        engine.AddRunner(Definition("a"));
        engine.AddRunner(Definition("b"));
        Assert.Equal(RunnerStatus.Stopped, await engine.StopAsync("a", "enough"));
        Assert.Equal(RunnerStatus.Stopped, await engine.ResumeAsync("a")); // a stopped runner stays stopped
        await engine.RemoveRunnerAsync("a");
        await engine.RemoveRunnerAsync("b");
        Assert.Equal(["RunnerStopped enough", "RunnerStopped removed"], sink.For("a").Where(e => e.Kind == RunnerEventKind.RunnerStopped).Select(Describe));
        Assert.Equal(["RunnerStopped removed"], sink.For("b").Where(e => e.Kind == RunnerEventKind.RunnerStopped).Select(Describe));
        Assert.Empty(engine.RunnerIds);
        await Assert.ThrowsAsync<RunnerNotFoundException>(() => engine.RemoveRunnerAsync("a"));
    }
}

public class RunnerRestoreTests
{
    [Fact]
    public async Task A_restored_runner_resumes_its_state_position_context_and_status()
    {
        var strategies = new Dictionary<string, string> { ["s"] = LuaStrategyTests.Empty.Replace(
            "function manage_position(market_data, context, indicators) return nil end",
            "function manage_position(market_data, context, indicators) context.seen = (context.seen or 0) + 1 end", StringComparison.Ordinal) };
        var sink = new CollectingSink();
        await using var engine = EngineTestKit.NewEngine(sink, strategies);
        var position = new Tickrunner.Engine.Trading.Position(Tickrunner.Engine.Trading.PositionSide.Short, 100, 2, 1, stopLoss: 110);
        var runner = engine.AddRunner(EngineTestKit.Definition("r", strategy: "s"),
            new RunnerRestore(RunnerStatus.Running, Tickrunner.Engine.Trading.TradingState.InPosition, position,
                new Dictionary<string, object> { ["seen"] = 41L, ["note"] = "kept" }));
        engine.Publish(EngineTestKit.Bar("BTCUSDT", 2, 95));
        var s = await runner.GetSnapshotAsync();
        Assert.Equal(Tickrunner.Engine.Trading.TradingState.InPosition, s.State);
        Assert.Equal(10, s.Position!.UnrealizedPnl);
        Assert.Equal(42L, s.Context["seen"]);
        Assert.Equal("kept", s.Context["note"]);

        var stopped = engine.AddRunner(EngineTestKit.Definition("q", strategy: "s"),
            new RunnerRestore(RunnerStatus.Stopped, Tickrunner.Engine.Trading.TradingState.Idle, null, new Dictionary<string, object>()));
        Assert.Equal(RunnerStatus.Stopped, stopped.Status);
        Assert.DoesNotContain(sink.For("q"), e => e.Kind == Tickrunner.Engine.Events.RunnerEventKind.RunnerStarted);
    }
}
