using Tickrunner.Engine.Common;
using System.Threading.Channels;
using Tickrunner.Engine.Wire;

namespace Tickrunner.Engine.Events;

/// <summary>One message for a subscriber: an event, or a notice that its own oldest events were dropped.</summary>
public readonly record struct EventMessage(EventFrame? Frame, long Dropped, byte[] Json)
{
    /// <summary>True for a lag notice.</summary>
    public bool IsLagNotice => Frame is null;
}

/// <summary>
/// A subscriber's own bounded queue. When it is full the oldest queued event is dropped and counted; the next
/// read returns a lag notice with the count before the remaining events. The hub never waits for it.
/// </summary>
public sealed class EventSubscription : IDisposable
{
    private readonly Channel<EventFrame> _queue;
    private readonly Action<EventSubscription> _unsubscribe;
    private long _dropped, _pendingDropped, _delivered;
    private volatile EventFilter _filter;

    private readonly IEngineClock _clock;
    private readonly EventDropCounter? _drops;

    private readonly Action<EventSubscription> _refiltered;

    internal EventSubscription(int capacity, EventFilter filter, Action<EventSubscription> unsubscribe, Action<EventSubscription> refiltered,
        IEngineClock clock, EventDropCounter? drops = null)
    {
        _refiltered = refiltered;
        _clock = clock;
        _drops = drops;
        _filter = filter;
        _unsubscribe = unsubscribe;
        _queue = Channel.CreateBounded<EventFrame>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        }, _ =>
        {
            Interlocked.Increment(ref _dropped);
            Interlocked.Increment(ref _pendingDropped);
            _drops?.Add(1);
        });
    }

    /// <summary>What this subscriber receives; a new filter applies to every event published after the assignment returns.</summary>
    public EventFilter Filter
    {
        get => _filter;
        set
        {
            _filter = value ?? throw new ArgumentNullException(nameof(value));
            _refiltered(this); // the hub looks for this subscriber where the new filter puts it
        }
    }

    /// <summary>Events dropped because this subscriber fell behind, in total.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Events handed to the reader.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Events waiting to be read.</summary>
    public int Pending => _queue.Reader.Count;

    // Events a since-seq subscription asked for that the hub no longer holds: told like any other loss.
    internal void ReportMissed(long count)
    {
        if (count <= 0) return;
        Interlocked.Add(ref _dropped, count);
        Interlocked.Add(ref _pendingDropped, count);
    }

    internal void Offer(EventFrame frame)
    {
        if (_filter.Matches(frame.Event)) _queue.Writer.TryWrite(frame);
    }

    internal void Enqueue(EventFrame frame) => _queue.Writer.TryWrite(frame);

    /// <summary>The next message without waiting; false when none is queued.</summary>
    public bool TryRead(out EventMessage message)
    {
        var lagged = Interlocked.Exchange(ref _pendingDropped, 0);
        if (lagged > 0)
        {
            message = new EventMessage(null, lagged, StreamMessages.Lagged(lagged, _clock.NowUnixMs()));
            return true;
        }
        // A filter changed after events were queued applies to them too: once a client has been told its new
        // filter, nothing it no longer asked for reaches it.
        var filter = _filter;
        while (_queue.Reader.TryRead(out var frame))
        {
            if (!filter.Matches(frame.Event)) continue;
            Interlocked.Increment(ref _delivered);
            message = new EventMessage(frame, 0, frame.Json);
            return true;
        }
        message = default;
        return false;
    }

    /// <summary>Waits until a message can be read; false once the subscription has ended.</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) =>
        Interlocked.Read(ref _pendingDropped) > 0 ? ValueTask.FromResult(true) : _queue.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Every message until the subscription ends or <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<EventMessage> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            while (TryRead(out var message))
                yield return message;
    }

    internal void Complete() => _queue.Writer.TryComplete();

    /// <summary>Leaves the hub.</summary>
    public void Dispose()
    {
        Complete();
        _unsubscribe(this);
    }
}
