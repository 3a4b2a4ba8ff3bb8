namespace Tickrunner.Engine.Events;

/// <summary>
/// Counts the events that full subscriber queues dropped, over every subscription given it (e.g. all WebSocket
/// clients), at the moment each is dropped: a client that stopped reading shows up at once, not when it next reads.
/// </summary>
public sealed class EventDropCounter
{
    private long _count;

    /// <summary>Events dropped so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    internal void Add(long count) => Interlocked.Add(ref _count, count);
}
