using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.TestingHost;
using Tickrunner.Cluster.Events;
using Tickrunner.Cluster.Risk;
using Tickrunner.Engine.Events;

namespace Tickrunner.Cluster.Tests;

[Collection(RunnerClusterCollection.Name)]
public sealed class KillSwitchTests(RunnerClusterFixture fixture)
{
    private RunnerCluster Runners => fixture.Runners;

    [Fact]
    public async Task A_halt_with_flatten_closes_every_position_on_every_silo_refuses_entries_until_resumed_and_is_stored()
    {
        var ids = Enumerable.Range(0, 6).Select(i => $"halted-{i}").ToArray();
        // Holds for a long time once in: every runner is in a position when the switch is thrown.
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
            await Runners.DefineAsync(id, LuaStrategies.Holder, RunnerCluster.Symbols[i % 2], new() { ["hold"] = 10_000L });
        await Wait.Until(async () => await AllAsync(ids, v => v.Position is not null), what: "every runner in a position");
        var silos = Runners.Cluster.GetActiveSilos().ToList();
        Assert.True(ids.Select(Runners.SiloOf).Distinct().Count() > 1, "all runners on one silo");
        var subscriptions = silos.Select(s => Events(s).Hub.Subscribe(new EventFilter([], [], [RunnerEventKind.EngineHalted, RunnerEventKind.EngineResumed]))).ToList();
        var killSwitch = Runners.Client.GetGrain<IKillSwitchGrain>(KillSwitchGrain.Key);
        try
        {
            var halted = await killSwitch.HaltAsync(flatten: true);
            Assert.True(halted.Halted);

            // Flat everywhere, each position closed as a trade, and no new entry while halted.
            await Wait.Until(async () => await AllAsync(ids, v => v.Position is null && v.ClosedTrades == 1), what: "every position closed");
            await Task.Delay(6 * RunnerCluster.BarIntervalMs);
            Assert.True(await AllAsync(ids, v => v.Position is null && v.RiskRefusals > 0), "a runner entered while halted");
            foreach (var subscription in subscriptions)
            {
                Assert.True(subscription.TryRead(out var message), "a silo's hub did not announce the halt");
                Assert.Contains("\"flatten\":true", Encoding.UTF8.GetString(message.Json));
            }

            // Stored: a new activation of the switch still holds it on, and a silo that applies it again changes nothing.
            await killSwitch.Cast<IGrainManagementExtension>().DeactivateOnIdle();
            Assert.Equal(halted, await killSwitch.GetAsync());
            Assert.All(silos, s => Assert.Equal(halted.Version, Risk(s).Version));

            var resumed = await killSwitch.ResumeAsync();
            Assert.False(resumed.Halted);
            Assert.Equal(halted.Version + 1, resumed.Version);
            await Wait.Until(async () => await AllAsync(ids, v => v.Position is not null), what: "every runner in a position again");
            foreach (var subscription in subscriptions)
            {
                Assert.True(subscription.TryRead(out var message), "a silo's hub did not announce the resume");
                Assert.Contains("EngineResumed", Encoding.UTF8.GetString(message.Json));
            }
            Assert.Equal(resumed, await killSwitch.ResumeAsync()); // off already: nothing changes
            // The halt heard late (a call that was overtaken) does not turn a silo back on.
            Risk(silos[0]).Apply(halted);
            Assert.False(Risk(silos[0]).Global.Halted);
            Assert.Equal(resumed.Version, Risk(silos[0]).Version);
        }
        finally
        {
            await killSwitch.ResumeAsync();
            foreach (var subscription in subscriptions) subscription.Dispose();
            foreach (var id in ids) await Runners.Runner(id).RemoveAsync();
        }
    }

    private async Task<bool> AllAsync(IEnumerable<string> ids, Func<Runners.RunnerView, bool> test)
    {
        foreach (var id in ids)
            if (!test(await Runners.Runner(id).GetSnapshotAsync())) return false;
        return true;
    }

    private ClusterEvents Events(SiloHandle silo) => Runners.Cluster.GetSiloServiceProvider(silo.SiloAddress)!.GetRequiredService<ClusterEvents>();

    private ClusterRisk Risk(SiloHandle silo) => Runners.Cluster.GetSiloServiceProvider(silo.SiloAddress)!.GetRequiredService<ClusterRisk>();
}
