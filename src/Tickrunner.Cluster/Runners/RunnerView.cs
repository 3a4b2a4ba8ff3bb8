namespace Tickrunner.Cluster.Runners;

/// <summary>A runner's state as its grain answers it: status, trading state, position, context, account totals and where it runs.</summary>
[GenerateSerializer, Immutable]
public sealed record RunnerView
{
    /// <summary>The runner's id (its grain's key).</summary>
    [Id(0)] public required string RunnerId { get; init; }
    /// <summary>What it was defined as.</summary>
    [Id(1)] public required RunnerSpec Spec { get; init; }
    /// <summary>running, paused or stopped.</summary>
    [Id(2)] public required string Status { get; init; }
    /// <summary>Idle, Analyzing or InPosition.</summary>
    [Id(3)] public required string State { get; init; }
    /// <summary>The open position, if any.</summary>
    [Id(4)] public PositionView? Position { get; init; }
    /// <summary>The strategy's context scalars.</summary>
    [Id(5)] public Dictionary<string, ScalarValue> Context { get; init; } = [];
    /// <summary>Realized P&amp;L of the closed trades, before fees.</summary>
    [Id(6)] public double RealizedPnl { get; init; }
    /// <summary>Every fee paid, the open position's entry fee included.</summary>
    [Id(7)] public double FeesPaid { get; init; }
    /// <summary>All trades this runner closed since it was defined (the stored history keeps the newest).</summary>
    [Id(8)] public long ClosedTrades { get; init; }
    /// <summary>Bars this activation processed (not stored: it starts at 0 on another silo).</summary>
    [Id(9)] public long TicksProcessed { get; init; }
    /// <summary>Strategy errors this activation counted.</summary>
    [Id(10)] public long Errors { get; init; }
    /// <summary>Why it stopped, when it stopped on its own (a strategy error, the drawdown limit) or by request.</summary>
    [Id(11)] public string? StopReason { get; init; }
    /// <summary>The address of the silo its activation is on.</summary>
    [Id(12)] public required string Silo { get; init; }
    /// <summary>Times this runner was activated since it was defined (1 until it moves or is deactivated).</summary>
    [Id(13)] public long Activations { get; init; }
    /// <summary>The manual action waiting for the next bar (enter_long, enter_short or exit), if any.</summary>
    [Id(14)] public string? PendingManual { get; init; }
    /// <summary>Entries the risk limits refused since the definition (stored when something else is written).</summary>
    [Id(15)] public long RiskRefusals { get; init; }
    /// <summary>Entries are blocked until the next UTC day: the daily loss limit was hit.</summary>
    [Id(16)] public bool EntriesBlocked { get; init; }
    /// <summary>The entry or exit waiting for the next bar's open (enter_long, enter_short or exit), if any.</summary>
    [Id(17)] public string? QueuedAction { get; init; }
}
