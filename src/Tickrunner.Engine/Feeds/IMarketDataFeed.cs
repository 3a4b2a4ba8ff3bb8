namespace Tickrunner.Engine.Feeds;


/// <summary>A source of bars: every subscription is an async stream of bars for the symbols it names.</summary>
public interface IMarketDataFeed
{
    /// <summary>What kind of feed this is ("Simulated", "Replay", "Binance").</summary>
    string Kind { get; }

    /// <summary>Symbols this feed can deliver.</summary>
    IReadOnlyList<string> Symbols { get; }

    /// <summary>Counters and connection state for health reports.</summary>
    FeedStatus Status { get; }

    /// <summary>Streams bars for <paramref name="symbols"/> until cancelled or the source ends.</summary>
    /// <exception cref="ArgumentException">A symbol is not one of <see cref="Symbols"/>.</exception>
    IAsyncEnumerable<MarketData> SubscribeAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default);
}

/// <summary>A feed's health: whether it is delivering, and what it delivered and rejected.</summary>
public sealed record FeedStatus(string Kind, bool Connected, long BarsDelivered, long BarsRejected, long? LastBarTimestamp);
