using Tickrunner.Engine;

namespace Tickrunner.Cluster.Feeds;

/// <summary>One bar as a grain call carries it (the engine's <see cref="MarketData"/> is not an Orleans type).</summary>
[GenerateSerializer, Immutable]
public readonly record struct BarMessage(
    [property: Id(0)] string Symbol,
    [property: Id(1)] long Timestamp,
    [property: Id(2)] double Open,
    [property: Id(3)] double High,
    [property: Id(4)] double Low,
    [property: Id(5)] double Close,
    [property: Id(6)] double Volume,
    [property: Id(7)] double Bid,
    [property: Id(8)] double Ask)
{
    /// <summary>The bar of a feed.</summary>
    public static BarMessage Of(in MarketData bar) =>
        new(bar.Symbol, bar.Timestamp, bar.Open, bar.High, bar.Low, bar.Close, bar.Volume, bar.Bid, bar.Ask);

    /// <summary>The engine's bar.</summary>
    public MarketData ToMarketData() => new(Symbol, Timestamp, Open, High, Low, Close, Volume, Bid, Ask);
}
