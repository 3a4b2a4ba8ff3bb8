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

    /// <summary>Bars left out so far (<see cref="FeedStatus.BarsRejected"/>), read without building a status: a metrics scrape allocates nothing for it.</summary>
    long BarsRejected { get; }

    /// <summary>Streams bars for <paramref name="symbols"/> until cancelled or the source ends.</summary>
    /// <exception cref="ArgumentException">A symbol is not one of <see cref="Symbols"/>.</exception>
    IAsyncEnumerable<MarketData> SubscribeAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default);
}

/// <summary>A feed's health: whether it is delivering, what it delivered and rejected, and (for network feeds) how the connection fares.</summary>
/// <param name="Kind">Simulated, Replay or Binance.</param>
/// <param name="Connected">True while a subscription is streaming (for network feeds: the socket is open).</param>
/// <param name="BarsDelivered">Bars handed to subscribers.</param>
/// <param name="BarsRejected">Bars left out because they were invalid or malformed.</param>
/// <param name="LastBarTimestamp">Timestamp of the newest bar delivered (Unix ms).</param>
/// <param name="LastMessageAgeMs">Milliseconds since the source last said anything (network feeds).</param>
/// <param name="Reconnects">Times the connection was re-established.</param>
/// <param name="MalformedMessages">Messages that were not valid JSON or lacked fields.</param>
/// <param name="UnknownMessages">Well-formed messages of kinds the feed does not use.</param>
/// <param name="Gaps">Times bars were missing after a reconnect (intervals the source never sent).</param>
/// <param name="LastError">Why the connection last failed, if it did.</param>
public sealed record FeedStatus(string Kind, bool Connected, long BarsDelivered, long BarsRejected, long? LastBarTimestamp,
    long? LastMessageAgeMs = null, long Reconnects = 0, long MalformedMessages = 0, long UnknownMessages = 0, long Gaps = 0,
    string? LastError = null);
