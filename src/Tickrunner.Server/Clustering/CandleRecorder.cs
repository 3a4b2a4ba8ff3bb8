using Tickrunner.Cluster.Feeds;
using Tickrunner.Engine;
using Tickrunner.Server.Candles;

namespace Tickrunner.Server.Clustering;

/// <summary>On a cluster node, the candle history is recorded from the silo's feed, as the in-process engine's feed pump records it.</summary>
internal sealed class CandleRecorder(CandleStore candles) : ISiloBarObserver
{
    /// <inheritdoc />
    public void Observe(in MarketData bar)
    {
        if (bar.Validate() is null) candles.Offer(bar); // only what a runner would take, as in one process
    }
}
