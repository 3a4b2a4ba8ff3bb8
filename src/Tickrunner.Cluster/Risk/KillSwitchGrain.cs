using Tickrunner.Engine.Common;
using Microsoft.Extensions.Logging;
using Tickrunner.Cluster.Events;

namespace Tickrunner.Cluster.Risk;

/// <summary>
/// Stores the kill switch and tells every active silo at once when it changes; <see cref="ClusterRiskSync"/> also reads it
/// on every silo each keep-alive interval, so a silo that missed the call (it was joining) applies it within a second.
/// </summary>
public sealed partial class KillSwitchGrain(
    [PersistentState(KillSwitchGrain.StateName, TickrunnerClusterServices.StorageName)] IPersistentState<KillSwitchState> state,
    IClusterMembershipService membership, ILogger<KillSwitchGrain> logger) : Grain, IKillSwitchGrain
{
    /// <summary>The key of the cluster's one kill switch.</summary>
    public const string Key = "engine";

    /// <summary>The name of its stored state.</summary>
    public const string StateName = "kill-switch";

    /// <inheritdoc />
    public Task<KillSwitchState> HaltAsync(bool flatten) => ChangeAsync(state.State with
    {
        Halted = true, FlattenRequests = state.State.FlattenRequests + (flatten ? 1 : 0),
        HaltedAt = state.State.HaltedAt ?? EngineClock.System.NowUnixMs(), Flatten = flatten,
    }, changed: !state.State.Halted || flatten);

    /// <inheritdoc />
    public Task<KillSwitchState> ResumeAsync() => ChangeAsync(state.State with { Halted = false, HaltedAt = null, Flatten = false }, changed: state.State.Halted);

    /// <inheritdoc />
    public Task<KillSwitchState> GetAsync() => Task.FromResult(state.State);

    // Stored before the answer and before any silo hears of it: an acknowledged halt is never lost.
    private async Task<KillSwitchState> ChangeAsync(KillSwitchState next, bool changed)
    {
        if (!changed) return state.State;
        var previous = state.State;
        state.State = next with { Version = previous.Version + 1 };
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not stored, so not the switch: no silo may read it from this activation, and a retry must write it again.
            state.State = previous;
            throw;
        }
        var silos = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress);
        await Task.WhenAll(silos.Select(TellAsync));
        return state.State;
    }

    private async Task TellAsync(SiloAddress silo)
    {
        try
        {
            await GrainFactory.GetGrain<ISiloKillSwitchGrain>(silo.ToParsableString()).ApplyAsync(state.State);
        }
        catch (Exception e)
        {
            LogTellFailed(e, silo.ToString()); // it reads the state on its own within a keep-alive interval
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Silo} was not told of the kill switch; it will read it itself")]
    private partial void LogTellFailed(Exception e, string silo);
}

/// <summary>The <see cref="ISiloKillSwitchGrain"/> of a silo, on that silo.</summary>
[SiloPinnedPlacement]
public sealed class SiloKillSwitchGrain(ClusterRisk risk) : Grain, ISiloKillSwitchGrain
{
    /// <inheritdoc />
    public Task ApplyAsync(KillSwitchState state)
    {
        risk.Apply(state);
        return Task.CompletedTask;
    }
}
