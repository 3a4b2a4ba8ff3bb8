using Tickrunner.Engine.Feeds;

namespace Tickrunner.Engine.Tests;

public sealed class CsvReplayFeedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tickrunner-csv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Header = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore";

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string Row(long time, double open, double high, double low, double close, double volume = 1.5) =>
        FormattableString.Invariant($"{time},{open},{high},{low},{close},{volume},{time + 59_999},100.0,10,0.5,50.0,0");

    private static async Task<List<Engine.MarketData>> Collect(CsvReplayFeed feed, params string[] symbols)
    {
        var bars = new List<Engine.MarketData>();
        await foreach (var bar in feed.SubscribeAsync(symbols)) bars.Add(bar);
        return bars;
    }

    private static CsvReplayFeed Feed(bool skip = false, params (string Symbol, string Path)[] sources) => new(new CsvReplayFeedOptions
    {
        SkipBadRows = skip,
        Sources = sources.Select(s => new CsvReplaySource { Symbol = s.Symbol, Path = s.Path }).ToList(),
    });

    [Fact]
    public async Task Reads_rows_with_and_without_header()
    {
        var withHeader = Write("a.csv", Header, Row(60_000, 10, 12, 9, 11), Row(120_000, 11, 13, 10.5, 12.25));
        var without = Write("b.csv", Row(60_000, 10, 12, 9, 11), Row(120_000, 11, 13, 10.5, 12.25));
        var a = await Collect(Feed(false, ("BTCUSDT", withHeader)), "BTCUSDT");
        var b = await Collect(Feed(false, ("BTCUSDT", without)), "BTCUSDT");
        Assert.Equal(a, b);
        Assert.Equal(2, a.Count);
        var bar = a[1];
        Assert.Equal(("BTCUSDT", 120_000L, 11.0, 13.0, 10.5, 12.25, 1.5), (bar.Symbol, bar.Timestamp, bar.Open, bar.High, bar.Low, bar.Close, bar.Volume));
        Assert.Equal(12.25 * 0.9995, bar.Bid, 12);
        Assert.Equal(12.25 * 1.0005, bar.Ask, 12);
    }

    [Fact]
    public async Task Microsecond_timestamps_become_milliseconds()
    {
        var path = Write("us.csv", Row(1_735_689_600_000_000, 10, 12, 9, 11));
        var bars = await Collect(Feed(false, ("X", path)), "X");
        Assert.Equal(1_735_689_600_000, bars[0].Timestamp);
    }

    [Fact]
    public async Task Symbols_are_merged_in_time_order()
    {
        var btc = Write("btc.csv", Row(1000, 10, 12, 9, 11), Row(3000, 10, 12, 9, 11));
        var eth = Write("eth.csv", Row(2000, 1, 2, 0.5, 1.5), Row(4000, 1, 2, 0.5, 1.5));
        var bars = await Collect(Feed(false, ("BTC", btc), ("ETH", eth)), "BTC", "ETH");
        Assert.Equal(["BTC@1000", "ETH@2000", "BTC@3000", "ETH@4000"], bars.Select(b => $"{b.Symbol}@{b.Timestamp}"));
        Assert.Equal(2, (await Collect(Feed(false, ("BTC", btc), ("ETH", eth)), "ETH")).Count);
    }

    [Theory]
    [InlineData("60000,10,12,9,abc,1", 3, 5, "close", "'abc' is not a number")]
    [InlineData("x60000,10,12,9,11,1", 3, 1, "open_time", "not a Unix timestamp")]
    [InlineData("60000,10,12,9,11", 3, 6, "volume", "at least 6 are needed")]
    [InlineData("60000,10,8,9,11,1", 3, 3, "high", "below low")]
    [InlineData("60000,10,12,9,11,-4", 3, 6, "volume", "non-negative")]
    public async Task A_bad_row_names_file_line_and_column(string badRow, int line, int column, string columnName, string problem)
    {
        var path = Write("bad.csv", Header, Row(0, 10, 12, 9, 11), badRow);
        var e = await Assert.ThrowsAsync<CsvFormatException>(() => Collect(Feed(false, ("X", path)), "X"));
        Assert.Equal(path, e.FilePath);
        Assert.Equal(line, e.Line);
        Assert.Equal(column, e.Column);
        Assert.Equal(columnName, e.ColumnName);
        Assert.Contains(problem, e.Message);
        Assert.StartsWith($"{path}:{line}, column {column}", e.Message);
    }

    [Fact]
    public async Task Bad_rows_can_be_skipped_and_counted()
    {
        var path = Write("mixed.csv", Header, Row(1000, 10, 12, 9, 11), "1,2,three,4,5,6", "2000,1", Row(3000, 10, 12, 9, 11));
        var feed = Feed(true, ("X", path));
        var bars = await Collect(feed, "X");
        Assert.Equal([1000L, 3000L], bars.Select(b => b.Timestamp));
        Assert.Equal(2, feed.SkippedRows);
        Assert.Equal(2, feed.Status.BarsRejected);
        Assert.Equal(2, feed.Status.BarsDelivered);
    }

    [Fact]
    public async Task An_empty_file_or_a_header_only_file_is_an_error()
    {
        foreach (var path in new[] { Write("empty.csv"), Write("header.csv", Header) })
        {
            var e = await Assert.ThrowsAsync<CsvFormatException>(() => Collect(Feed(false, ("X", path)), "X"));
            Assert.Contains("no data rows", e.Message);
            Assert.Contains(path, e.Message);
        }
    }

    [Fact]
    public void Missing_file_and_bad_options_are_reported()
    {
        Assert.Throws<FileNotFoundException>(() => CsvKlineReader.Read(Path.Combine(_dir, "nope.csv"), "X"));
        Assert.Throws<ArgumentException>(() => new CsvReplayFeed(new CsvReplayFeedOptions()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CsvReplayFeed(new CsvReplayFeedOptions
        {
            Speed = -1,
            Sources = [new() { Symbol = "X", Path = "x.csv" }],
        }));
    }

    [Fact]
    public async Task Speed_paces_bars_by_their_timestamps()
    {
        var path = Write("paced.csv", Row(0, 10, 12, 9, 11), Row(1000, 10, 12, 9, 11), Row(2000, 10, 12, 9, 11));
        var feed = new CsvReplayFeed(new CsvReplayFeedOptions { Speed = 100, Sources = [new() { Symbol = "X", Path = path }] });
        var started = System.Diagnostics.Stopwatch.StartNew();
        var bars = await Collect(feed, "X");
        Assert.Equal(3, bars.Count);
        // 2 s of bars at 100× must take at least 20 ms; an upper bound would make the test depend on machine load.
        Assert.True(started.ElapsedMilliseconds >= 19, $"took {started.ElapsedMilliseconds} ms");
    }
}
