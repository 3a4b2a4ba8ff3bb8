using Tickrunner.Engine.Wire;

namespace Tickrunner.Engine.Events;

/// <summary>An event as the hub published it: its engine-wide sequence number and, on first use, its JSON.</summary>
/// <remarks>
/// The JSON is made by the first subscriber that needs it and then shared by all (one serialization per
/// event), which keeps serialization off the runners: publishing only numbers and fans out.
/// </remarks>
public sealed class EventFrame(long seq, in RunnerEvent runnerEvent, long publishedAt)
{
    private byte[]? _json;

    /// <summary>Engine-wide sequence number, strictly increasing.</summary>
    public long Seq { get; } = seq;

    /// <summary>The event.</summary>
    public RunnerEvent Event { get; } = runnerEvent;

    /// <summary>When the hub published it (Stopwatch ticks).</summary>
    public long PublishedAt { get; } = publishedAt;

    /// <summary>UTF-8 JSON of the event, externally tagged (one WebSocket text frame).</summary>
    public byte[] Json => Volatile.Read(ref _json) ?? Serialize();

    private byte[] Serialize()
    {
        var json = EventJson.Serialize(Event, Seq);
        return Interlocked.CompareExchange(ref _json, json, null) ?? json;
    }
}
