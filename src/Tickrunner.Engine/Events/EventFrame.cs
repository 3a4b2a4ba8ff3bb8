namespace Tickrunner.Engine.Events;

/// <summary>An event as the hub published it: its engine-wide sequence number and its JSON, made once and shared.</summary>
public sealed class EventFrame(long seq, in RunnerEvent runnerEvent, byte[] json, long publishedAt)
{
    /// <summary>Engine-wide sequence number, strictly increasing.</summary>
    public long Seq { get; } = seq;

    /// <summary>The event.</summary>
    public RunnerEvent Event { get; } = runnerEvent;

    /// <summary>UTF-8 JSON of the event, externally tagged (one WebSocket text frame).</summary>
    public byte[] Json { get; } = json;

    /// <summary>When the hub published it (Stopwatch ticks).</summary>
    public long PublishedAt { get; } = publishedAt;
}
