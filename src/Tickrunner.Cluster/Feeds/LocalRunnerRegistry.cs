using System.Collections.Concurrent;
using Tickrunner.Cluster.Runners;

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

    /// <summary>Adds or moves (a new symbol) runner <paramref name="runnerId"/>.</summary>
    public void Register(string runnerId, string symbol, IRunnerGrain grain)
    {
        lock (_gate)
        {
            _runners[runnerId] = new LocalRunner(runnerId, symbol, grain);
            Rebuild();
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

/// <summary>One runner grain active on this silo, with the bars waiting for it while its previous call runs.</summary>
/// <remarks>
/// The single-process runner's inbox, for a grain: bars queue (up to the capacity, the oldest dropped and counted beyond it)
/// while a call is in flight, and the next call carries all of them, so a burst of bars costs one grain call, not one each,
/// and no bar is missed because the one before it was still running.
/// </remarks>
public sealed class LocalRunner(string runnerId, string symbol, IRunnerGrain grain)
{
    private readonly Lock _gate = new();
    private readonly Queue<BarMessage> _pending = new();
    private bool _sending;
    private long _dropped;

    /// <summary>The runner's id.</summary>
    public string RunnerId { get; } = runnerId;
    /// <summary>The symbol it trades.</summary>
    public string Symbol { get; } = symbol;
    /// <summary>Its grain.</summary>
    public IRunnerGrain Grain { get; } = grain;
    /// <summary>Bars dropped because the runner's queue was full (the oldest go first).</summary>
    public long BarsDropped => Interlocked.Read(ref _dropped);
    /// <summary>Bars waiting for the next call.</summary>
    public int Pending
    {
        get
        {
            lock (_gate) return _pending.Count;
        }
    }
    /// <summary>The calls carrying this runner's bars, until the queue is empty; completed when none is running.</summary>
    internal Task Draining { get; private set; } = Task.CompletedTask;

    // Queues a bar; true when no call is running, so the caller starts one (Drain).
    internal bool Offer(in BarMessage bar, int capacity)
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

    // Sends what is queued, in calls of at most maxPerCall bars, until nothing is left.
    internal void Drain(int maxPerCall, Action<LocalRunner, Exception> onFailure) => Draining = DrainAsync(maxPerCall, onFailure);

    private async Task DrainAsync(int maxPerCall, Action<LocalRunner, Exception> onFailure)
    {
        while (true)
        {
            BarMessage[] batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _sending = false;
                    return;
                }
                batch = new BarMessage[Math.Min(maxPerCall, _pending.Count)];
                for (var i = 0; i < batch.Length; i++) batch[i] = _pending.Dequeue();
            }
            try
            {
                await Grain.OnBarsAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                onFailure(this, e); // the activation went away meanwhile: its bars are lost with it, the next ones still go
            }
        }
    }
}
