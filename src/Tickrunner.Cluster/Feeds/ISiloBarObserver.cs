using Tickrunner.Engine;

namespace Tickrunner.Cluster.Feeds;

/// <summary>
/// Sees every bar a silo's feed reads, before the silo's runners get it: for the host's own records (the server's candle
/// history). Called on the feed's loop: it must not wait.
/// </summary>
public interface ISiloBarObserver
{
    /// <summary>One bar as the feed gave it (not validated: runners refuse a bad one themselves).</summary>
    void Observe(in MarketData bar);
}
