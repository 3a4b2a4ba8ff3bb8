using System.Collections.Concurrent;
using Tickrunner.Cluster.Runners;
using Tickrunner.Engine;

namespace Tickrunner.Cluster.Feeds;

/// <summary>The runner grains activated on this silo, by symbol: who this silo's feed delivers each bar to.</summary>
/// <remarks>
/// A grain adds itself when it activates (or is defined) and removes itself when it deactivates (or is removed), so a runner
/// that moved to another silo stops getting this silo's bars. Thread-safe: grains of any activation and the feed use it at once.
/// </remarks>
public sealed class LocalRunnerRegistry
{
    private readonly ConcurrentDictionary<string, LocalRunner> _runners = new(StringComparer.Ordinal);
    private volatile Dictionary<string, LocalRunner[]> _bySymbol = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Runner ids active on this silo.</summary>
    public IReadOnlyCollection<string> RunnerIds => _runners.Keys.ToArray();

    /// <summary>Symbols at least one local runner trades.</summary>
    public IReadOnlyCollection<string> Symbols => _bySymbol.Keys.ToArray();

    /// <summary>Adds or moves (a new symbol) runner <paramref name="runnerId"/>; answers its queue, which the grain takes its bars from.</summary>
    public LocalRunner Register(string runnerId, string symbol, IRunnerGrain grain)
    {
        lock (_gate)
        {
            var runner = new LocalRunner(runnerId, symbol, grain);
            _runners[runnerId] = runner;
            Rebuild();
            return runner;
        }
    }

    /// <summary>Removes runner <paramref name="runnerId"/> (no effect when it is not listed).</summary>
    public void Unregister(string runnerId)
    {
        lock (_gate)
        {
            if (_runners.TryRemove(runnerId, out _)) Rebuild();
        }
    }

    /// <summary>The local runners of <paramref name="symbol"/>; empty when none.</summary>
    public IReadOnlyList<LocalRunner> RunnersOf(string symbol) => _bySymbol.TryGetValue(symbol, out var runners) ? runners : [];

    // Copy-on-write: the feed reads the index on every bar without a lock; grains change it only when they come and go.
    private void Rebuild() =>
        _bySymbol = _runners.Values.GroupBy(r => r.Symbol, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
}

/// <summary>One runner grain active on this silo, with the bars waiting for it.</summary>
/// <remarks>
/// The single-process runner's inbox, for a grain: the feed queues each bar here (up to the capacity, the oldest dropped and
/// counted beyond it) and, when no call is running, calls the grain once; the grain takes what is queued when its call runs
/// (at most <see cref="TickrunnerClusterOptions.MaxBarsPerCall"/>), and the call is repeated while bars remain. So a burst
/// costs one call per runner, not one per bar, the bars cross no serializer (the grain and its queue share the silo), and no
/// bar is missed because the one before it was still running.
/// </remarks>
public sealed class LocalRunner(string runnerId, string symbol, IRunnerGrain grain)
{
    private readonly Lock _gate = new();
    private readonly Queue<MarketData> _pending = new();
    private bool _sending;
    private long _dropped, _taken;

    /// <summary>The runner's id.</summary>
    public string RunnerId { get; } = runnerId;
    /// <summary>The symbol it trades.</summary>
    public string Symbol { get; } = symbol;
    /// <summary>Its grain.</summary>
    public IRunnerGrain Grain { get; } = grain;
    /// <summary>Bars dropped because the runner's queue was full (the oldest go first).</summary>
    public long BarsDropped => Interlocked.Read(ref _dropped);
    /// <summary>Bars waiting for the grain to take them.</summary>
    public int Pending
    {
        get
        {
            lock (_gate) return _pending.Count;
        }
    }
    /// <summary>The calls that make the grain take this runner's bars, until the queue is empty; completed when none is running.</summary>
    internal Task Draining { get; private set; } = Task.CompletedTask;

    /// <summary>Moves up to <paramref name="into"/>'s length of the queued bars, oldest first, into it; answers how many.</summary>
    /// <remarks>Called by the grain inside its call, so the bars it takes are those that came until it ran.</remarks>
    public int Take(Span<MarketData> into)
    {
        lock (_gate)
        {
            var count = Math.Min(into.Length, _pending.Count);
            for (var i = 0; i < count; i++) into[i] = _pending.Dequeue();
            _taken += count;
            return count;
        }
    }

    // Queues a bar; true when no call is running, so the caller starts one (Drain).
    internal bool Offer(in MarketData bar, int capacity)
    {
        lock (_gate)
        {
            if (_pending.Count >= capacity)
            {
                _pending.Dequeue();
                _dropped++;
            }
            _pending.Enqueue(bar);
            if (_sending) return false;
            _sending = true;
            return true;
        }
    }

    // Calls the grain until it has taken everything queued.
    internal void Drain(Action<LocalRunner, Exception> onFailure) => Draining = DrainAsync(onFailure);

    private async Task DrainAsync(Action<LocalRunner, Exception> onFailure)
    {
        while (true)
        {
            long taken;
            lock (_gate) taken = _taken;
            try
            {
                await Grain.ProcessQueuedBarsAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                onFailure(this, e); // the activation went away meanwhile: the next bar starts a call again
            }
            lock (_gate)
            {
                // Empty, or the call took nothing (the activation no longer reads this queue: it moved or retired): stop
                // calling; what is left waits for the next bar's call.
                if (_pending.Count == 0 || _taken == taken)
                {
                    _sending = false;
                    return;
                }
            }
        }
    }
}
