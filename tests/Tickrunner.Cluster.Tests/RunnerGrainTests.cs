using Orleans.Core.Internal;
using Tickrunner.Cluster.Runners;
using Xunit.Abstractions;

namespace Tickrunner.Cluster.Tests;

[Collection(RunnerClusterCollection.Name)]
public sealed class RunnerGrainTests(RunnerClusterFixture fixture, ITestOutputHelper output)
{
    private RunnerCluster Runners => fixture.Runners;

    [Fact]
    public async Task Runners_spread_over_the_silos_and_trade_on_each_silos_feed()
    {
        var ids = Enumerable.Range(0, 12).Select(i => $"spread-{i}").ToArray();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
            await Runners.DefineAsync(id, LuaStrategies.Holder, RunnerCluster.Symbols[i % 2]);
        // A shipped strategy, loaded by name from the catalog on whichever silo it lands.
        await Runners.Runner("spread-shipped").DefineAsync(new RunnerSpec { Symbol = "ETHUSDT", StrategyName = "ema_crossover" });

        await Wait.Until(async () =>
        {
            foreach (var id in ids)
                if ((await Runners.Runner(id).GetSnapshotAsync()).ClosedTrades < 2) return false;
            return true;
        }, what: "every runner to close two trades");

        // Paused, so that the snapshot and the trade list read below describe the same moment.
        foreach (var id in ids) await Runners.Runner(id).PauseAsync();
        var views = await Task.WhenAll(ids.Select(id => Runners.Runner(id).GetSnapshotAsync()));
        var silos = views.Select(v => v.Silo).Distinct().ToList();
        output.WriteLine($"{ids.Length} runners on {silos.Count} silos: {string.Join(", ", views.GroupBy(v => v.Silo).Select(g => $"{g.Key}: {g.Count()}"))}");
        Assert.True(silos.Count > 1, $"all runners on {silos[0]}");
        foreach (var view in views)
        {
            // Each runner is listed by the registry of the silo it says it is on, and that silo's feed is what it trades on.
            Assert.Equal(view.Silo, Runners.SiloOf(view.RunnerId)?.SiloAddress.ToString());
            var trades = await Runners.Runner(view.RunnerId).GetTradesAsync();
            Assert.Equal(view.ClosedTrades, trades.Length);
            Assert.All(trades, t => Assert.True(t.ExitTimestamp > t.EntryTimestamp));
        }
        // One subscription per silo, however many runners it has.
        foreach (var silo in Runners.Cluster.GetActiveSilos())
        {
            Assert.Equal(1, Runners.Feed(silo).Subscriptions);
            Assert.True(Runners.Feed(silo).BarsReceived > 0);
        }
        var shipped = await Runners.Runner("spread-shipped").GetSnapshotAsync();
        Assert.Equal("running", shipped.Status);
        Assert.True(shipped.TicksProcessed > 0);

        foreach (var id in ids.Append("spread-shipped")) await Runners.Runner(id).RemoveAsync();
    }

    [Fact]
    public async Task A_deactivated_runner_comes_back_with_its_position_context_and_closed_trades()
    {
        var runner = Runners.Runner("survivor");
        await Runners.DefineAsync("survivor", LuaStrategies.Idler);
        // By hand, so the trades are known: one closed trade, then an open position.
        Assert.Null(await QueueAsync(() => runner.EnterAsync("long", 0.5)));
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).Position is not null, what: "the manual entry");
        Assert.Null(await QueueAsync(() => runner.ExitAsync()));
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).ClosedTrades == 1, what: "the manual exit");
        Assert.Null(await QueueAsync(() => runner.EnterAsync("short", 0.25, stopLoss: 1000)));
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).Position is not null, what: "the second entry");

        var before = await runner.GetSnapshotAsync();
        var tradesBefore = await runner.GetTradesAsync();
        await runner.Cast<IGrainManagementExtension>().DeactivateOnIdle();

        // Back through the keep-alive (or this call), as a new activation restored from the stored state.
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).Activations > before.Activations, what: "a new activation");
        var after = await runner.GetSnapshotAsync();
        var tradesAfter = await runner.GetTradesAsync();
        output.WriteLine($"activation {before.Activations} on {before.Silo} -> {after.Activations} on {after.Silo}");

        Assert.Equal("InPosition", after.State);
        Assert.Equal("short", after.Position!.Side);
        Assert.Equal(before.Position!.EntryPrice, after.Position.EntryPrice);
        Assert.Equal(before.Position.EntryTimestamp, after.Position.EntryTimestamp);
        Assert.Equal(0.25, after.Position.Quantity);
        Assert.Equal(1000, after.Position.StopLoss);
        Assert.Equal(before.Position.EntryFee, after.Position.EntryFee);
        Assert.Equal(1, after.ClosedTrades);
        Assert.Equal(tradesBefore, tradesAfter);
        Assert.Equal(before.RealizedPnl, after.RealizedPnl, 9);
        Assert.Equal(before.FeesPaid, after.FeesPaid, 9);
        // The context was written on deactivation; the new activation counts on from it.
        Assert.True(after.Context["bars"].Integer >= before.Context["bars"].Integer);
        // The restored position is the one the runner holds: a second entry is refused, and the exit closes it.
        Assert.NotNull(await runner.EnterAsync("long", 1));
        Assert.Null(await QueueAsync(() => runner.ExitAsync()));
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).ClosedTrades == 2, what: "the exit of the restored position");
        var closed = (await runner.GetTradesAsync())[^1];
        Assert.Equal(before.Position.EntryTimestamp, closed.EntryTimestamp);
        Assert.Equal("short", closed.Side);

        await runner.RemoveAsync();
    }

    [Fact]
    public async Task Risk_limits_hold_across_a_move_with_the_guard_state_they_had()
    {
        var runner = Runners.Runner("guarded");
        await runner.DefineAsync(new RunnerSpec
        {
            Symbol = "BTCUSDT", StrategyCode = LuaStrategies.Idler, Risk = new RiskSpec { MaxEntriesPerHour = 1, MaxQuantity = 2 },
        });
        // Too large: refused by the limit at the bar, and counted.
        Assert.Null(await QueueAsync(() => runner.EnterAsync("long", 3)));
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).RiskRefusals == 1, what: "the quantity refusal");
        Assert.Null((await runner.GetSnapshotAsync()).Position);
        // The hour's one entry, then out again.
        Assert.Null(await QueueAsync(() => runner.EnterAsync("long", 1)));
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).Position is not null, what: "the entry");
        Assert.Null(await QueueAsync(() => runner.ExitAsync()));
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).ClosedTrades == 1, what: "the exit");

        var before = await runner.GetSnapshotAsync();
        await runner.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).Activations > before.Activations, what: "a new activation");
        Assert.Equal(1, (await runner.GetSnapshotAsync()).RiskRefusals);

        // The new activation remembers the entry of this hour: a second one is refused.
        Assert.Null(await QueueAsync(() => runner.EnterAsync("long", 1)));
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).RiskRefusals == 2, what: "the per-hour refusal after the move");
        var after = await runner.GetSnapshotAsync();
        Assert.Null(after.Position);
        Assert.Null(after.PendingManual);
        Assert.Equal(1, after.ClosedTrades);

        await runner.RemoveAsync();
    }

    [Fact]
    public async Task A_manual_action_acknowledged_before_a_move_still_waits_for_the_next_bar_after_it()
    {
        // A symbol the feed has no bars for: the action waits as long as the test needs.
        var runner = Runners.Runner("patient");
        await runner.DefineAsync(new RunnerSpec { Symbol = "NOBARSUSDT", StrategyCode = LuaStrategies.Idler });
        Assert.Null(await runner.EnterAsync("short", 0.5, stopLoss: 200));
        var before = await runner.GetSnapshotAsync();
        Assert.Equal("enter_short", before.PendingManual);

        await runner.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).Activations > before.Activations, what: "a new activation");
        Assert.Equal("enter_short", (await runner.GetSnapshotAsync()).PendingManual);
        Assert.Contains("already waits", await runner.EnterAsync("long", 1));

        await runner.RemoveAsync();
    }

    [Fact]
    public async Task An_order_stored_as_waiting_for_the_next_open_fills_at_the_first_open_of_the_activation_that_restores_it()
    {
        // As a silo that died between the bar that queued the order and the next one leaves it in the storage.
        var stored = new GrainState<RunnerGrainState>(new RunnerGrainState
        {
            Spec = new RunnerSpec { Symbol = "BTCUSDT", StrategyCode = LuaStrategies.Idler, Account = new AccountSpec { Fill = "next_open" } },
            State = "Analyzing",
            QueuedAction = new PendingActionView { Action = "enter_long", Price = 100, Quantity = 0.5, StopLoss = 1 },
            LastBarTimestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            Activations = 1,
        });
        await Runners.Storage.WriteStateAsync(RunnerGrain.StateName, GrainId.Create(RunnerGrain.GrainTypeName, "queued"), stored);

        var runner = Runners.Runner("queued");
        var view = await runner.GetSnapshotAsync();
        Assert.True(view.QueuedAction == "enter_long" || view.Position is not null, "the stored order was not restored");
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).Position is not null, what: "the order to fill");
        var after = await runner.GetSnapshotAsync();
        Assert.Null(after.QueuedAction);
        Assert.Equal(0.5, after.Position!.Quantity);
        Assert.Equal(1, after.Position.StopLoss);
        Assert.True(after.Position.EntryTimestamp > stored.State!.LastBarTimestamp, "filled on a bar before the restore");

        await runner.RemoveAsync();
    }

    // A manual action is refused while the previous one still waits for its bar: retried until it is queued or refused otherwise.
    private static async Task<string?> QueueAsync(Func<Task<string?>> queue)
    {
        string? refusal = null;
        await Wait.Until(async () => (refusal = await queue()) is null || !refusal.Contains("already waits", StringComparison.Ordinal),
            what: "a manual action to be queued");
        return refusal;
    }

    [Fact]
    public async Task Pause_resume_stop_and_remove_work_through_grain_calls()
    {
        var runner = Runners.Runner("commanded");
        await Runners.DefineAsync("commanded", LuaStrategies.Holder);
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).TicksProcessed > 3, what: "bars");

        Assert.Equal("paused", await runner.PauseAsync());
        var paused = (await runner.GetSnapshotAsync()).TicksProcessed;
        await Task.Delay(5 * RunnerCluster.BarIntervalMs);
        Assert.Equal(paused, (await runner.GetSnapshotAsync()).TicksProcessed);
        Assert.Equal("paused", (await runner.GetSnapshotAsync()).Status);

        Assert.NotNull(Runners.SiloOf("commanded")); // a paused runner stays on the feed, to resume at once
        Assert.Equal("running", await runner.ResumeAsync());
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).TicksProcessed > paused, what: "bars after resume");

        Assert.Equal("stopped", await runner.StopAsync());
        var stopped = await runner.GetSnapshotAsync();
        Assert.Equal("stopped by request", stopped.StopReason);
        await Task.Delay(5 * RunnerCluster.BarIntervalMs);
        Assert.Equal(stopped.TicksProcessed, (await runner.GetSnapshotAsync()).TicksProcessed);
        Assert.Equal("stopped", await runner.ResumeAsync()); // a stopped runner stays stopped
        Assert.Null(Runners.SiloOf("commanded")); // and off its silo's feed
        Assert.Contains("commanded", await Runners.Storage.ListKeysAsync(RunnerGrain.GrainTypeName));

        await runner.RemoveAsync();
        var gone = await Assert.ThrowsAsync<ClusterRunnerException>(() => runner.GetSnapshotAsync());
        Assert.Contains("There is no runner 'commanded'", gone.Message);
        Assert.DoesNotContain("commanded", await Runners.Storage.ListKeysAsync(RunnerGrain.GrainTypeName));
    }

    [Fact]
    public async Task Bad_definitions_are_refused_with_the_reason_and_the_other_runners_go_on()
    {
        await Runners.DefineAsync("bystander", LuaStrategies.Holder);
        await Wait.Until(async () => (await Runners.Runner("bystander").GetSnapshotAsync()).ClosedTrades >= 1, what: "a first trade");

        var unknown = await Assert.ThrowsAsync<ClusterRunnerException>(() =>
            Runners.Runner("bad-name").DefineAsync(new RunnerSpec { Symbol = "BTCUSDT", StrategyName = "no_such_strategy" }));
        Assert.Contains("no strategy named 'no_such_strategy'", unknown.Message);

        var syntax = await Assert.ThrowsAsync<ClusterRunnerException>(() => Runners.DefineAsync("bad-code", LuaStrategies.SyntaxError));
        output.WriteLine(syntax.Message);
        Assert.Contains("line 3", syntax.Message);

        var parameter = await Assert.ThrowsAsync<ClusterRunnerException>(() =>
            Runners.DefineAsync("bad-param", LuaStrategies.Holder, parameters: new() { ["hold"] = 0L }));
        Assert.Contains("hold", parameter.Message);

        var id = await Assert.ThrowsAsync<ClusterRunnerException>(() => Runners.DefineAsync("bad id!", LuaStrategies.Holder));
        Assert.Contains("not a valid runner id", id.Message);

        // A strategy that fails on every bar is counted and skipped (stop_on_error is off), on a silo that goes on.
        await Runners.DefineAsync("raiser", LuaStrategies.Raiser);
        await Wait.Until(async () => (await Runners.Runner("raiser").GetSnapshotAsync()).Errors >= 3, what: "the raiser's errors");
        Assert.Equal("running", (await Runners.Runner("raiser").GetSnapshotAsync()).Status);

        // Nothing was stored for the refused runners, and the bystander trades on.
        var stored = await Runners.Storage.ListKeysAsync(RunnerGrain.GrainTypeName);
        Assert.DoesNotContain("bad-name", stored);
        Assert.DoesNotContain("bad-code", stored);
        var trades = (await Runners.Runner("bystander").GetSnapshotAsync()).ClosedTrades;
        await Wait.Until(async () => (await Runners.Runner("bystander").GetSnapshotAsync()).ClosedTrades > trades, what: "a trade after the refusals");
        await Assert.ThrowsAsync<ClusterRunnerException>(() => Runners.Runner("bad-code").GetSnapshotAsync());

        await Runners.Runner("bystander").RemoveAsync();
        await Runners.Runner("raiser").RemoveAsync();
    }

    [Fact]
    public async Task Defining_a_runner_again_replaces_it_with_a_new_one_on_the_new_symbol()
    {
        var runner = Runners.Runner("redefined");
        await Runners.DefineAsync("redefined", LuaStrategies.Holder, "BTCUSDT");
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).ClosedTrades >= 1, what: "a first trade");

        var again = await Runners.DefineAsync("redefined", LuaStrategies.Idler, "ETHUSDT");
        Assert.Equal(0, again.ClosedTrades);
        Assert.Null(again.Position);
        Assert.Equal("Idle", again.State);
        Assert.Empty(await runner.GetTradesAsync());
        var silo = Runners.SiloOf("redefined")!;
        Assert.Contains(Runners.Registry(silo).RunnersOf("ETHUSDT"), r => r.RunnerId == "redefined");
        Assert.DoesNotContain(Runners.Registry(silo).RunnersOf("BTCUSDT"), r => r.RunnerId == "redefined");
        await Wait.Until(async () => (await runner.GetSnapshotAsync()).Context.ContainsKey("bars"), what: "the new strategy's first bar");

        await runner.RemoveAsync();
    }
}
