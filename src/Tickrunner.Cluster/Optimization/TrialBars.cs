using Microsoft.Extensions.Options;
using Tickrunner.Engine;
using Tickrunner.Engine.Datasets;

namespace Tickrunner.Cluster.Optimization;

/// <summary>
/// The bars of the datasets trials run over, as each silo loads them from the dataset directory the silos share; the last
/// few stay in memory, so an optimization's thousands of trials read its dataset once per silo.
/// </summary>
public sealed class TrialBars(IOptions<TickrunnerClusterOptions> options)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<(string Id, DateTime Written, IReadOnlyList<MarketData> Bars)> _recent = new();
    private DatasetStore? _store;

    /// <summary>Datasets kept in memory.</summary>
    public const int Kept = 4;

    /// <summary>The bars of dataset <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentException">No such dataset in the directory.</exception>
    public IReadOnlyList<MarketData> Get(string id)
    {
        var store = _store ??= new DatasetStore(options.Value.DataDirectory);
        if (!DatasetStore.IsValidId(id) || store.Find(id) is null)
            throw new ArgumentException($"No dataset '{id}' in {store.Directory}: every silo must see the same dataset directory (Cluster:DataDirectory).");
        var written = Written(store, id);
        lock (_gate)
        {
            // A dataset changed on disk (a download extended it) is read again, not served stale.
            for (var node = _recent.First; node is not null; node = node.Next)
                if (node.Value.Id == id && node.Value.Written == written)
                {
                    _recent.Remove(node);
                    _recent.AddFirst(node);
                    return node.Value.Bars;
                }
        }
        IReadOnlyList<MarketData> bars = store.Load(id);
        lock (_gate)
        {
            _recent.AddFirst((id, written, bars));
            while (_recent.Count > Kept) _recent.RemoveLast();
        }
        return bars;
    }

    // When the store's file of the dataset (id.bars) was last written.
    private static DateTime Written(DatasetStore store, string id) => File.GetLastWriteTimeUtc(Path.Combine(store.Directory, id + ".bars"));
}
