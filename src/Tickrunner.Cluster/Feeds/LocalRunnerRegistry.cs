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

/// <summary>One runner grain active on this silo, with the bar call in flight to it.</summary>
public sealed class LocalRunner(string runnerId, string symbol, IRunnerGrain grain)
{
    /// <summary>The runner's id.</summary>
    public string RunnerId { get; } = runnerId;
    /// <summary>The symbol it trades.</summary>
    public string Symbol { get; } = symbol;
    /// <summary>Its grain.</summary>
    public IRunnerGrain Grain { get; } = grain;
    /// <summary>The last bar call sent to it; a bar that comes while it runs is dropped (see <see cref="SiloFeed"/>).</summary>
    internal Task InFlight { get; set; } = Task.CompletedTask;
    /// <summary>Bars dropped because the runner was still busy with the previous one.</summary>
    public long BarsDropped => Interlocked.Read(ref _dropped);
    internal void Dropped() => Interlocked.Increment(ref _dropped);
    private long _dropped;
}
