using Tickrunner.Cluster.Risk;
using Tickrunner.Server.Common;
using Tickrunner.Server.Runners;

namespace Tickrunner.Server.Clustering;

/// <summary>
/// The kill switch when runners run on the cluster: the cluster's <see cref="IKillSwitchGrain"/>, stored before it answers
/// and told to every silo. Open positions and their notional are counted over the runners of the cluster that answer; the engine-wide
/// limits on them are not enforced across silos, so none is reported.
/// </summary>
public sealed class ClusterEngineControl(IGrainFactory grains, IRunnerService runners) : IEngineControl
{
    private IKillSwitchGrain Switch => grains.GetGrain<IKillSwitchGrain>(KillSwitchGrain.Key);

    /// <inheritdoc />
    public async Task<EngineRiskState> HaltAsync(bool flatten) => await StateOfAsync(await Call(() => Switch.HaltAsync(flatten)), CancellationToken.None);

    /// <inheritdoc />
    public async Task<EngineRiskState> ResumeAsync() => await StateOfAsync(await Call(() => Switch.ResumeAsync()), CancellationToken.None);

    /// <inheritdoc />
    public async Task<EngineRiskState> StateAsync(CancellationToken cancellationToken) =>
        await StateOfAsync(await Call(() => Switch.GetAsync()), cancellationToken);

    private async Task<EngineRiskState> StateOfAsync(KillSwitchState state, CancellationToken ct)
    {
        var open = (await runners.ListAsync(ct)).Where(s => s.Position is not null).ToList();
        return new EngineRiskState(state.Halted, state.HaltedAt, state.Halted && state.Flatten, open.Count,
            open.Sum(s => s.Position!.EntryPrice * s.Position.Quantity), null, null);
    }

    private static async Task<KillSwitchState> Call(Func<Task<KillSwitchState>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (ClusterRunnerService.IsUnreachable(e))
        {
            throw new UnavailableException($"The cluster's kill switch did not answer ({e.Message}); try again in a few seconds.");
        }
    }
}
