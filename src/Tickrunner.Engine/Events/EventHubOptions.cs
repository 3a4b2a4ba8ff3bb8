namespace Tickrunner.Engine.Events;

/// <summary>Sizes of the hub's buffers.</summary>
public sealed class EventHubOptions
{
    /// <summary>Recent events kept for subscribers that start from a given seq.</summary>
    public int HistorySize { get; set; } = 10_000;

    /// <summary>
    /// <see cref="HistorySize"/> under the name the server's configuration gives it
    /// (<c>Tickrunner:Engine:EventHistorySize</c>), so the server binds these options from that section.
    /// </summary>
    public int EventHistorySize
    {
        get => HistorySize;
        set => HistorySize = value;
    }

    /// <summary>Default queue size of one subscriber.</summary>
    public int SubscriberQueueSize { get; set; } = 4_096;
}
