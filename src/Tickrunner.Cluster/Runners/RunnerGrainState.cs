using System.Text.Json.Serialization;
using Tickrunner.Cluster.Storage;

namespace Tickrunner.Cluster.Runners;

/// <summary>What a runner grain stores: its definition, status and everything the engine resumes a runner with.</summary>
/// <remarks>
/// Written as JSON by the cluster's grain storage; the window is not stored and fills again from the feed. The closed trades
/// are the state's journal (<see cref="IJournaledState"/>): each write appends the new ones beside the row instead of
/// rewriting the whole history, which cost a runner that trades often most of its time.
/// </remarks>
[GenerateSerializer]
public sealed class RunnerGrainState : IJournaledState
{
    /// <summary>The definition; null while the runner is not defined.</summary>
    [Id(0)] public RunnerSpec? Spec { get; set; }
    /// <summary>The engine's runner status name (Running, Paused, Stopped).</summary>
    [Id(1)] public string Status { get; set; } = "Running";
    /// <summary>The state machine's state name.</summary>
    [Id(2)] public string State { get; set; } = "Idle";
    /// <summary>The open position.</summary>
    [Id(3)] public PositionView? Position { get; set; }
    /// <summary>The strategy's context scalars.</summary>
    [Id(4)] public Dictionary<string, ScalarValue> Context { get; set; } = [];
    /// <summary>Realized P&amp;L of the closed trades.</summary>
    [Id(5)] public double RealizedPnl { get; set; }
    /// <summary>Fees of the closed trades.</summary>
    [Id(6)] public double ClosedFees { get; set; }
    /// <summary>All trades closed since the definition.</summary>
    [Id(7)] public long ClosedTradeCount { get; set; }
    /// <summary>The newest bar time processed when this was written: a bar at or before it is not processed again.</summary>
    [Id(9)] public long LastBarTimestamp { get; set; }
    /// <summary>Why the runner stopped, if it did.</summary>
    [Id(10)] public string? StopReason { get; set; }
    /// <summary>Times the runner was activated since its definition.</summary>
    [Id(11)] public long Activations { get; set; }
    /// <summary>The risk guard's state when the runner has limits.</summary>
    [Id(12)] public RiskStateView? Risk { get; set; }
    /// <summary>A manual action waiting for the next bar.</summary>
    [Id(13)] public PendingActionView? PendingManual { get; set; }
    /// <summary>An entry or exit the strategy asked for, waiting for the next bar's open (<c>fill: next_open</c>).</summary>
    [Id(14)] public PendingActionView? QueuedAction { get; set; }

    /// <summary>Trades closed since the last write (<see cref="TradeView"/>), appended to the journal by the next one.</summary>
    [JsonIgnore]
    [field: NonSerialized] public List<object> JournalPending { get; } = [];
    /// <summary>How many of the newest trades the journal keeps (the option <c>Cluster:TradeHistorySize</c>).</summary>
    [JsonIgnore]
    [field: NonSerialized] public int JournalCapacity { get; set; } = 1000;
    /// <summary>True when the next write empties the journal first: a new definition starts without the old runner's trades.</summary>
    [JsonIgnore]
    [field: NonSerialized] public bool JournalRestart { get; set; }
}
