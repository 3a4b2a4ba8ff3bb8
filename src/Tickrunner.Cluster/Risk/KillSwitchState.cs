namespace Tickrunner.Cluster.Risk;

/// <summary>The cluster's kill switch: on or off, how many flattens were asked, and a version that rises with each change.</summary>
[GenerateSerializer, Immutable]
public sealed record KillSwitchState
{
    /// <summary>Entries are refused on every runner of the cluster.</summary>
    [Id(0)] public bool Halted { get; init; }
    /// <summary>Halts that also closed every open position (each one closes them once).</summary>
    [Id(1)] public long FlattenRequests { get; init; }
    /// <summary>Raised by every change, so a silo never goes back to an older state it hears late.</summary>
    [Id(2)] public long Version { get; init; }
    /// <summary>When the switch was thrown (Unix ms; a second halt keeps the first one's time), or null while it is off.</summary>
    [Id(3)] public long? HaltedAt { get; init; }
    /// <summary>Whether the newest halt asked to close every open position.</summary>
    [Id(4)] public bool Flatten { get; init; }
}
