using Tickrunner.Engine.Feeds;

namespace Tickrunner.Server.Hosting;

/// <summary>Builds the configured feed.</summary>
internal static class FeedFactory
{
    public static IMarketDataFeed Create(FeedOptions options, ILoggerFactory loggers) => options.Kind.ToLowerInvariant() switch
    {
        "binance" => new BinanceFeed(new BinanceFeedOptions
        {
            Region = options.Binance.Region,
            BaseUrl = string.IsNullOrWhiteSpace(options.Binance.BaseUrl) ? null : options.Binance.BaseUrl,
            Interval = options.Binance.Interval,
            Symbols = options.Symbols.Count > 0 ? [.. options.Symbols] : ["BTCUSDT", "ETHUSDT"],
        }, loggers.CreateLogger<BinanceFeed>()),
        "simulated" => new SimulatedFeed(new SimulatedFeedOptions
        {
            Seed = options.Seed,
            TickInterval = TimeSpan.FromMilliseconds(options.TickIntervalMs),
            Symbols = options.Symbols.Count == 0
                ? []
                : options.Symbols.Select(symbol => SimulatedFeedOptions.DefaultSymbols.FirstOrDefault(d => d.Symbol == symbol)
                    ?? new SimulatedSymbol { Symbol = symbol, StartPrice = 100 }).ToList(),
        }),
        "replay" => new CsvReplayFeed(new CsvReplayFeedOptions
        {
            Speed = options.ReplaySpeed,
            SkipBadRows = true,
            Sources = options.ReplayFiles.Select(ParseReplayFile).ToList(),
        }),
        _ => throw new InvalidOperationException(
            $"Tickrunner:Feed:Kind '{options.Kind}' is not a feed; use Simulated, Replay or Binance."),
    };

    private static CsvReplaySource ParseReplayFile(string entry)
    {
        var equals = entry.IndexOf('=');
        if (equals <= 0 || equals == entry.Length - 1)
            throw new InvalidOperationException($"Tickrunner:Feed:ReplayFiles entry '{entry}' must look like SYMBOL=path/to/klines.csv.");
        return new CsvReplaySource { Symbol = entry[..equals].Trim(), Path = entry[(equals + 1)..].Trim() };
    }
}
