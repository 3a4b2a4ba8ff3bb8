using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Tickrunner.Cluster.Events;
using Tickrunner.Engine.Events;
using Xunit.Abstractions;

namespace Tickrunner.Cluster.Tests;

[Collection(RunnerClusterCollection.Name)]
public sealed partial class ClusterEventsTests(RunnerClusterFixture fixture, ITestOutputHelper output)
{
    private RunnerCluster Runners => fixture.Runners;

    [Fact]
    public async Task Every_silo_hears_a_runner_s_events_in_its_order_with_the_same_json_whichever_silo_runs_it()
    {
        var silos = Runners.Cluster.GetActiveSilos().ToList();
        await Wait.Until(() => silos.All(s => Events(s).Peers.Count == silos.Count - 1), what: "each silo to send to the other two");
        var subscriptions = silos.Select(s => Events(s).Hub.Subscribe(new EventFilter(["evented"], [], []), queueSize: 100_000)).ToList();
        // Each silo relays a runner's ticks only to silos that watch it: they have all said so before the runner starts.
        await Wait.Until(() => silos.All(from => silos.Where(to => to != from).All(to => Events(from).PeerWants(to.SiloAddress, "evented", "BTCUSDT"))),
            what: "every silo to know the others watch the runner");
        try
        {
            var runner = Runners.Runner("evented");
            await Runners.DefineAsync("evented", LuaStrategies.Holder, parameters: new() { ["hold"] = 2L });
            await Wait.Until(async () => (await runner.GetSnapshotAsync()).ClosedTrades >= 2, what: "two closed trades");
            await runner.PauseAsync();
            var home = Runners.SiloOf("evented")!;
            var trades = await runner.GetTradesAsync();

            // Every hub has heard the pause: nothing of the runner is still on its way after that.
            var heard = new List<List<string>>();
            foreach (var subscription in subscriptions)
            {
                var bodies = new List<string>();
                await Wait.Until(async () =>
                {
                    while (subscription.TryRead(out var message))
                        if (!message.IsLagNotice) bodies.Add(WithoutSeq(Encoding.UTF8.GetString(message.Json)));
                    if (bodies.Count == 0 || !bodies[^1].Contains("RunnerStatusChanged", StringComparison.Ordinal))
                    {
                        await subscription.WaitToReadAsync(new CancellationTokenSource(200).Token).AsTask().ContinueWith(_ => { });
                        return false;
                    }
                    return true;
                }, what: "the pause on every silo's hub");
                heard.Add(bodies);
            }
            output.WriteLine($"runner on {home.SiloAddress}; {heard[0].Count} events heard on each of {heard.Count} silos");

            // The same events, in the same order, to the byte apart from seq, on the runner's own silo and on the others.
            Assert.All(heard, bodies => Assert.Equal(heard[0], bodies));
            Assert.StartsWith("{\"RunnerStarted\"", heard[0][0]);
            var closed = heard[0].Where(b => b.StartsWith("{\"PositionClosed\"", StringComparison.Ordinal)).ToList();
            Assert.True(closed.Count >= trades.Length, $"{closed.Count} PositionClosed events for {trades.Length} trades");
            Assert.Contains(heard[0], b => b.StartsWith("{\"TickReceived\"", StringComparison.Ordinal));
            Assert.Contains(heard[0], b => b.StartsWith("{\"PositionOpened\"", StringComparison.Ordinal));
            Assert.Contains(heard[0], b => b.StartsWith("{\"StateTransition\"", StringComparison.Ordinal));
            Assert.Contains(heard[0], b => b.StartsWith("{\"ActionExecuted\"", StringComparison.Ordinal));
            foreach (var silo in silos.Where(s => s.SiloAddress != home.SiloAddress)) Assert.True(Events(silo).Received > 0);
            Assert.Equal(0, Events(home).RelayDropped);

            await runner.RemoveAsync();
            foreach (var subscription in subscriptions)
                await Wait.Until(() => subscription.TryRead(out var m) && Encoding.UTF8.GetString(m.Json).Contains("\"removed\"", StringComparison.Ordinal),
                    what: "the removal on every silo's hub");
        }
        finally
        {
            foreach (var subscription in subscriptions) subscription.Dispose();
        }
    }

    [Fact]
    public async Task A_silo_gets_the_ticks_of_only_the_runners_its_subscribers_watch_and_every_runner_s_trades_and_lifecycle()
    {
        await Runners.DefineAsync("watched", LuaStrategies.Holder, "BTCUSDT");
        await Runners.DefineAsync("unwatched", LuaStrategies.Holder, "ETHUSDT");
        try
        {
            var silos = Runners.Cluster.GetActiveSilos().ToList();
            var (watchedHome, unwatchedHome) = (Runners.SiloOf("watched")!, Runners.SiloOf("unwatched")!);
            var watcher = silos.First(s => s.SiloAddress != watchedHome.SiloAddress && s.SiloAddress != unwatchedHome.SiloAddress);
            using var watching = Events(watcher).Hub.Subscribe(new EventFilter(["watched"], [], []), queueSize: 100_000);
            await Wait.Until(() => Events(watchedHome).PeerWants(watcher.SiloAddress, "watched", "BTCUSDT")
                    && !Events(unwatchedHome).PeerWants(watcher.SiloAddress, "unwatched", "ETHUSDT"),
                what: "the runners' silos to know what the watcher wants");

            var since = Events(watcher).Hub.LastSeq;
            var filteredBefore = Events(unwatchedHome).RelayFiltered;
            await Task.Delay(10 * RunnerCluster.BarIntervalMs);
            await Runners.Runner("unwatched").PauseAsync();
            // The hub's history has what reached the watcher, whoever subscribed.
            var unwatched = new EventFilter(["unwatched"], [], []);
            await Wait.Until(() => Events(watcher).Hub.Recent(since, unwatched).Any(f => f.Event.Kind == RunnerEventKind.RunnerStatusChanged),
                what: "the unwatched runner's pause on the watcher's hub");

            var heard = Events(watcher).Hub.Recent(since, unwatched);
            Assert.DoesNotContain(heard, f => f.Event.Kind == RunnerEventKind.TickReceived);
            Assert.Contains(heard, f => f.Event.Kind is RunnerEventKind.PositionOpened or RunnerEventKind.PositionClosed); // trades always go
            Assert.Contains(Events(watcher).Hub.Recent(since, new EventFilter(["watched"], [], [])), f => f.Event.Kind == RunnerEventKind.TickReceived);
            Assert.True(Events(unwatchedHome).RelayFiltered > filteredBefore, "no tick of the unwatched runner was held back");
        }
        finally
        {
            await Runners.Runner("watched").RemoveAsync();
            await Runners.Runner("unwatched").RemoveAsync();
        }
    }

    [Fact]
    public void A_relayed_event_is_the_event_it_was_made_from()
    {
        var layout = Engine.Strategies.PlotLayout.Of([new("ema", "overlay", "#f59e0b", [1.5])]);
        var position = Engine.Trading.Position.Rebuild(Engine.Trading.PositionSide.Short, 101.25, 0.5, 1_000, 110, 90, 0.05, 99.5, 99.5, 2_000, 0.04);
        // Opened and marked at the bar's close away from its fill (slippage), and one opened and stopped out on the same bar.
        var marked = Engine.Trading.Position.Rebuild(Engine.Trading.PositionSide.Long, 100.05, 1, 7, 95, null, 0.1, 100.75);
        var stoppedAtOnce = Engine.Trading.Position.Rebuild(Engine.Trading.PositionSide.Long, 100, 1, 7, 99, null, 0.1, 98.5, 98.5, 7, 0.09);
        Span<double> values = [1.25, 0, 0, 0, 0, 0, 0];
        RunnerEvent[] events =
        [
            RunnerEvent.TickReceived("r1", new Engine.MarketData("BTCUSDT", 1_000, 1, 2, 0.5, 1.5, 10, 1.4, 1.6), 0, 1_001),
            RunnerEvent.StateTransition("r1", "BTCUSDT", new Engine.Trading.Transition(Engine.Trading.TradingState.Idle, Engine.Trading.TradingState.Analyzing, "why", 5), 0, 5),
            RunnerEvent.ActionExecuted("r1", "BTCUSDT", Engine.Trading.TradingAction.EnterShort(101.25, 0.5, 110, 90), 0, 6),
            RunnerEvent.PositionOpened("r1", "BTCUSDT", new Engine.Trading.Position(Engine.Trading.PositionSide.Long, 100, 1, 7, 95, null, 0.1), 0, 7),
            RunnerEvent.PositionOpened("r1", "BTCUSDT", marked, 0, 7),
            RunnerEvent.PositionOpened("r1", "BTCUSDT", stoppedAtOnce, 0, 7),
            RunnerEvent.PositionUpdated("r1", "BTCUSDT", 100.5, 0.5, 0, 8),
            RunnerEvent.PositionClosed("r1", "BTCUSDT", position, "stop", 10_000.5, 9_000.25, 0, 9),
            RunnerEvent.Error("r1", "BTCUSDT", "boom at line 3", ErrorSeverity.Critical, 0, 10),
            RunnerEvent.RunnerStarted("r1", "BTCUSDT", 11),
            RunnerEvent.RunnerStatusChanged("r1", "BTCUSDT", "paused", 12),
            RunnerEvent.RunnerStopped("r1", "BTCUSDT", "removed", 13),
            RunnerEvent.RiskLimitHit("r1", "BTCUSDT", new Engine.Trading.RiskHit(Engine.Trading.RiskLimit.MaxQuantity, 3, 2, Engine.Trading.RiskAction.EnterLong), 0, 14),
            RunnerEvent.Plot("r1", "BTCUSDT", 1_000, layout, 1, values, 0, 15),
        ];
        foreach (var e in events)
        {
            var again = RelayedEvent.Of(e).ToRunnerEvent(0, views => Engine.Strategies.PlotLayout.Of(views.Select(v => v.ToSeries())));
            Assert.Equal(Encoding.UTF8.GetString(EventJsonOf(e)), Encoding.UTF8.GetString(EventJsonOf(again)));
        }
        Assert.False(RelayedEvent.Relayed(RunnerEventKind.BacktestProgress));
        Assert.False(RelayedEvent.Relayed(RunnerEventKind.EngineHalted));
    }

    private static byte[] EventJsonOf(in RunnerEvent e) => new EventFrame(1, e, 0).Json;

    private ClusterEvents Events(SiloHandle silo) => Runners.Cluster.GetSiloServiceProvider(silo.SiloAddress)!.GetRequiredService<ClusterEvents>();

    private static string WithoutSeq(string json) => SeqField().Replace(json, "");

    [GeneratedRegex("\"seq\":\\d+,?")]
    private static partial Regex SeqField();
}
