using System.Collections.Concurrent;
using System.Diagnostics;
using Tickrunner.Engine.Common;

namespace Tickrunner.Engine.Events;

/// <summary>
/// Collects every runner's events, numbers them with one engine-wide <c>seq</c>, keeps the most recent ones,
/// and hands them to every subscriber's own bounded queue; each event's JSON is made once, on first use.
/// </summary>
/// <remarks>
/// There is no dispatcher thread: the runner that emits an event publishes it, under a lock it only ever tries
/// to take. When another thread holds the lock the event goes into a lock-free queue and the holder publishes
/// it before letting go, so a runner never waits and never wakes another thread to get its event out (on a
/// busy machine a woken thread can wait milliseconds for a core: that was most of the tick → hub tail).
/// Publishing never waits for a subscriber either: a full subscriber queue drops that subscriber's oldest
/// event. Publishing and subscribing share the lock, so a subscriber starting from a seq gets the history and
/// then the live events with nothing missing or repeated.
/// </remarks>
public sealed class EventHub : IEventSink, IAsyncDisposable
{
    // Events emitted while another thread held the lock; published in order by whoever holds it next.
    private readonly ConcurrentQueue<RunnerEvent> _pending = new();
    private volatile bool _completing;
    // The history holds the events themselves, not frames: a frame (an object) is made only for subscribers
    // that want the event, so an engine nobody watches allocates nothing per event, and nothing short-lived is
    // kept alive long enough to be promoted (which made every gen0 collection a gen1 one).
    private readonly HistoryEntry[] _history;

    private readonly record struct HistoryEntry(long Seq, RunnerEvent Event, long PublishedAt);
    private readonly EventHubOptions _options;
    private readonly Lock _gate = new();
    private EventSubscription[] _subscribers = [];
    // Rebuilt under the lock whenever a subscriber comes, goes or changes its filter.
    private SubscriberIndex _index = SubscriberIndex.Empty;
    private long _seq;

    /// <summary>Creates the hub.</summary>
    public EventHub(EventHubOptions? options = null, IEngineClock? clock = null)
    {
        Clock = clock ?? EngineClock.System;
        _options = options ?? new EventHubOptions();
        if (_options.HistorySize < 1) throw new ArgumentOutOfRangeException(nameof(options), "HistorySize must be at least 1.");
        if (_options.SubscriberQueueSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "SubscriberQueueSize must be at least 1.");
        _history = new HistoryEntry[_options.HistorySize];
    }

    /// <summary>Stamps the hub's own messages (lag notices; the stream's heartbeats); publish times for latency stay real.</summary>
    public IEngineClock Clock { get; }

    /// <summary>
    /// Tick → hub latency of every TickReceived: from the bar's arrival in the runner's inbox to its publication
    /// here (the inbox queue, earlier ticks' strategy calls, the lock). Kept under the lock; cheap enough to be always on.
    /// </summary>
    public LatencyHistogram TickLatency { get; } = new();

    /// <summary>The seq of the newest published event (0 before the first).</summary>
    public long LastSeq => Interlocked.Read(ref _seq);

    /// <summary>Events emitted but not yet published (queued while another thread was publishing).</summary>
    public int Backlog => _pending.Count;

    /// <summary>
    /// What the subscribers can want now: every runner's events (some subscriber filters by neither runner nor symbol), or
    /// those of these runners and symbols. For a relay that forwards another process's events only when someone here wants them.
    /// </summary>
    public EventInterest Interest
    {
        get
        {
            var index = _index;
            return new EventInterest(index.Wide.Length > 0, [.. index.ByRunner.Keys.Order(StringComparer.Ordinal)],
                [.. index.BySymbol.Keys.Order(StringComparer.Ordinal)]);
        }
    }

    /// <summary>Current subscribers.</summary>
    public int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    /// <inheritdoc />
    public void Emit(in RunnerEvent runnerEvent)
    {
        if (_completing) return;
        if (_gate.TryEnter())
        {
            try
            {
                PublishPendingLocked(); // emitted earlier by others: their seqs come first
                Publish(runnerEvent, Stopwatch.GetTimestamp());
            }
            finally
            {
                _gate.Exit();
            }
        }
        else
        {
            _pending.Enqueue(runnerEvent);
        }
        PublishPending();
    }

    /// <summary>
    /// Publishes <paramref name="events"/> in order under one taking of the lock and one clock reading: for a caller that
    /// runs several bars in one go (a cluster grain), so that each event does not contend for the lock on its own.
    /// </summary>
    public void Emit(ReadOnlySpan<RunnerEvent> events)
    {
        if (_completing || events.IsEmpty) return;
        if (_gate.TryEnter())
        {
            try
            {
                PublishPendingLocked();
                var now = Stopwatch.GetTimestamp();
                foreach (ref readonly var runnerEvent in events) Publish(runnerEvent, now);
            }
            finally
            {
                _gate.Exit();
            }
        }
        else
        {
            foreach (ref readonly var runnerEvent in events) _pending.Enqueue(runnerEvent);
        }
        PublishPending();
    }

    // Called after every release of the lock. An event queued while the lock was held is published here by
    // the releasing thread, unless another thread has the lock by now (then that one will publish it, as it
    // runs this too). The fence orders the release before the look at the queue: without it, both the
    // releasing thread and the enqueuing thread (which saw the lock held) could leave the event behind.
    private void PublishPending()
    {
        while (true)
        {
            Interlocked.MemoryBarrier();
            if (_pending.IsEmpty || !_gate.TryEnter()) return;
            try
            {
                PublishPendingLocked();
            }
            finally
            {
                _gate.Exit();
            }
        }
    }

    private void PublishPendingLocked()
    {
        if (_pending.IsEmpty) return;
        var now = Stopwatch.GetTimestamp();
        while (_pending.TryDequeue(out var runnerEvent)) Publish(runnerEvent, now);
    }

    // Under the lock: number, keep, fan out.
    private void Publish(in RunnerEvent runnerEvent, long now)
    {
        if (runnerEvent.Kind == RunnerEventKind.TickReceived) TickLatency.RecordTicks(now - runnerEvent.ReceivedAt);
        var seq = _seq + 1;
        _history[seq % _history.Length] = new HistoryEntry(seq, runnerEvent, now);
        Volatile.Write(ref _seq, seq);
        EventFrame? frame = null;
        var index = _index;
        if (runnerEvent.Kind is RunnerEventKind.EngineHalted or RunnerEventKind.EngineResumed)
        {
            Deliver(index.All, runnerEvent, seq, now, ref frame); // passes every runner id and symbol filter
            return;
        }
        Deliver(index.Wide, runnerEvent, seq, now, ref frame);
        if (index.ByRunner.TryGetValue(runnerEvent.RunnerId, out var byRunner)) Deliver(byRunner, runnerEvent, seq, now, ref frame);
        if (index.BySymbol.TryGetValue(runnerEvent.Symbol, out var bySymbol)) Deliver(bySymbol, runnerEvent, seq, now, ref frame);
    }

    private static void Deliver(EventSubscription[] subscribers, in RunnerEvent runnerEvent, long seq, long now, ref EventFrame? frame)
    {
        foreach (var subscriber in subscribers)
            if (subscriber.Filter.Matches(runnerEvent)) subscriber.Enqueue(frame ??= new EventFrame(seq, runnerEvent, now));
    }

    /// <summary>
    /// Which subscribers can want an event, so that publishing one checks only those filters. With 1,000 clients each watching
    /// one runner, checking every subscriber's filter for every event held the lock ~50 µs per event, on the emitting runner's
    /// thread: the runners fell seconds behind. Each subscriber is in exactly one place, so no event reaches it twice.
    /// </summary>
    private sealed class SubscriberIndex
    {
        public static readonly SubscriberIndex Empty = new([]);

        public SubscriberIndex(EventSubscription[] all)
        {
            All = all;
            var wide = new List<EventSubscription>();
            var byRunner = new Dictionary<string, List<EventSubscription>>(StringComparer.Ordinal);
            var bySymbol = new Dictionary<string, List<EventSubscription>>(StringComparer.Ordinal);
            foreach (var subscriber in all)
            {
                var filter = subscriber.Filter;
                // A runner id filter passes only its runners' events (and the engine's, which go to All), so it is enough to
                // look at the subscriber for those; a symbol filter likewise; anything else may want any event.
                if (filter.RunnerIds.Count > 0) foreach (var id in filter.RunnerIds) Add(byRunner, id, subscriber);
                else if (filter.Symbols.Count > 0) foreach (var symbol in filter.Symbols) Add(bySymbol, symbol, subscriber);
                else wide.Add(subscriber);
            }
            Wide = [.. wide];
            ByRunner = byRunner.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
            BySymbol = bySymbol.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        }

        public EventSubscription[] All { get; }
        public EventSubscription[] Wide { get; }
        public Dictionary<string, EventSubscription[]> ByRunner { get; }
        public Dictionary<string, EventSubscription[]> BySymbol { get; }

        private static void Add(Dictionary<string, List<EventSubscription>> index, string key, EventSubscription subscriber)
        {
            if (!index.TryGetValue(key, out var list)) index[key] = list = [];
            list.Add(subscriber);
        }
    }

    /// <summary>
    /// Subscribes with its own queue. With <paramref name="sinceSeq"/>, events after that seq that the hub still
    /// holds are queued first (a lag notice counts those it no longer holds); a seq at or beyond the newest replays nothing.
    /// <paramref name="drops"/>, if given, counts the events the full queue drops (not those a since-seq asked for too late).
    /// </summary>
    public EventSubscription Subscribe(EventFilter? filter = null, long? sinceSeq = null, int? queueSize = null, EventDropCounter? drops = null)
    {
        var capacity = queueSize ?? _options.SubscriberQueueSize;
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(queueSize), capacity, "queueSize must be at least 1.");
        var subscription = new EventSubscription(capacity, filter ?? EventFilter.All, Unsubscribe, Reindex, Clock, drops);
        lock (_gate)
        {
            if (sinceSeq is { } requested)
            {
                // Clamped to [0, newest]: a seq beyond the newest means "nothing yet" (never "everything"), and
                // the subtraction below cannot overflow.
                var since = Math.Clamp(requested, 0, _seq);
                var oldestHeld = Math.Max(1, _seq - _history.Length + 1);
                subscription.ReportMissed(Math.Min(_seq, oldestHeld - 1) - since);
                foreach (var frame in HistoryAfter(since)) subscription.Offer(frame);
            }
            _subscribers = [.. _subscribers, subscription];
            _index = new SubscriberIndex(_subscribers);
        }
        PublishPending();
        return subscription;
    }

    // A subscriber's filter changed: from the next event on it is looked at where its new filter puts it.
    private void Reindex(EventSubscription subscription)
    {
        lock (_gate) _index = new SubscriberIndex(_subscribers);
        PublishPending();
    }

    /// <summary>Events after <paramref name="sinceSeq"/> still held, oldest first, that pass <paramref name="filter"/> (none when it is at or beyond the newest).</summary>
    public IReadOnlyList<EventFrame> Recent(long sinceSeq, EventFilter? filter = null, int limit = int.MaxValue)
    {
        List<EventFrame> frames;
        lock (_gate) frames = HistoryAfter(sinceSeq).Where(f => filter?.Matches(f.Event) ?? true).Take(limit).ToList();
        PublishPending();
        return frames;
    }

    private IEnumerable<EventFrame> HistoryAfter(long sinceSeq)
    {
        var last = _seq;
        // A since at or beyond the newest seq has nothing after it; checked first, because sinceSeq + 1 would
        // overflow at long.MaxValue and wrap around to the whole history.
        if (sinceSeq >= last) yield break;
        var first = Math.Max(Math.Max(sinceSeq + 1, 1), last - _history.Length + 1);
        for (var seq = first; seq <= last; seq++)
        {
            var entry = _history[seq % _history.Length];
            if (entry.Seq == seq) yield return new EventFrame(entry.Seq, entry.Event, entry.PublishedAt);
        }
    }

    private void Unsubscribe(EventSubscription subscription)
    {
        lock (_gate)
        {
            _subscribers = _subscribers.Where(s => s != subscription).ToArray();
            _index = new SubscriberIndex(_subscribers);
        }
        PublishPending();
    }

    /// <summary>Publishes what is left, then ends every subscription.</summary>
    public ValueTask DisposeAsync()
    {
        _completing = true;
        lock (_gate)
        {
            PublishPendingLocked();
            foreach (var subscriber in _subscribers) subscriber.Complete();
        }
        return ValueTask.CompletedTask;
    }
}
