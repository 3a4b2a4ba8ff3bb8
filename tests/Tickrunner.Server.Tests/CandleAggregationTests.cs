using Tickrunner.Server.Candles;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Tests;

/// <summary>One-second candles folded into longer ones, each case worked by hand; the per-symbol ring and its table.</summary>
public sealed class CandleAggregationTests
{
    // 2024-01-01T00:00:00Z: a UTC midnight, so every interval's bucket starts here.
    private const long T0 = 1_704_067_200_000;

    private static readonly Candle[] Seconds =
    [
        new(T0, 10, 12, 9, 11, 1),
        new(T0 + 1_000, 11, 15, 10, 14, 2),
        new(T0 + 59_000, 14, 14, 8, 9, 3),
        new(T0 + 60_000, 9, 10, 9, 10, 4),
        new(T0 + 61_000, 10, 11, 7, 8, 5), // the minute from T0+60s has only begun: a partial last bucket
    ];

    private static List<Candle> Aggregate(string interval, long from = 0, long to = long.MaxValue, int limit = 500) =>
        CandleAggregator.Aggregate(Seconds, CandleIntervals.Parse(interval)!.Value, from, to, limit);

    [Fact]
    public void One_second_candles_come_back_as_they_are()
    {
        Assert.Equal(Seconds, Aggregate("1s"));
    }

    [Fact]
    public void Minutes_take_the_first_open_the_highest_high_the_lowest_low_the_last_close_and_the_summed_volume()
    {
        Assert.Equal([new Candle(T0, 10, 15, 8, 9, 6), new Candle(T0 + 60_000, 9, 11, 7, 8, 9)], Aggregate("1m"));
    }

    [Theory]
    [InlineData("5m")]
    [InlineData("15m")]
    [InlineData("1h")]
    [InlineData("4h")]
    [InlineData("1d")]
    public void Longer_intervals_fold_everything_into_the_bucket_starting_at_midnight(string interval)
    {
        Assert.Equal([new Candle(T0, 10, 15, 7, 8, 15)], Aggregate(interval));
    }

    [Theory]
    [InlineData("1m", 60_000L)]
    [InlineData("5m", 300_000L)]
    [InlineData("15m", 900_000L)]
    [InlineData("1h", 3_600_000L)]
    [InlineData("4h", 14_400_000L)]
    [InlineData("1d", 86_400_000L)]
    public void Buckets_start_at_multiples_of_the_interval_since_the_epoch_in_utc(string interval, long ms)
    {
        // 2024-03-10T07:17:42.000Z and a second later: the bucket starts at the interval boundary before it, in UTC.
        var time = DateTimeOffset.Parse("2024-03-10T07:17:42Z").ToUnixTimeMilliseconds();
        var candles = CandleAggregator.Aggregate([new Candle(time, 5, 6, 4, 5, 1), new Candle(time + 1000, 5, 7, 5, 6, 1)], ms, 0, long.MaxValue, 10);
        var expected = interval switch
        {
            "1m" => "2024-03-10T07:17:00Z",
            "5m" => "2024-03-10T07:15:00Z",
            "15m" => "2024-03-10T07:15:00Z",
            "1h" => "2024-03-10T07:00:00Z",
            "4h" => "2024-03-10T04:00:00Z",
            _ => "2024-03-10T00:00:00Z",
        };
        Assert.Equal([new Candle(DateTimeOffset.Parse(expected).ToUnixTimeMilliseconds(), 5, 7, 4, 6, 2)], candles);
    }

    [Fact]
    public void Limit_counts_back_from_the_newest()
    {
        Assert.Equal([new Candle(T0 + 60_000, 9, 11, 7, 8, 9)], Aggregate("1m", limit: 1));
        Assert.Equal(Seconds[^2..], Aggregate("1s", limit: 2));
    }

    [Fact]
    public void To_is_exclusive_so_a_page_ending_at_the_first_loaded_bucket_holds_only_older_ones()
    {
        Assert.Equal([new Candle(T0, 10, 15, 8, 9, 6)], Aggregate("1m", to: T0 + 60_000));
        Assert.Equal(Seconds[1..3], Aggregate("1s", to: T0 + 60_000, limit: 2));
    }

    [Fact]
    public void From_is_inclusive_and_a_bucket_it_cuts_holds_only_the_seconds_from_there()
    {
        // Still labelled by its bucket's start, but opened by the first second inside the range.
        Assert.Equal([new Candle(T0, 11, 15, 8, 9, 5), new Candle(T0 + 60_000, 9, 11, 7, 8, 9)], Aggregate("1m", from: T0 + 1_000));
        Assert.Equal(Seconds[3..], Aggregate("1s", from: T0 + 60_000));
    }

    [Fact]
    public void An_empty_range_or_no_candles_give_nothing()
    {
        Assert.Empty(Aggregate("1m", from: T0 + 2_000, to: T0 + 59_000));
        Assert.Empty(Aggregate("1m", from: T0 + 70_000));
        Assert.Empty(CandleAggregator.Aggregate([], 60_000, 0, long.MaxValue, 10));
    }

    [Fact]
    public void Only_the_listed_intervals_parse()
    {
        Assert.Equal(["1s", "1m", "5m", "15m", "1h", "4h", "1d"], CandleIntervals.All.Select(i => i.Name));
        Assert.Null(CandleIntervals.Parse("2m"));
        Assert.Null(CandleIntervals.Parse("1M"));
        Assert.Null(CandleIntervals.Parse(""));
    }

    [Fact]
    public void The_series_folds_bars_into_their_second_and_keeps_only_the_newest()
    {
        var series = new CandleSeries(4);
        Assert.Null(series.Fold(T0 + 100, 10, 11, 9, 10, 1, out _));
        Assert.Null(series.Fold(T0 + 600, 10, 13, 8, 12, 2, out _)); // the same second: folded in
        var closed = series.Fold(T0 + 1_000, 12, 12, 12, 12, 1, out _);
        Assert.Equal(new Candle(T0, 10, 13, 8, 12, 3), closed);
        Assert.Null(series.Fold(T0 + 999, 1, 1, 1, 1, 1, out var ignored)); // older than the open candle
        Assert.True(ignored);
        for (var s = 2; s < 40; s++) series.Fold(T0 + s * 1_000L, s, s, s, s, 1, out _); // past the ring's end, several times
        Assert.Equal(4, series.Count);
        Assert.Equal([36L, 37, 38, 39], series.Aggregate(1_000, 0, long.MaxValue, 10).Select(c => (c.Time - T0) / 1_000));
    }

    [Fact]
    public void The_table_keeps_the_newest_per_symbol_and_reads_them_back_oldest_first()
    {
        using var directory = new TempDirectory("tickrunner-candles-");
        var database = new TickrunnerDatabase(directory.Path);
        database.Migrate();
        var repository = new CandleRepository(database);
        repository.Save(Seconds.Select(c => ("AAA", c)).Append(("BBB", Seconds[0])).ToList(), keepPerSymbol: 3);
        repository.Save([("AAA", Seconds[4] with { Close = 9 })], keepPerSymbol: 3); // the open candle written again once closed
        var loaded = repository.LoadNewest(10);
        Assert.Equal([Seconds[2], Seconds[3], Seconds[4] with { Close = 9 }], loaded["AAA"]);
        Assert.Equal([Seconds[0]], loaded["BBB"]);
        Assert.Equal([Seconds[3], Seconds[4] with { Close = 9 }], repository.LoadNewest(2)["AAA"]);
    }
}
