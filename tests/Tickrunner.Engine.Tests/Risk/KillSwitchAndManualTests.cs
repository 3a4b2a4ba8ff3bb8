using Tickrunner.Engine.Events;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Trading;
using Tickrunner.Engine.Wire;

namespace Tickrunner.Engine.Tests;

/// <summary>
/// The engine's kill switch and limits across runners (<see cref="GlobalRisk"/>), manual entries and exits, and a live change of
/// a runner's limits: each at, below and above its threshold, on every state.
/// </summary>
public sealed class KillSwitchAndManualTests
{
    // RiskLimitTests' entering strategy, holding for (nearly) ever.
    private const string Enterer = RiskLimitTests.Enterer + "\nHOLD = 1000000";

    // Never trades by itself; with ANALYZE it goes to Analyzing and stays there.
    private const string Passive = """
        ANALYZE = false
        function detect_opportunity(md) if ANALYZE then return {} end end
        function filter_commitment(md, ctx) end
        function manage_position(md, ctx) end
        """;

    private static readonly AccountSettings NoCosts = new() { FeeBps = 0, SlippageBps = 0 };
    private const long Minute = 60_000;
    private const long Day0 = 1_700_006_400_000;

    private static MarketData Bar(string symbol, int i, double close = 100) => new(symbol, Day0 + i * Minute, close, close, close, close, 1, close, close);

    private static RunnerDefinition Definition(string id, string symbol, string strategy, RiskLimits? risk = null, AccountSettings? account = null) =>
        EngineTestKit.Definition(id, symbol, strategy) with { Account = account ?? NoCosts, Risk = risk };

    private static TradingEngine NewEngine(IEventSink sink, GlobalRisk? risk = null, string enterer = Enterer) =>
        EngineTestKit.NewEngine(sink, new Dictionary<string, string>
        {
            ["enterer"] = enterer, ["passive"] = Passive, ["analyzer"] = Passive + "\nANALYZE = true", ["flipper"] = Enterer + "\nHOLD = 1",
        }, risk: risk);

    [Fact]
    public async Task A_halt_refuses_entries_with_a_RiskLimitHit_and_a_resume_lets_them_in()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink);
        var runner = engine.AddRunner(Definition("h", "X", "enterer"));
        engine.Halt(flatten: false);
        Assert.True(engine.Halted);
        for (var i = 0; i < 4; i++) engine.Publish(Bar("X", i));
        var halted = await runner.GetSnapshotAsync();
        Assert.Null(halted.Position);
        Assert.Equal(3, halted.Stats.ActionsRejected); // bars 1–3 asked, each refused
        Assert.Null(halted.Risk); // the runner has no limits of its own
        var hits = sink.For("h").Where(e => e.Kind == RunnerEventKind.RiskLimitHit).Select(e => e.Risk!.Value).ToList();
        Assert.Equal(3, hits.Count);
        Assert.All(hits, h => Assert.Equal((RiskLimit.Halt, RiskAction.EnterLong, "halt"), (h.Limit, h.Action, h.LimitName)));
        Assert.Contains(sink.For("h"), e => e.Kind == RunnerEventKind.Error && e.Text == "enter_long rejected: enter_long: the engine is halted; no new entries until it is resumed");
        Assert.Single(sink.Snapshot(), e => e.Kind == RunnerEventKind.EngineHalted);

        engine.Resume();
        engine.Resume(); // a second resume says nothing
        Assert.False(engine.Halted);
        engine.Publish(Bar("X", 4));
        var resumed = await runner.GetSnapshotAsync();
        Assert.NotNull(resumed.Position);
        Assert.Single(sink.Snapshot(), e => e.Kind == RunnerEventKind.EngineResumed);
    }

    [Fact]
    public async Task A_halt_with_flatten_closes_every_position_at_its_next_bar_with_the_reason_halt()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink);
        var a = engine.AddRunner(Definition("a", "X", "enterer"));
        var b = engine.AddRunner(Definition("b", "Y", "enterer"));
        for (var i = 0; i < 3; i++)
        {
            engine.Publish(Bar("X", i));
            engine.Publish(Bar("Y", i));
        }
        Assert.NotNull((await a.GetSnapshotAsync()).Position);
        Assert.NotNull((await b.GetSnapshotAsync()).Position);
        Assert.Equal(2, engine.Risk.OpenPositions);

        engine.Halt(flatten: true);
        engine.Publish(Bar("X", 3, 101));
        var closedA = await a.GetSnapshotAsync();
        Assert.Null(closedA.Position);
        Assert.NotNull((await b.GetSnapshotAsync()).Position); // b's next bar has not come yet
        engine.Publish(Bar("Y", 3, 99));
        engine.Publish(Bar("X", 4));
        Assert.Null((await b.GetSnapshotAsync()).Position);
        Assert.Null((await a.GetSnapshotAsync()).Position); // and no new entry while halted
        Assert.Equal(0, engine.Risk.OpenPositions);
        Assert.Equal(0, engine.Risk.TotalNotional, 9);

        var closes = sink.Snapshot().Where(e => e.Kind == RunnerEventKind.PositionClosed).Select(EngineTestKit.Describe).ToList();
        Assert.Equal(["PositionClosed 101 10 halt", "PositionClosed 99 -10 halt"], closes);
        var flattens = sink.Snapshot().Where(e => e.Kind == RunnerEventKind.RiskLimitHit && e.Risk!.Value.Action == RiskAction.Flatten).ToList();
        Assert.Equal(2, flattens.Count);
        Assert.All(flattens, f => Assert.Equal(RiskLimit.Halt, f.Risk!.Value.Limit));
        Assert.Equal("""{"EngineHalted":{"flatten":true,"timestamp":5,"seq":1}}""",
            System.Text.Encoding.UTF8.GetString(EventJson.Serialize(RunnerEvent.EngineHalted(true, 5), 1)));
        Assert.Equal("""{"EngineResumed":{"timestamp":5,"seq":2}}""",
            System.Text.Encoding.UTF8.GetString(EventJson.Serialize(RunnerEvent.EngineResumed(5), 2)));
    }

    [Fact]
    public async Task A_flatten_taken_back_by_a_resume_before_the_next_bar_closes_nothing()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink);
        var a = engine.AddRunner(Definition("a", "X", "enterer"));
        for (var i = 0; i < 3; i++) engine.Publish(Bar("X", i));
        Assert.NotNull((await a.GetSnapshotAsync()).Position);
        engine.Halt(flatten: true);
        engine.Resume();
        engine.Publish(Bar("X", 3));
        Assert.NotNull((await a.GetSnapshotAsync()).Position);
    }

    // Runners a (on X) and b (on Y), both entering at their first chance, over three bars of each symbol.
    private static async Task<RunnerSnapshot[]> TwoEnterersOverThreeBarsAsync(TradingEngine engine)
    {
        var runners = new[] { engine.AddRunner(Definition("a", "X", "enterer")), engine.AddRunner(Definition("b", "Y", "enterer")) };
        for (var i = 0; i < 3; i++)
        {
            engine.Publish(Bar("X", i));
            engine.Publish(Bar("Y", i));
        }
        return await Task.WhenAll(runners.Select(r => r.GetSnapshotAsync()));
    }

    [Theory]
    [InlineData(2, 2)] // at: both enter
    [InlineData(3, 2)] // below
    [InlineData(1, 1)] // above: the second is refused
    public async Task Max_open_positions_counts_across_runners(int limit, int open)
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink, new GlobalRisk(maxOpenPositions: limit));
        var snapshots = await TwoEnterersOverThreeBarsAsync(engine);
        Assert.Equal(open, snapshots.Count(s => s.Position is not null));
        Assert.Equal(open, engine.Risk.OpenPositions);
        var refusals = sink.Snapshot().Where(e => e.Kind == RunnerEventKind.RiskLimitHit).Select(e => e.Risk!.Value).ToList();
        if (open == 2) Assert.Empty(refusals);
        else Assert.All(refusals, h => Assert.Equal((RiskLimit.MaxOpenPositions, 2.0, 1.0), (h.Limit, h.Value, h.Threshold)));
        if (open == 1) Assert.Equal(2, refusals.Count); // bars 1 and 2 of the runner that came second
    }

    [Theory]
    [InlineData(2_000.0, 2)]  // 2 × 10 × 100: at
    [InlineData(3_000.0, 2)]  // below
    [InlineData(1_999.99, 1)] // above
    public async Task Max_total_notional_counts_the_open_positions_across_runners(double limit, int open)
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink, new GlobalRisk(maxTotalNotional: limit));
        var snapshots = await TwoEnterersOverThreeBarsAsync(engine);
        Assert.Equal(open, snapshots.Count(s => s.Position is not null));
        Assert.Equal(open * 1_000, engine.Risk.TotalNotional, 9);
        var refusals = sink.Snapshot().Where(e => e.Kind == RunnerEventKind.RiskLimitHit).Select(e => e.Risk!.Value).ToList();
        Assert.All(refusals, h => Assert.Equal((RiskLimit.MaxTotalNotional, 2_000.0, limit), (h.Limit, h.Value, h.Threshold)));
        Assert.Equal(open == 1 ? 2 : 0, refusals.Count);
    }

    [Fact]
    public async Task Closing_and_removing_give_the_room_back()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink, new GlobalRisk(maxOpenPositions: 1));
        var flipper = engine.AddRunner(Definition("f", "X", "flipper")); // enters, exits the next bar, enters again
        for (var i = 0; i < 6; i++) engine.Publish(Bar("X", i));
        await flipper.GetSnapshotAsync();
        Assert.Equal(2, sink.For("f").Count(e => e.Kind == RunnerEventKind.PositionClosed));
        Assert.DoesNotContain(sink.For("f"), e => e.Kind == RunnerEventKind.RiskLimitHit);
        var holder = engine.AddRunner(Definition("h", "Y", "enterer"));
        for (var i = 0; i < 3; i++) engine.Publish(Bar("Y", i));
        await holder.GetSnapshotAsync();
        await flipper.GetSnapshotAsync();
        Assert.Equal(1, engine.Risk.OpenPositions);
        await engine.RemoveRunnerAsync("f");
        await engine.RemoveRunnerAsync("h");
        Assert.Equal(0, engine.Risk.OpenPositions);
        Assert.Equal(0, engine.Risk.TotalNotional, 9);
    }

    [Fact]
    public async Task A_runner_whose_stored_context_is_refused_counts_no_position_across_runners()
    {
        await using var engine = NewEngine(new CollectingSink(), new GlobalRisk(maxOpenPositions: 1));
        var open = new Position(PositionSide.Long, 100, 5, Day0, null, null);
        var damaged = new Dictionary<string, object> { ["bad"] = new object() };
        Assert.Throws<ArgumentException>(() =>
            engine.AddRunner(Definition("r", "X", "passive"), new RunnerRestore(RunnerStatus.Running, TradingState.InPosition, open, damaged)));
        Assert.Equal(0, engine.Risk.OpenPositions);
        Assert.Equal(0, engine.Risk.TotalNotional, 9);
    }

    [Fact]
    public async Task A_restored_open_position_counts_across_runners()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink, new GlobalRisk(maxOpenPositions: 1));
        var open = new Position(PositionSide.Long, 100, 5, Day0, null, null);
        engine.AddRunner(Definition("r", "X", "passive"), new RunnerRestore(RunnerStatus.Running, TradingState.InPosition, open, new Dictionary<string, object>()));
        Assert.Equal(1, engine.Risk.OpenPositions);
        Assert.Equal(500, engine.Risk.TotalNotional, 9);
        var other = engine.AddRunner(Definition("o", "Y", "enterer"));
        for (var i = 0; i < 3; i++) engine.Publish(Bar("Y", i));
        Assert.Null((await other.GetSnapshotAsync()).Position);

        // A new instance takes the position over: it counts once, after a reload as after a stop and start.
        await engine.ReloadRunnerAsync("r");
        Assert.Equal(1, engine.Risk.OpenPositions);
        await engine.StopAsync("r");
        await engine.RestartRunnerAsync("r");
        Assert.Equal(1, engine.Risk.OpenPositions);
        Assert.Equal(500, engine.Risk.TotalNotional, 9);
        Assert.Throws<DuplicateRunnerException>(() => engine.AddRunner(Definition("r", "X", "passive"),
            new RunnerRestore(RunnerStatus.Running, TradingState.InPosition, open, new Dictionary<string, object>())));
        Assert.Equal(1, engine.Risk.OpenPositions);
    }

    // Records, as each RunnerStarted is emitted, how many positions the engine counts open across runners. A new instance of a
    // runner is announced after it was made and before its predecessor is closed: the moment both exist.
    private sealed class OpenCountAtStart(GlobalRisk global) : IEventSink
    {
        public List<int> Counts { get; } = [];

        public void Emit(in RunnerEvent runnerEvent)
        {
            if (runnerEvent.Kind == RunnerEventKind.RunnerStarted) lock (Counts) Counts.Add(global.OpenPositions);
        }
    }

    [Fact]
    public async Task A_new_instance_takes_the_open_position_over_so_it_never_counts_twice_while_both_exist()
    {
        var global = new GlobalRisk(maxOpenPositions: 5);
        var sink = new OpenCountAtStart(global);
        await using var engine = NewEngine(sink, global);
        var runner = engine.AddRunner(Definition("r", "X", "enterer"));
        for (var i = 0; i < 3; i++) engine.Publish(Bar("X", i));
        var open = (await runner.GetSnapshotAsync()).Position!;

        await engine.ReloadRunnerAsync("r");
        await engine.StopAsync("r");
        var started = await engine.RestartRunnerAsync("r");
        Assert.Equal([0, 1, 1], sink.Counts); // the first start, then the reload's and the start's new instances
        Assert.Equal(1, global.OpenPositions);
        Assert.Equal(open.EntryPrice * open.Quantity, global.TotalNotional, 9);
        Assert.NotNull((await started.GetSnapshotAsync()).Position);
        await engine.RemoveRunnerAsync("r");
        Assert.Equal(0, global.OpenPositions);
        Assert.Equal(0, global.TotalNotional, 9);
    }

    [Fact]
    public async Task Room_handed_over_to_an_instance_that_never_starts_goes_back_to_the_old_one_or_is_released_when_it_is_gone()
    {
        var global = new GlobalRisk();
        await using var engine = NewEngine(new CollectingSink(), global);
        var both = await TwoEnterersOverThreeBarsAsync(engine);
        Assert.All(both, s => Assert.NotNull(s.Position));
        var (a, b) = (engine.Runners.Single(r => r.Id == "a"), engine.Runners.Single(r => r.Id == "b"));

        // Taken back by the old instance, halted and running again: its removal releases the room.
        var fromA = await a.HaltAndCaptureAsync();
        Assert.Equal(RunnerStatus.Stopped, a.Status);
        Assert.Equal(2, global.OpenPositions); // held by the hand-over, by neither instance
        Assert.Equal(both[0].Position!.EntryPrice * both[0].Position!.Quantity, fromA.HandOver!.Reserved, 9);
        await a.TakeBackAsync(fromA.Status, fromA.HandOver.Reserved, global);
        Assert.Equal(RunnerStatus.Running, a.Status);
        await engine.RemoveRunnerAsync("a");
        Assert.Equal(1, global.OpenPositions);

        // Removed while its room was handed over: nobody holds it, and taking it back releases it.
        var fromB = await b.CaptureAsync(RunnerStatus.Running);
        await engine.RemoveRunnerAsync("b");
        Assert.Equal(1, global.OpenPositions);
        await b.TakeBackAsync(null, fromB.HandOver!.Reserved, global);
        Assert.Equal(0, global.OpenPositions);
        Assert.Equal(0, global.TotalNotional, 9);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_flatten_asked_just_before_a_reload_or_a_start_is_carried_out_by_the_new_instance(bool reload)
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink);
        var runner = engine.AddRunner(Definition("r", "X", "enterer"));
        for (var i = 0; i < 3; i++) engine.Publish(Bar("X", i));
        Assert.NotNull((await runner.GetSnapshotAsync()).Position);
        if (!reload) await engine.StopAsync("r");

        engine.Halt(flatten: true); // no bar of X reaches the old instance after this
        var next = reload ? await engine.ReloadRunnerAsync("r") : await engine.RestartRunnerAsync("r");
        engine.Publish(Bar("X", 3, 101));
        Assert.Null((await next.GetSnapshotAsync()).Position);
        Assert.Equal(["PositionClosed 101 10 halt"],
            sink.For("r").Where(e => e.Kind == RunnerEventKind.PositionClosed).Select(EngineTestKit.Describe).ToList());
        Assert.Equal(0, engine.Risk.OpenPositions);
    }

    [Fact]
    public void Reservations_from_many_threads_never_pass_the_limits()
    {
        var global = new GlobalRisk(maxTotalNotional: 1_000_000, maxOpenPositions: 100);
        var taken = 0;
        Parallel.For(0, 10_000, i =>
        {
            if (global.TryReserve(1, out _, out _) is null) Interlocked.Increment(ref taken);
        });
        Assert.Equal(100, taken);
        Assert.Equal(100, global.OpenPositions);
        Parallel.For(0, 100, _ => global.Release(1));
        Assert.Equal(0, global.OpenPositions);
        Assert.Equal(0, global.TotalNotional);
        var byNotional = new GlobalRisk(maxTotalNotional: 50);
        var passed = 0;
        Parallel.For(0, 1_000, i =>
        {
            if (byNotional.TryReserve(1, out _, out _) is null) Interlocked.Increment(ref passed);
        });
        Assert.Equal(50, passed);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GlobalRisk(maxOpenPositions: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GlobalRisk(maxTotalNotional: double.NaN));
    }

    public static TheoryData<string, string, string?> ManualCases => new()
    {
        // strategy, action, refusal (null: carried out)
        { "passive", "enter_long", null },                 // Idle
        { "analyzer", "enter_short", null },               // Analyzing
        { "passive", "exit", "exit is not valid in state Idle" },
        { "analyzer", "exit", "exit is not valid in state Analyzing" },
        { "enterer", "enter_long", "enter_long is not valid in state InPosition" },
        { "enterer", "exit", null },                       // InPosition
    };

    [Theory]
    [MemberData(nameof(ManualCases))]
    public async Task A_manual_action_is_carried_out_at_the_next_bar_or_refused_by_the_state(string strategy, string name, string? refusal)
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink);
        var runner = engine.AddRunner(Definition("m", "X", strategy));
        for (var i = 0; i < 3; i++) engine.Publish(Bar("X", i));
        await runner.GetSnapshotAsync();
        var action = name switch
        {
            "enter_long" => TradingAction.EnterLong(0, 2, stopLoss: 90, takeProfit: 120),
            "enter_short" => TradingAction.EnterShort(0, 2),
            _ => TradingAction.Exit(0, TickProcessor.ManualReason),
        };
        var problem = await runner.QueueManualAsync(action);
        if (refusal is not null)
        {
            Assert.NotNull(problem);
            Assert.StartsWith(refusal, problem);
            return;
        }
        Assert.Null(problem);
        Assert.Equal(name, (await runner.GetSnapshotAsync()).ManualAction);
        Assert.StartsWith("a manual", await runner.QueueManualAsync(action)); // one at a time
        engine.Publish(Bar("X", 3, 105));
        var after = await runner.GetSnapshotAsync();
        Assert.Null(after.ManualAction);
        var events = sink.For("m").SkipWhile(e => !(e.Kind == RunnerEventKind.TickReceived && e.Data.Close == 105)).ToList();
        Assert.Contains(events, e => e.Kind == RunnerEventKind.ActionExecuted && e.Action.Name == name);
        if (name == "exit")
        {
            Assert.Null(after.Position);
            Assert.Contains(events, e => e.Kind == RunnerEventKind.PositionClosed && e.Text == "manual" && e.Price == 105);
        }
        else
        {
            Assert.Equal(105, after.Position!.EntryPrice);
            Assert.Equal(2, after.Position.Quantity);
            if (name == "enter_long") Assert.Equal((90.0, 120.0), (after.Position.StopLoss!.Value, after.Position.TakeProfit!.Value));
        }
    }

    [Fact]
    public async Task A_manual_action_is_refused_on_a_paused_or_stopped_runner()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink);
        var runner = engine.AddRunner(Definition("m", "X", "passive"));
        await runner.PauseAsync();
        Assert.Equal("runner 'm' is paused; resume it first", await runner.QueueManualAsync(TradingAction.EnterLong(0, 1)));
        await runner.ResumeAsync();
        Assert.Null(await runner.QueueManualAsync(TradingAction.EnterLong(0, 1)));
        await runner.StopAsync();
        Assert.Equal("runner 'm' is stopped; start it first", await runner.QueueManualAsync(TradingAction.Exit(0, "manual")));
    }

    [Fact]
    public async Task A_manual_entry_goes_through_the_limits_and_the_halt()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink);
        var runner = engine.AddRunner(Definition("m", "X", "passive", new RiskLimits { MaxQuantity = 5 }));
        engine.Publish(Bar("X", 0));
        Assert.Null(await runner.QueueManualAsync(TradingAction.EnterLong(0, 6)));
        engine.Publish(Bar("X", 1));
        var refused = await runner.GetSnapshotAsync();
        Assert.Null(refused.Position);
        Assert.Equal(1, refused.Risk!.Rejections["max_quantity"]);
        Assert.Contains(sink.For("m"), e => e.Kind == RunnerEventKind.Error && e.Text!.StartsWith("manual enter_long rejected: enter_long: risk limit max_quantity"));

        engine.Halt(flatten: false);
        Assert.Null(await runner.QueueManualAsync(TradingAction.EnterLong(0, 1)));
        engine.Publish(Bar("X", 2));
        var halted = await runner.GetSnapshotAsync();
        Assert.Null(halted.Position);
        Assert.Equal(1, halted.Risk!.Rejections["halt"]);
        Assert.Equal(2, halted.Stats.ActionsRejected);
    }

    [Fact]
    public async Task With_next_open_a_manual_entry_fills_at_the_following_bars_open_and_the_strategy_waits()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink);
        var runner = engine.AddRunner(Definition("m", "X", "analyzer", account: NoCosts with { Fill = FillTiming.NextOpen }));
        engine.Publish(Bar("X", 0));
        Assert.Null(await runner.QueueManualAsync(TradingAction.EnterLong(0, 1)));
        engine.Publish(Bar("X", 1, 101));
        var waiting = await runner.GetSnapshotAsync();
        Assert.Null(waiting.Position); // queued for the next open, like the strategy's entries
        Assert.Null(waiting.ManualAction);
        engine.Publish(new MarketData("X", Day0 + 2 * Minute, 103, 104, 102, 103.5, 1, 0, 0));
        var filled = await runner.GetSnapshotAsync();
        Assert.Equal(103, filled.Position!.EntryPrice);
    }

    [Fact]
    public async Task Changing_the_limits_live_keeps_the_position_the_context_and_the_guards_counts()
    {
        var sink = new CollectingSink();
        await using var engine = NewEngine(sink);
        var runner = engine.AddRunner(Definition("c", "X", "enterer", new RiskLimits { MaxQuantity = 5, DailyLossLimit = 1_000 }));
        for (var i = 0; i < 4; i++) engine.Publish(Bar("X", i));
        var before = await runner.GetSnapshotAsync();
        Assert.Null(before.Position);
        Assert.Equal(3, before.Risk!.Rejections["max_quantity"]);

        var changed = await runner.ChangeRiskAsync(new RiskLimits { MaxQuantity = 10, DailyLossLimit = 1_000 });
        Assert.Equal(10, changed.Risk!.Limits.MaxQuantity);
        Assert.Equal(3, changed.Risk.Rejections["max_quantity"]); // the counts go on
        Assert.Equal(before.Risk.DayStartEquity, changed.Risk.DayStartEquity);
        Assert.Equal(10, runner.Definition.Risk!.MaxQuantity);
        engine.Publish(Bar("X", 4));
        var entered = await runner.GetSnapshotAsync();
        Assert.NotNull(entered.Position);

        var removed = await runner.ChangeRiskAsync(new RiskLimits());
        Assert.Null(removed.Risk);
        Assert.Null(runner.Definition.Risk);
        Assert.NotNull(removed.Position);
        Assert.Equal(entered.Context["held"], removed.Context["held"]);
        Assert.Throws<InvalidRunnerDefinitionException>(() => { _ = runner.ChangeRiskAsync(new RiskLimits { MaxQuantity = -1 }); });

        // A reload keeps the changed limits: they are the runner's definition now.
        await runner.ChangeRiskAsync(new RiskLimits { MaxEntriesPerHour = 3 });
        var reloaded = await engine.ReloadRunnerAsync("c");
        Assert.Equal(3, (await reloaded.GetSnapshotAsync()).Risk!.Limits.MaxEntriesPerHour);
    }

    [Fact]
    public void Engine_events_pass_every_runner_id_and_symbol_filter_but_not_a_type_filter_that_leaves_them_out()
    {
        var halted = RunnerEvent.EngineHalted(false, 1);
        var resumed = RunnerEvent.EngineResumed(2);
        var byRunner = new EventFilter(["r1"], [], []);
        var bySymbol = new EventFilter([], ["BTCUSDT"], []);
        var byType = new EventFilter(["r1"], [], [RunnerEventKind.PositionClosed]);
        Assert.True(byRunner.Matches(halted) && byRunner.Matches(resumed));
        Assert.True(bySymbol.Matches(halted) && bySymbol.Matches(resumed));
        Assert.False(byType.Matches(halted));
        Assert.True(new EventFilter(["r1"], [], [RunnerEventKind.EngineHalted]).Matches(halted));
        Assert.False(byRunner.Matches(RunnerEvent.BacktestFinished("bt-1", "done", 3))); // jobs' events keep their rule
    }
}
