using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Cluster.Events;

/// <summary>
/// A silo's events: the engine's <see cref="EventHub"/> (filters, <c>seq</c>, history, lag notices, as in one process) holding
/// the events of every runner of the cluster, whichever silo it is on. The runners of this silo emit here; each of their
/// events is published on this hub and queued for every other active silo, whose <see cref="IEventRelayGrain"/> publishes it
/// on that silo's hub.
/// </summary>
/// <remarks>
/// Each silo sends to each other silo in order, one call after another, and a runner is on one silo at a time, so a
/// runner's events reach every hub in the order it emitted them (each hub numbers them with its own <c>seq</c>), except
/// around a move: events the old silo still had queued for a third one may arrive there after the new silo's first ones. A slow or
/// unreachable silo never holds up a runner: its queue drops its oldest events past <see cref="TickrunnerClusterOptions.EventRelayCapacity"/>
/// (counted in <see cref="RelayDropped"/>), as a slow WebSocket client's queue does; a call that fails drops its batch.
/// Events of jobs and of the kill switch are not relayed (see <see cref="RelayedEvent.Relayed"/>).
/// </remarks>
public sealed partial class ClusterEvents : IEventSink, IAsyncDisposable
{
    private readonly IGrainFactory _grains;
    private readonly SiloAddress _self;
    private readonly TickrunnerClusterOptions _options;
    private readonly ILogger<ClusterEvents> _logger;
    private readonly Lock _gate = new();
    private volatile Peer[] _peers = [];
    private readonly Dictionary<string, (PlotSeriesView[] Views, PlotLayout Layout)> _layouts = new(StringComparer.Ordinal);
    private long _relayed, _dropped, _received, _filtered;
    private const int MaxLayouts = 100_000;

    /// <summary>A hub for this silo's view of the cluster's events.</summary>
    public ClusterEvents(IGrainFactory grains, ILocalSiloDetails silo, IOptions<TickrunnerClusterOptions> options, ILogger<ClusterEvents> logger)
    {
        _grains = grains;
        _self = silo.SiloAddress;
        _options = options.Value;
        _logger = logger;
        Hub = new EventHub(new EventHubOptions { HistorySize = _options.EventHistorySize });
    }

    /// <summary>The hub: subscribe here for the events of every runner of the cluster.</summary>
    public EventHub Hub { get; }

    /// <summary>Events of this silo's runners queued for another silo (one per event per silo).</summary>
    public long Relayed => Interlocked.Read(ref _relayed);

    /// <summary>Events that did not reach another silo: its queue was full, or the call carrying them failed.</summary>
    public long RelayDropped => Interlocked.Read(ref _dropped);

    /// <summary>Frequent events not sent to a silo because none of its subscribers wants their runner.</summary>
    public long RelayFiltered => Interlocked.Read(ref _filtered);

    /// <summary>Events the other silos' runners sent here.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>The silos this one sends to now.</summary>
    public IReadOnlyList<SiloAddress> Peers => [.. _peers.Select(p => p.Silo)];

    /// <inheritdoc />
    public void Emit(in RunnerEvent runnerEvent)
    {
        Hub.Emit(runnerEvent);
        if (!RelayedEvent.Relayed(runnerEvent.Kind)) return;
        var peers = _peers;
        if (peers.Length == 0) return;
        Relay(runnerEvent, peers);
    }

    // To each peer that wants it (the frequent kinds only when one of its subscribers watches the runner), made once.
    private void Relay(in RunnerEvent runnerEvent, Peer[] peers)
    {
        var filterable = RelayedEvent.Filterable(runnerEvent.Kind);
        RelayedEvent? message = null;
        var held = 0;
        foreach (var peer in peers)
        {
            if (filterable && peer.Interest is { } interest && !interest.Wants(runnerEvent.RunnerId, runnerEvent.Symbol)) held++;
            else peer.Offer(message ??= RelayedEvent.Of(runnerEvent));
        }
        if (held > 0) Interlocked.Add(ref _filtered, held);
        if (held < peers.Length) Interlocked.Add(ref _relayed, peers.Length - held);
    }

    /// <summary>Publishes and relays <paramref name="events"/>, in order, as <see cref="Emit(in RunnerEvent)"/> would one by one.</summary>
    public void Emit(ReadOnlySpan<RunnerEvent> events)
    {
        Hub.Emit(events);
        var peers = _peers;
        if (peers.Length == 0) return;
        foreach (ref readonly var runnerEvent in events)
            if (RelayedEvent.Relayed(runnerEvent.Kind)) Relay(runnerEvent, peers);
    }

    /// <summary>Publishes events another silo's runners emitted (the relay grain's call).</summary>
    internal void Receive(RelayedEvent[] batch)
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var message in batch)
        {
            RunnerEvent runnerEvent;
            try
            {
                runnerEvent = message.ToRunnerEvent(now, views => Layout(message.RunnerId, views));
            }
            catch (Exception e) when (e is NotSupportedException or ArgumentException)
            {
                LogUnreadable(e, message.Kind.ToString(), message.RunnerId); // from a silo of another version: skipped, the rest go on
                continue;
            }
            Hub.Emit(runnerEvent);
            Interlocked.Increment(ref _received);
        }
    }

    /// <summary>Sends to <paramref name="silos"/> (the other active silos) from now on: new ones get a queue, gone ones lose theirs.</summary>
    internal void SetPeers(IEnumerable<SiloAddress> silos)
    {
        lock (_gate)
        {
            var wanted = silos.Where(s => !s.Equals(_self)).ToHashSet();
            var kept = _peers.Where(p => wanted.Contains(p.Silo)).ToList();
            foreach (var gone in _peers.Where(p => !wanted.Contains(p.Silo))) gone.Complete();
            foreach (var silo in wanted.Where(s => kept.All(p => !p.Silo.Equals(s)))) kept.Add(new Peer(this, silo));
            _peers = [.. kept];
        }
    }

    /// <summary>Whether the frequent events of <paramref name="runnerId"/> on <paramref name="symbol"/> go to <paramref name="silo"/> now.</summary>
    internal bool PeerWants(SiloAddress silo, string runnerId, string symbol) =>
        _peers.FirstOrDefault(p => p.Silo.Equals(silo)) is { } peer && (peer.Interest?.Wants(runnerId, symbol) ?? true);

    /// <summary>Relays to <paramref name="silo"/> from now on only the frequent events its subscribers want.</summary>
    internal void SetPeerInterest(SiloAddress silo, RelayInterest interest)
    {
        foreach (var peer in _peers)
            if (peer.Silo.Equals(silo)) peer.Interest = interest;
    }

    /// <summary>
    /// Tells the other silos what this silo's subscribers want, when it changed since the last time or every
    /// <paramref name="resendEvery"/> calls (a silo that joined since, or missed a call, learns it then): called periodically.
    /// </summary>
    internal async Task AnnounceInterestAsync(int resendEvery)
    {
        var interest = Hub.Interest;
        if (interest.Same(_announced) && ++_sinceAnnounced < resendEvery) return;
        _announced = interest;
        _sinceAnnounced = 0;
        var message = RelayInterest.Of(interest);
        var from = _self.ToParsableString();
        await Task.WhenAll(_peers.Select(async peer =>
        {
            try
            {
                await _grains.GetGrain<IEventRelayGrain>(peer.Silo.ToParsableString()).SetInterestAsync(from, message).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogInterestFailed(e, peer.Silo.ToString()); // until it hears, it sends everything: nothing wanted is missed
            }
        })).ConfigureAwait(false);
    }

    private EventInterest? _announced;
    private int _sinceAnnounced;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        SetPeers([]);
        await Hub.DisposeAsync().ConfigureAwait(false);
    }

    // The same layout object while a runner's series stay the same, so the hub's JSON keeps its cached series part.
    private PlotLayout Layout(string runnerId, PlotSeriesView[] views)
    {
        lock (_layouts)
        {
            if (_layouts.TryGetValue(runnerId, out var known) && known.Views.Length == views.Length
                && known.Views.Zip(views).All(pair => pair.First.Same(pair.Second)))
                return known.Layout;
            var layout = PlotLayout.Of(views.Select(v => v.ToSeries()));
            if (_layouts.Count >= MaxLayouts) _layouts.Clear(); // runners come and go: the layouts of old ones are not kept for ever
            _layouts[runnerId] = (views, layout);
            return layout;
        }
    }

    // One other silo: a queue of events and the loop that sends them, a batch per call, in order.
    private sealed class Peer
    {
        private readonly ClusterEvents _owner;
        private readonly Channel<RelayedEvent> _queue;

        public Peer(ClusterEvents owner, SiloAddress silo)
        {
            _owner = owner;
            Silo = silo;
            _queue = Channel.CreateBounded<RelayedEvent>(
                new BoundedChannelOptions(owner._options.EventRelayCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
                _ => Interlocked.Increment(ref owner._dropped));
            _ = SendAsync();
        }

        public SiloAddress Silo { get; }

        // What the silo's subscribers want of the frequent events; null until it has said: then everything goes.
        public RelayInterest? Interest { get; set; }

        public void Offer(in RelayedEvent message) => _queue.Writer.TryWrite(message);

        public void Complete() => _queue.Writer.TryComplete();

        private async Task SendAsync()
        {
            var relay = _owner._grains.GetGrain<IEventRelayGrain>(Silo.ToParsableString());
            var batch = new List<RelayedEvent>(_owner._options.EventRelayBatch);
            while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.Count < _owner._options.EventRelayBatch && _queue.Reader.TryRead(out var message)) batch.Add(message);
                try
                {
                    await relay.DeliverAsync([.. batch]).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    Interlocked.Add(ref _owner._dropped, batch.Count);
                    _owner.LogSendFailed(e, batch.Count, Silo.ToString());
                }
                batch.Clear();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} events for silo {Silo} were not delivered")]
    private partial void LogSendFailed(Exception e, int count, string silo);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Silo {Silo} was not told what this silo's subscribers want")]
    private partial void LogInterestFailed(Exception e, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Kind} event of {RunnerId} from another silo could not be read; skipped")]
    private partial void LogUnreadable(Exception e, string kind, string runnerId);
}
