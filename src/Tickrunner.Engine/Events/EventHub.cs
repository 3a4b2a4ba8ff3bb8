using System.Collections.Concurrent;
using System.Diagnostics;
using Tickrunner.Engine.Common;

namespace Tickrunner.Engine.Events;

/// <summary>
/// Collects every runner's events, numbers them with one engine-wide <c>seq</c>, keeps the most recent ones,
/// and hands them to every subscriber's own bounded queue; each event's JSON is made once, on first use.
/// </summary>
/// <remarks>
/// Runners write into a lock-free queue (they never wait, and wake the dispatcher only when it sleeps); one
/// dispatcher thread drains it. The
/// dispatcher never waits for a subscriber: a full subscriber queue drops that subscriber's oldest event.
/// Publishing and subscribing share one lock, so a subscriber starting from a seq gets the history and then
/// the live events with nothing missing or repeated.
/// </remarks>
public sealed class EventHub : IEventSink, IAsyncDisposable
{
    private readonly ConcurrentQueue<RunnerEvent> _ingress = new();
    private readonly SemaphoreSlim _wake = new(0);
    private int _dispatcherSleeping;
    private volatile bool _completing;
    // The history holds the events themselves, not frames: a frame (an object) is made only for subscribers
    // that want the event, so an engine nobody watches allocates nothing per event, and nothing short-lived is
    // kept alive long enough to be promoted (which made every gen0 collection a gen1 one).
    private readonly HistoryEntry[] _history;

    private readonly record struct HistoryEntry(long Seq, RunnerEvent Event, long PublishedAt);
    private readonly EventHubOptions _options;
    private readonly Lock _gate = new();
    private readonly Task _dispatcher;
    private EventSubscription[] _subscribers = [];
    private long _seq;

    /// <summary>Creates the hub and starts its dispatcher.</summary>
    public EventHub(EventHubOptions? options = null) : this(options, startDispatcher: true)
    {
    }

    /// <summary>Without a dispatcher, for measuring emission alone (see <see cref="DiscardBacklog"/>).</summary>
    internal EventHub(EventHubOptions? options, bool startDispatcher)
    {
        _options = options ?? new EventHubOptions();
        if (_options.HistorySize < 1) throw new ArgumentOutOfRangeException(nameof(options), "HistorySize must be at least 1.");
        if (_options.SubscriberQueueSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "SubscriberQueueSize must be at least 1.");
        _history = new HistoryEntry[_options.HistorySize];
        // A thread of its own: woken through the thread pool it would queue behind every runner's work.
        _dispatcher = startDispatcher
            ? Task.Factory.StartNew(Dispatch, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            : Task.CompletedTask;
    }

    /// <summary>Drops whatever is waiting in the ingress (only for a hub without a dispatcher).</summary>
    internal void DiscardBacklog()
    {
        while (_ingress.TryDequeue(out _))
        {
        }
    }

    /// <summary>
    /// Tick → hub latency of every TickReceived: from the bar's arrival in the runner's inbox to its publication
    /// here (queueing, the strategy call, the ingress). Kept by the dispatcher; cheap enough to be always on.
    /// </summary>
    public LatencyHistogram TickLatency { get; } = new();

    /// <summary>The seq of the newest published event (0 before the first).</summary>
    public long LastSeq => Interlocked.Read(ref _seq);

    /// <summary>Events emitted but not yet published.</summary>
    public int Backlog => _ingress.Count;

    /// <summary>Current subscribers.</summary>
    public int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    /// <inheritdoc />
    public void Emit(in RunnerEvent runnerEvent)
    {
        if (_completing) return;
        _ingress.Enqueue(runnerEvent);
        if (Volatile.Read(ref _dispatcherSleeping) == 1 && Interlocked.Exchange(ref _dispatcherSleeping, 0) == 1)
            _wake.Release();
    }

    /// <summary>
    /// Subscribes with its own queue. With <paramref name="sinceSeq"/>, events after that seq that the hub still
    /// holds are queued first (a lag notice counts those it no longer holds).
    /// </summary>
    public EventSubscription Subscribe(EventFilter? filter = null, long? sinceSeq = null, int? queueSize = null)
    {
        var capacity = queueSize ?? _options.SubscriberQueueSize;
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(queueSize), capacity, "queueSize must be at least 1.");
        var subscription = new EventSubscription(capacity, filter ?? EventFilter.All, Unsubscribe);
        lock (_gate)
        {
            if (sinceSeq is { } since)
            {
                var oldestHeld = Math.Max(1, _seq - _history.Length + 1);
                subscription.ReportMissed(Math.Min(_seq, oldestHeld - 1) - since);
                foreach (var frame in HistoryAfter(since)) subscription.Offer(frame);
            }
            _subscribers = [.. _subscribers, subscription];
        }
        return subscription;
    }

    /// <summary>Events after <paramref name="sinceSeq"/> still held, oldest first, that pass <paramref name="filter"/>.</summary>
    public IReadOnlyList<EventFrame> Recent(long sinceSeq, EventFilter? filter = null, int limit = int.MaxValue)
    {
        lock (_gate)
        {
            return HistoryAfter(sinceSeq).Where(f => filter?.Matches(f.Event) ?? true).Take(limit).ToList();
        }
    }

    private IEnumerable<EventFrame> HistoryAfter(long sinceSeq)
    {
        var last = _seq;
        var first = Math.Max(Math.Max(sinceSeq + 1, 1), last - _history.Length + 1);
        for (var seq = first; seq <= last; seq++)
        {
            var entry = _history[seq % _history.Length];
            if (entry.Seq == seq) yield return new EventFrame(entry.Seq, entry.Event, entry.PublishedAt);
        }
    }

    private void Unsubscribe(EventSubscription subscription)
    {
        lock (_gate) _subscribers = _subscribers.Where(s => s != subscription).ToArray();
    }

    private void Dispatch()
    {
        var batch = new RunnerEvent[256];
        while (true)
        {
            PublishBatches(batch);
            if (_completing && _ingress.IsEmpty) break;
            // Announce the sleep, then look once more: an event enqueued before the announcement is seen here,
            // one enqueued after it finds the flag set and releases the semaphore.
            Interlocked.Exchange(ref _dispatcherSleeping, 1);
            if (!_ingress.IsEmpty || _completing)
            {
                if (Interlocked.Exchange(ref _dispatcherSleeping, 0) == 1) continue;
                // A producer took the flag and is releasing: consume that release.
            }
            _wake.Wait();
        }
        lock (_gate)
            foreach (var subscriber in _subscribers) subscriber.Complete();
    }

    // Takes the lock once per batch: subscribers and the history see whole batches, in seq order.
    private void PublishBatches(RunnerEvent[] batch)
    {
        while (true)
        {
            var count = 0;
            while (count < batch.Length && _ingress.TryDequeue(out batch[count])) count++;
            if (count == 0) return;
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                var subscribers = _subscribers;
                for (var i = 0; i < count; i++)
                {
                    if (batch[i].Kind == RunnerEventKind.TickReceived) TickLatency.RecordTicks(now - batch[i].ReceivedAt);
                    var seq = _seq + 1;
                    _history[seq % _history.Length] = new HistoryEntry(seq, batch[i], now);
                    Volatile.Write(ref _seq, seq);
                    EventFrame? frame = null;
                    foreach (var subscriber in subscribers)
                        if (subscriber.Filter.Matches(batch[i])) subscriber.Enqueue(frame ??= new EventFrame(seq, batch[i], now));
                }
            }
        }
    }

    /// <summary>Publishes what is left, then ends every subscription.</summary>
    public async ValueTask DisposeAsync()
    {
        _completing = true;
        if (Interlocked.Exchange(ref _dispatcherSleeping, 0) == 1) _wake.Release();
        await _dispatcher.ConfigureAwait(false);
        _wake.Dispose();
    }
}
