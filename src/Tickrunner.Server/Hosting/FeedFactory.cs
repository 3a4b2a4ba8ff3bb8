using Tickrunner.Engine.Feeds;

namespace Tickrunner.Server.Hosting;

/// <summary>Builds the configured feed.</summary>
internal static class FeedFactory
{
    /// <summary>
    /// The feed <see cref="FeedOptions.Kind"/> names, with the symbols of <see cref="FeedOptions.Symbols"/>;
    /// <paramref name="simulated"/> is the simulated feed's bound options (its symbols are set here from the names), and
    /// <paramref name="continueSimulation"/>, when given, adjusts them last (to go on from where the market was).
    /// </summary>
    public static IMarketDataFeed Create(FeedOptions options, SimulatedFeedOptions simulated, ILoggerFactory loggers,
        Func<SimulatedFeedOptions, SimulatedFeedOptions>? continueSimulation = null) => options.Kind.ToLowerInvariant() switch
    {
        "binance" => new BinanceFeed(WithSymbols(options.Binance, options.Symbols), loggers.CreateLogger<BinanceFeed>()),
        "simulated" => new SimulatedFeed((continueSimulation ?? (o => o))(WithSymbols(simulated, options.Symbols))),
        "replay" => new CsvReplayFeed(new CsvReplayFeedOptions
        {
            Speed = options.ReplaySpeed,
            SkipBadRows = true,
            Sources = options.ReplayFiles.Select(ParseReplayFile).ToList(),
        }),
        _ => throw new InvalidOperationException(
            $"Tickrunner:Feed:Kind '{options.Kind}' is not a feed; use Simulated, Replay or Binance."),
    };

    private static BinanceFeedOptions WithSymbols(BinanceFeedOptions binance, List<string> symbols)
    {
        binance.BaseUrl = string.IsNullOrWhiteSpace(binance.BaseUrl) ? null : binance.BaseUrl;
        binance.Symbols = symbols.Count > 0 ? [.. symbols] : ["BTCUSDT", "ETHUSDT"];
        return binance;
    }

    // A configured name takes the default symbol's start price when it has one, else 100. Whatever the binder
    // made of Feed:Symbols (names, not SimulatedSymbol objects) is replaced.
    private static SimulatedFeedOptions WithSymbols(SimulatedFeedOptions simulated, List<string> symbols)
    {
        simulated.Symbols = symbols.Count == 0
            ? []
            : symbols.Select(symbol => SimulatedFeedOptions.DefaultSymbols.FirstOrDefault(d => d.Symbol == symbol)
                ?? new SimulatedSymbol { Symbol = symbol, StartPrice = 100 }).ToList();
        return simulated;
    }

    private static CsvReplaySource ParseReplayFile(string entry)
    {
        var equals = entry.IndexOf('=');
        if (equals <= 0 || equals == entry.Length - 1)
            throw new InvalidOperationException($"Tickrunner:Feed:ReplayFiles entry '{entry}' must look like SYMBOL=path/to/klines.csv.");
        return new CsvReplaySource { Symbol = entry[..equals].Trim(), Path = entry[(equals + 1)..].Trim() };
    }
}
