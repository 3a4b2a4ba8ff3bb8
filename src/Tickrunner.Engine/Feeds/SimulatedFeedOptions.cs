namespace Tickrunner.Engine.Feeds;

/// <summary>Settings of the simulated feed: which symbols, how they move, how fast.</summary>
public sealed class SimulatedFeedOptions
{
    /// <summary>Default symbols with plausible start prices, used when <see cref="Symbols"/> is empty.</summary>
    public static IReadOnlyList<SimulatedSymbol> DefaultSymbols { get; } =
    [
        new() { Symbol = "BTCUSDT", StartPrice = 50_000 },
        new() { Symbol = "ETHUSDT", StartPrice = 3_000 },
        new() { Symbol = "SOLUSDT", StartPrice = 150 },
        new() { Symbol = "BNBUSDT", StartPrice = 600 },
    ];

    /// <summary>The symbols to simulate; empty means <see cref="DefaultSymbols"/>.</summary>
    public List<SimulatedSymbol> Symbols { get; set; } = [];

    /// <summary>Seed of the whole feed; each symbol derives its own from it unless it sets one.</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Time between bars of a symbol that sets none; 0 delivers as fast as the consumer reads.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary><see cref="TickInterval"/> in milliseconds, as the server's configuration gives it (<c>Tickrunner:Feed:TickIntervalMs</c>).</summary>
    public int TickIntervalMs
    {
        get => (int)TickInterval.TotalMilliseconds;
        set => TickInterval = TimeSpan.FromMilliseconds(value);
    }

    /// <summary>Timestamp (Unix ms) of the first bar; null means the time the subscription starts.</summary>
    public long? StartTimestamp { get; set; }

    /// <summary>Stop after this many bars per symbol; null streams until cancelled.</summary>
    public long? MaxBarsPerSymbol { get; set; }

    /// <summary>The symbols in effect (the defaults when none are set).</summary>
    public IReadOnlyList<SimulatedSymbol> EffectiveSymbols => Symbols.Count > 0 ? Symbols : DefaultSymbols;
}

/// <summary>One simulated symbol: start price, volatility per bar, pacing and seed.</summary>
public sealed class SimulatedSymbol
{
    /// <summary>Symbol name, e.g. BTCUSDT.</summary>
    public string Symbol { get; set; } = "";

    /// <summary>Price of the first bar's open.</summary>
    public double StartPrice { get; set; } = 100;

    /// <summary>Standard deviation of the log return per bar (0.001 = 0.1 %).</summary>
    public double Volatility { get; set; } = 0.001;

    /// <summary>Mean volume per bar.</summary>
    public double BaseVolume { get; set; } = 10;

    /// <summary>Bid/ask spread as a fraction of the price (0.0002 = 2 bps).</summary>
    public double Spread { get; set; } = 0.0002;

    /// <summary>Time between bars; null takes the feed's <see cref="SimulatedFeedOptions.TickInterval"/>.</summary>
    public TimeSpan? TickInterval { get; set; }

    /// <summary>Decimals prices are rounded to, like an exchange's tick size; null picks about 6 significant digits.</summary>
    public int? PriceDecimals { get; set; }

    /// <summary>Seed of this symbol's series; null derives one from the feed seed and the symbol.</summary>
    public long? Seed { get; set; }
}
