using Microsoft.Extensions.Options;
using Tickrunner.Engine.Events;

namespace Tickrunner.Server.Streaming;

/// <summary>What a WebSocket session needs of the server: a connection slot, a hub subscription, and the stream's limits.</summary>
public sealed class EventStreamService(EventHub hub, IOptions<TickrunnerOptions> options)
{
    private readonly WebSocketStreamOptions _limits = options.Value.WebSockets;
    private int _clients;
    // For monitoring (GET /metrics): since the server started, over every session.
    private readonly EventDropCounter _drops = new();
    private long _framesSent, _lagNotices;

    /// <summary>Open WebSocket connections.</summary>
    public int Clients => Volatile.Read(ref _clients);

    /// <summary>Text frames sent to clients: events, lag notices, heartbeats and replies.</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Events dropped from the queues of clients that fell behind (each told by a lag notice).</summary>
    public long FramesDropped => _drops.Count;

    /// <summary>Lag notices sent.</summary>
    public long LagNotices => Interlocked.Read(ref _lagNotices);

    /// <summary>Counts frames a session has written; once per batch, not per frame.</summary>
    internal void CountSent(int frames) => Interlocked.Add(ref _framesSent, frames);

    /// <summary>Counts a lag notice a session has sent.</summary>
    internal void CountLagNotice() => Interlocked.Increment(ref _lagNotices);

    /// <summary>Most concurrent connections.</summary>
    public int MaxConnections => _limits.MaxConnections;

    /// <summary>Time between heartbeats (at least a second).</summary>
    public TimeSpan HeartbeatInterval => TimeSpan.FromSeconds(Math.Max(1, _limits.HeartbeatSeconds));

    /// <summary>A write not accepted for this long ends the session (at least a second).</summary>
    public TimeSpan WriteTimeout => TimeSpan.FromSeconds(Math.Max(1, _limits.WriteTimeoutSeconds));

    /// <summary>The hub's newest seq.</summary>
    public long LastSeq => hub.LastSeq;

    /// <summary>The clock heartbeats are stamped with (the hub's, the engine's).</summary>
    public Tickrunner.Engine.Common.IEngineClock Clock => hub.Clock;

    /// <summary>Takes a connection slot; false when the limit is reached.</summary>
    public bool TryAcquireSlot()
    {
        while (true)
        {
            var current = Volatile.Read(ref _clients);
            if (current >= _limits.MaxConnections) return false;
            if (Interlocked.CompareExchange(ref _clients, current + 1, current) == current) return true;
        }
    }

    /// <summary>Gives a connection slot back.</summary>
    public void ReleaseSlot() => Interlocked.Decrement(ref _clients);

    /// <summary>A client's subscription: its filter, from <paramref name="since"/> if given, with the configured queue size.</summary>
    public EventSubscription Subscribe(EventFilter filter, long? since) => hub.Subscribe(filter, since, _limits.QueueSize, _drops);
}
