namespace Tickrunner.Engine.Events;

/// <summary>Sizes of the hub's buffers.</summary>
public sealed class EventHubOptions
{
    /// <summary>Recent events kept for subscribers that start from a given seq.</summary>
    public int HistorySize { get; set; } = 10_000;

    /// <summary>Default queue size of one subscriber.</summary>
    public int SubscriberQueueSize { get; set; } = 4_096;
}
