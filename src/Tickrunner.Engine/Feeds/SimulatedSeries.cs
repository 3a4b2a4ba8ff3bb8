
namespace Tickrunner.Engine.Feeds;

/// <summary>The deterministic random walk behind the simulated feed: same settings and seed, same bars.</summary>
/// <remarks>
/// Each bar walks four geometric-Brownian sub-steps from the previous close; high and low are the extremes of
/// that path, so OHLC is consistent by construction. The generator is SplitMix64, not System.Random, so the
/// series never changes with the runtime version.
/// </remarks>
public sealed class SimulatedSeries
{
    private const int SubSteps = 4;
    private readonly SimulatedSymbol _symbol;
    private readonly long _intervalMs;
    private readonly int _decimals;
    private readonly double _tick;
    private ulong _state;
    private double _close;
    private long _timestamp;

    /// <summary>Creates the series of <paramref name="symbol"/> starting at <paramref name="startTimestamp"/>.</summary>
    public SimulatedSeries(SimulatedSymbol symbol, long seed, long startTimestamp, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        if (string.IsNullOrWhiteSpace(symbol.Symbol)) throw new ArgumentException("A simulated symbol needs a name.", nameof(symbol));
        if (!double.IsFinite(symbol.StartPrice) || symbol.StartPrice <= 0)
            throw new ArgumentOutOfRangeException(nameof(symbol), symbol.StartPrice, $"{symbol.Symbol}: StartPrice must be a finite number > 0.");
        if (!double.IsFinite(symbol.Volatility) || symbol.Volatility < 0 || symbol.Volatility > 0.2)
            throw new ArgumentOutOfRangeException(nameof(symbol), symbol.Volatility, $"{symbol.Symbol}: Volatility must be between 0 and 0.2 per bar.");
        if (!double.IsFinite(symbol.Spread) || symbol.Spread <= 0 || symbol.Spread >= 0.1)
            throw new ArgumentOutOfRangeException(nameof(symbol), symbol.Spread, $"{symbol.Symbol}: Spread must be between 0 and 0.1 (exclusive).");
        if (!double.IsFinite(symbol.BaseVolume) || symbol.BaseVolume < 0)
            throw new ArgumentOutOfRangeException(nameof(symbol), symbol.BaseVolume, $"{symbol.Symbol}: BaseVolume must be ≥ 0.");
        _symbol = symbol;
        _state = (ulong)seed;
        _close = symbol.StartPrice;
        _timestamp = startTimestamp;
        _intervalMs = Math.Max(1, (long)interval.TotalMilliseconds);
        _decimals = symbol.PriceDecimals ?? Math.Clamp(6 - (int)Math.Floor(Math.Log10(symbol.StartPrice)), 0, 8);
        if (_decimals is < 0 or > 8)
            throw new ArgumentOutOfRangeException(nameof(symbol), _decimals, $"{symbol.Symbol}: PriceDecimals must be between 0 and 8.");
        _tick = Math.Pow(10, -_decimals);
    }

    /// <summary>The symbol this series simulates.</summary>
    public string Symbol => _symbol.Symbol;

    /// <summary>The seed a symbol gets from the feed seed when it sets none: stable across runs and runtimes.</summary>
    public static long DeriveSeed(long feedSeed, string symbol)
    {
        // FNV-1a over the name; string.GetHashCode is randomised per process.
        var hash = 14695981039346656037UL;
        foreach (var c in symbol) hash = (hash ^ c) * 1099511628211UL;
        return feedSeed ^ (long)hash;
    }

    /// <summary>The close of the last bar made (the start price before the first), where the walk goes on from.</summary>
    public double LastClose => Volatile.Read(ref _close);

    /// <summary>The decimals prices are rounded to (<see cref="SimulatedSymbol.PriceDecimals"/>, or about 6 significant digits of the start price).</summary>
    public int PriceDecimals => _decimals;

    /// <summary>The next bar.</summary>
    public MarketData Next()
    {
        var sigma = _symbol.Volatility / Math.Sqrt(SubSteps);
        var open = _close;
        double high = open, low = open, price = open;
        for (var i = 0; i < SubSteps; i++)
        {
            price *= Math.Exp(sigma * NextGaussian());
            if (price > high) high = price;
            if (price < low) low = price;
        }
        // Rounded to the tick like exchange prices; rounding is monotonic, so OHLC stays consistent. The walk
        // itself continues from the rounded close, and never below one tick.
        var close = Math.Max(Round(price), _tick);
        Volatile.Write(ref _close, close); // read by LastClose from other threads
        high = Math.Max(Round(high), Math.Max(open, close));
        low = Math.Max(Math.Min(Round(low), Math.Min(open, close)), _tick);
        var volume = Math.Round(_symbol.BaseVolume * Math.Exp(0.5 * NextGaussian() - 0.125), 4);
        var half = close * _symbol.Spread / 2;
        var bid = Math.Max(Math.Round(close - half, _decimals, MidpointRounding.ToNegativeInfinity), _tick);
        var ask = Math.Max(Math.Round(close + half, _decimals, MidpointRounding.ToPositiveInfinity), bid + _tick);
        var bar = new MarketData(_symbol.Symbol, _timestamp, open, high, low, close, volume, bid, Math.Round(ask, _decimals));
        _timestamp += _intervalMs;
        return bar;
    }

    private double Round(double price) => Math.Round(price, _decimals);

    private ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private double NextUniform() => ((NextUInt64() >> 11) + 0.5) * (1.0 / (1UL << 53));

    // Box–Muller; one of the pair is discarded to keep the state simple.
    private double NextGaussian() => Math.Sqrt(-2 * Math.Log(NextUniform())) * Math.Cos(2 * Math.PI * NextUniform());
}
