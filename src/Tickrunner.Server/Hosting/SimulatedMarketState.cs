using System.Text.Json;
using Tickrunner.Engine.Feeds;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Hosting;

/// <summary>
/// Keeps the simulated market moving across restarts: the last close of each symbol is stored (every few seconds and at
/// shutdown), and the next start goes on from there with a new seed, so the runners do not see the same path, and make the
/// same trades, after every restart. Off with <c>Feed:Continue=false</c> or an explicit <c>Feed:Seed</c> (reproducible runs).
/// </summary>
public sealed class SimulatedMarketState(TickrunnerDatabase database)
{
    private const string Key = "simulated_feed";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Stored(Dictionary<string, StoredPrice> Prices, long Starts);

    private sealed record StoredPrice(double Close, int Decimals);

    private long _starts;
    private Dictionary<string, StoredPrice> _prices = [];

    /// <summary>Whether this start continues (and so stores) the market.</summary>
    public bool Enabled { get; private set; }

    /// <summary>
    /// <paramref name="options"/> made to continue: each symbol without a seed of its own starts at its stored close, with the
    /// price decimals it had (the tick size does not change as the price moves), and the feed's seed is moved on by the number
    /// of starts. The start is counted at once, so a crash before the first save still gives a new path next time.
    /// </summary>
    public SimulatedFeedOptions Continue(SimulatedFeedOptions options)
    {
        var stored = Load();
        _starts = (stored?.Starts ?? 0) + 1;
        var symbols = options.EffectiveSymbols.Select(symbol =>
        {
            if (symbol.Seed is not null || stored?.Prices.GetValueOrDefault(symbol.Symbol) is not { } last
                || !double.IsFinite(last.Close) || last.Close <= 0) return symbol;
            return new SimulatedSymbol
            {
                Symbol = symbol.Symbol, StartPrice = last.Close, Volatility = symbol.Volatility, Spread = symbol.Spread,
                BaseVolume = symbol.BaseVolume, TickInterval = symbol.TickInterval, PriceDecimals = symbol.PriceDecimals ?? last.Decimals,
            };
        }).ToList();
        options.Symbols = symbols;
        options.Seed = unchecked(options.Seed + (_starts - 1) * 1_000_003); // the first start keeps the configured seed
        Enabled = true;
        _prices = stored?.Prices ?? [];
        Write();
        return options;
    }

    /// <summary>Stores the feed's last closes (nothing unless <see cref="Enabled"/> and the feed is simulated).</summary>
    public void Save(IMarketDataFeed feed)
    {
        if (!Enabled || feed is not SimulatedFeed simulated) return;
        // Symbols not streamed this time keep the price they had.
        foreach (var (symbol, (close, decimals)) in simulated.LastCloses()) _prices[symbol] = new StoredPrice(close, decimals);
        Write();
    }

    private Stored? Load()
    {
        var text = database.GetSetting(Key);
        if (text is null) return null;
        try
        {
            return JsonSerializer.Deserialize<Stored>(text, Json);
        }
        catch (JsonException)
        {
            return null; // unreadable: start from the configured prices
        }
    }

    private void Write() => database.SetSetting(Key, JsonSerializer.Serialize(new Stored(_prices, _starts), Json));
}
