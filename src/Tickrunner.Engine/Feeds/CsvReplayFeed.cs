using System.Runtime.CompilerServices;

namespace Tickrunner.Engine.Feeds;

/// <summary>Settings of the CSV replay feed.</summary>
public sealed class CsvReplayFeedOptions
{
    /// <summary>One Binance kline CSV per symbol.</summary>
    public List<CsvReplaySource> Sources { get; set; } = [];

    /// <summary>Replay speed: 1 = the bars' own pace, 60 = a minute of bars per second; 0 = as fast as possible.</summary>
    public double Speed { get; set; }

    /// <summary>Skip malformed rows and count them in <see cref="CsvReplayFeed.SkippedRows"/> instead of failing.</summary>
    public bool SkipBadRows { get; set; }
}

/// <summary>A CSV file and the symbol its bars belong to.</summary>
public sealed class CsvReplaySource
{
    /// <summary>Symbol of the bars, e.g. BTCUSDT.</summary>
    public string Symbol { get; set; } = "";

    /// <summary>Path of the CSV file.</summary>
    public string Path { get; set; } = "";
}

/// <summary>Replays historical klines from CSV files, merged in time order across symbols.</summary>
public sealed class CsvReplayFeed : IMarketDataFeed
{
    private readonly CsvReplayFeedOptions _options;
    private readonly FeedCounters _counters = new();
    private long _skipped;

    /// <summary>Creates the feed; files are opened when a subscription starts.</summary>
    public CsvReplayFeed(CsvReplayFeedOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Sources.Count == 0) throw new ArgumentException("The replay feed needs at least one CSV source.", nameof(options));
        if (!double.IsFinite(options.Speed) || options.Speed < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Speed, "Speed must be 0 (as fast as possible) or a positive factor.");
        foreach (var source in options.Sources)
        {
            if (string.IsNullOrWhiteSpace(source.Symbol)) throw new ArgumentException($"The CSV source '{source.Path}' has no symbol.", nameof(options));
            if (string.IsNullOrWhiteSpace(source.Path)) throw new ArgumentException($"The CSV source for {source.Symbol} has no path.", nameof(options));
        }
        _options = options;
        Symbols = options.Sources.Select(s => s.Symbol).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <inheritdoc />
    public string Kind => "Replay";

    /// <inheritdoc />
    public IReadOnlyList<string> Symbols { get; }

    /// <inheritdoc />
    public FeedStatus Status => _counters.Snapshot(Kind);

    /// <inheritdoc />
    public long BarsRejected => _counters.RejectedCount;

    /// <summary>Rows left out because they were malformed (only with <see cref="CsvReplayFeedOptions.SkipBadRows"/>).</summary>
    public long SkippedRows => Interlocked.Read(ref _skipped);

    /// <inheritdoc />
    public async IAsyncEnumerable<MarketData> SubscribeAsync(IReadOnlyCollection<string> symbols,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        FeedSymbols.EnsureKnown(symbols, Symbols, Kind);
        var streams = _options.Sources
            .Where(s => symbols.Contains(s.Symbol))
            .Select(s => CsvKlineReader.Read(s.Path, s.Symbol, _options.SkipBadRows, OnSkipped).GetEnumerator())
            .ToList();
        _counters.SubscriptionStarted();
        try
        {
            long? previous = null;
            foreach (var bar in Merge(streams))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_options.Speed > 0 && previous is { } p && bar.Timestamp > p)
                    await Task.Delay(TimeSpan.FromMilliseconds((bar.Timestamp - p) / _options.Speed), cancellationToken).ConfigureAwait(false);
                previous = bar.Timestamp;
                _counters.Delivered(bar.Timestamp);
                yield return bar;
            }
        }
        finally
        {
            _counters.SubscriptionEnded();
            foreach (var stream in streams) stream.Dispose();
        }
    }

    private void OnSkipped(CsvFormatException _)
    {
        Interlocked.Increment(ref _skipped);
        _counters.Rejected();
    }

    // k-way merge by timestamp; k is the number of files, so a linear scan for the minimum is enough.
    private static IEnumerable<MarketData> Merge(List<IEnumerator<MarketData>> streams)
    {
        var live = streams.Where(s => s.MoveNext()).ToList();
        while (live.Count > 0)
        {
            var min = 0;
            for (var i = 1; i < live.Count; i++)
                if (live[i].Current.Timestamp < live[min].Current.Timestamp) min = i;
            yield return live[min].Current;
            if (!live[min].MoveNext()) live.RemoveAt(min);
        }
    }
}
