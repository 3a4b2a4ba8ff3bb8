using System.Text.Json.Serialization;

namespace Tickrunner.Engine;

/// <summary>One bar or tick for a symbol: OHLCV plus best bid/ask, timestamps in Unix milliseconds.</summary>
/// <remarks>
/// A value type so that windows, channels and the per-tick path move bars without allocating.
/// <see cref="Bid"/> and <see cref="Ask"/> are 0 when the source quotes no book.
/// </remarks>
public readonly record struct MarketData(
    string Symbol,
    long Timestamp,
    double Open,
    double High,
    double Low,
    double Close,
    double Volume,
    double Bid,
    double Ask)
{
    /// <summary>(bid + ask) / 2 when both are quoted, otherwise the close.</summary>
    [JsonIgnore]
    public double MidPrice => Bid > 0 && Ask > 0 ? (Bid + Ask) / 2 : Close;

    /// <summary>Builds a bar and throws <see cref="InvalidMarketDataException"/> when it is not valid.</summary>
    public static MarketData Create(string symbol, long timestamp, double open, double high, double low,
        double close, double volume, double bid = 0, double ask = 0)
    {
        var bar = new MarketData(symbol, timestamp, open, high, low, close, volume, bid, ask);
        bar.EnsureValid();
        return bar;
    }

    /// <summary>Returns null when the bar is valid (docs/engine-contract.md §1.2), otherwise what is wrong with which field.</summary>
    public MarketDataError? Validate()
    {
        if (string.IsNullOrWhiteSpace(Symbol)) return new("symbol", "symbol is empty");
        if (Timestamp < 0) return new("timestamp", $"timestamp {Timestamp} is negative");
        if (!IsPrice(Open)) return new("open", $"open {Open} is not a finite positive price");
        if (!IsPrice(High)) return new("high", $"high {High} is not a finite positive price");
        if (!IsPrice(Low)) return new("low", $"low {Low} is not a finite positive price");
        if (!IsPrice(Close)) return new("close", $"close {Close} is not a finite positive price");
        if (High < Low) return new("high", $"high {High} is below low {Low}");
        if (Open < Low || Open > High) return new("open", $"open {Open} is outside low..high [{Low}, {High}]");
        if (Close < Low || Close > High) return new("close", $"close {Close} is outside low..high [{Low}, {High}]");
        if (!double.IsFinite(Volume) || Volume < 0) return new("volume", $"volume {Volume} is not a finite non-negative number");
        if (!double.IsFinite(Bid) || Bid < 0) return new("bid", $"bid {Bid} is not a finite price (0 means not quoted)");
        if (!double.IsFinite(Ask) || Ask < 0) return new("ask", $"ask {Ask} is not a finite price (0 means not quoted)");
        if (Bid > 0 && Ask > 0 && Bid > Ask) return new("bid", $"bid {Bid} is above ask {Ask}");
        return null;
    }

    /// <summary>Throws <see cref="InvalidMarketDataException"/> naming the field when the bar is not valid.</summary>
    public void EnsureValid()
    {
        if (Validate() is { } error)
            throw new InvalidMarketDataException(Symbol, Timestamp, error.Field, error.Message);
    }

    private static bool IsPrice(double value) => double.IsFinite(value) && value > 0;
}

/// <summary>What is wrong with a bar: the field and a message a person can act on.</summary>
public sealed record MarketDataError(string Field, string Message);
