namespace Tickrunner.Engine.Runners;

/// <summary>Knobs of the engine and its runners.</summary>
public sealed class EngineOptions
{
    /// <summary>
    /// Bars a runner's inbox holds. When a runner falls this far behind, its oldest waiting bar is dropped
    /// (and counted in <c>ticks_dropped</c>): a slow runner works on fresh data and never holds up the feed.
    /// </summary>
    public int InboxCapacity { get; set; } = 1024;

    /// <summary>
    /// Bars a runner processes in a row before it lets the runners queued behind it for a runner thread go
    /// first. Without it a runner that always has work would keep its thread and starve the others.
    /// </summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>
    /// Milliseconds a runner may hold a runner thread before a spare thread serves the runners queued behind it (100;
    /// at least 1). A strategy stuck in a call then delays the others by this much, not until its watchdog fires.
    /// </summary>
    public int SpareThreadAfterMs { get; set; } = 100;

    /// <summary>Threads the runners' loops run on (0: one per core).</summary>
    public int RunnerThreads { get; set; }

    /// <summary>Transitions included in a snapshot.</summary>
    public int SnapshotTransitions { get; set; } = 20;

    /// <summary>Closed trades a runner keeps in memory.</summary>
    public int TradeHistorySize { get; set; } = 1000;
}
