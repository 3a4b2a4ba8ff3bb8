using Tickrunner.Cluster.Events;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Cluster.Risk;

/// <summary>
/// A silo's side of the kill switch: the engine's <see cref="GlobalRisk"/> that every runner of the silo checks (a halt refuses
/// entries, a flatten closes each open position at its runner's next bar, as in one process), kept at the cluster's
/// <see cref="KillSwitchState"/>, with <c>EngineHalted</c> and <c>EngineResumed</c> on the silo's hub when it changes here.
/// </summary>
/// <remarks>
/// Only the switch is cluster-wide. The engine-wide limits on open positions and their notional are not set on the cluster:
/// each silo's <see cref="GlobalRisk"/> counts its own runners only, so such a limit would hold per silo, not for the cluster.
/// </remarks>
public sealed class ClusterRisk(ClusterEvents events)
{
    private readonly Lock _gate = new();
    private long _version, _flattens;
    private bool _heard; // a state was applied (version 0 included: the switch never thrown)

    /// <summary>What this silo's runners check.</summary>
    public GlobalRisk Global { get; } = new();

    /// <summary>The version of the state applied here (0: none yet).</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>
    /// Brings this silo to <paramref name="state"/>; an older or equal version than the one applied changes nothing. The first
    /// state a silo hears sets it on or off without flattening: flattens asked before it heard were for the runners where they
    /// ran then (a runner that moved between a flatten and its next bar does not flatten on its new silo).
    /// </summary>
    public void Apply(KillSwitchState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        RunnerEvent? announce = null;
        lock (_gate)
        {
            if (_heard && state.Version <= _version) return;
            var now = EngineClock.System.NowUnixMs();
            if (state.Halted)
            {
                // A flatten asked before this silo first heard of the switch is not its runners' to answer: they were flattened
                // where they ran then, or came after it.
                var flatten = state.FlattenRequests > _flattens && _heard;
                if (flatten || !Global.Halted)
                {
                    Global.Halt(flatten);
                    announce = RunnerEvent.EngineHalted(flatten, now);
                }
            }
            else if (Global.Halted)
            {
                Global.Resume();
                announce = RunnerEvent.EngineResumed(now);
            }
            _heard = true;
            _flattens = state.FlattenRequests;
            Interlocked.Exchange(ref _version, state.Version);
        }
        if (announce is { } e) events.Emit(e);
    }
}
