namespace Tickrunner.Cluster.Runners;

/// <summary>What a runner grain stores: its definition, status and everything the engine resumes a runner with, and its newest trades.</summary>
/// <remarks>Written as JSON by the cluster's grain storage; the window is not stored and fills again from the feed.</remarks>
[GenerateSerializer]
public sealed class RunnerGrainState
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
    /// <summary>The newest closed trades, oldest first.</summary>
    [Id(8)] public List<TradeView> Trades { get; set; } = [];
    /// <summary>The newest bar time processed when this was written: a bar at or before it is not processed again.</summary>
    [Id(9)] public long LastBarTimestamp { get; set; }
    /// <summary>Why the runner stopped, if it did.</summary>
    [Id(10)] public string? StopReason { get; set; }
    /// <summary>Times the runner was activated since its definition.</summary>
    [Id(11)] public long Activations { get; set; }
}
