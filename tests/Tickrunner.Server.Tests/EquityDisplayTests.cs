using Tickrunner.Server.Backtests;

namespace Tickrunner.Server.Tests;

/// <summary>What the report page draws from an equity curve: monthly returns and the thinned curve, against values worked by hand.</summary>
public sealed class EquityDisplayTests
{
    private static long At(int year, int month, int day, int hour = 0) =>
        new DateTimeOffset(year, month, day, hour, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    [Fact]
    public void Each_month_runs_from_the_last_equity_of_the_month_before_to_its_own_last_bar()
    {
        // January: 100 → 110 (first month from the initial capital 100); February: 110 → 99; March is a gap; April: 99 → 108.9.
        long[] times = [At(2024, 1, 1), At(2024, 1, 31, 23), At(2024, 2, 1), At(2024, 2, 29, 23), At(2024, 4, 2)];
        double[] equity = [105, 110, 120, 99, 108.9];
        var rows = MonthlyReturns.From(times, equity, 100);
        Assert.Equal(["2024-01", "2024-02", "2024-04"], rows.Select(r => r.Month));
        Assert.Equal([100, 110, 99], rows.Select(r => r.StartEquity));
        Assert.Equal([110, 99, 108.9], rows.Select(r => r.EndEquity));
        Assert.Equal(10, rows[0].ReturnPct!.Value, 12);
        Assert.Equal(-10, rows[1].ReturnPct!.Value, 12);
        Assert.Equal(10, rows[2].ReturnPct!.Value, 12);
    }

    [Fact]
    public void A_year_boundary_starts_a_new_month_and_a_zero_start_has_no_return()
    {
        long[] times = [At(2023, 12, 31, 23), At(2024, 1, 1)];
        var rows = MonthlyReturns.From(times, [0, 50], 100);
        Assert.Equal(["2023-12", "2024-01"], rows.Select(r => r.Month));
        Assert.Equal(-100, rows[0].ReturnPct);
        Assert.Null(rows[1].ReturnPct); // from 0: not a number
        Assert.Empty(MonthlyReturns.From([], [], 100));
    }

    [Fact]
    public void Thinning_keeps_the_ends_and_each_buckets_minimum_and_maximum_in_time_order()
    {
        double[] values = [5, 1, 9, 3, 2, 8, 7, 4];
        // Interior 1..6 in 3 buckets of 2: {1, 9}, {3, 2}, {8, 7}: min and max of each, in time order.
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], EquityCurve.Downsample(values, 8));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], EquityCurve.Downsample(values, 100));
        // 6 points: 4 slots, 2 buckets {1, 9, 3}, {2, 8, 7}: (1, 9) and (2, 8).
        Assert.Equal([0, 1, 2, 4, 5, 7], EquityCurve.Downsample(values, 6));
        // 5 points: 3 slots, 2 buckets; the last gives only its last point (index 6).
        Assert.Equal([0, 1, 2, 6, 7], EquityCurve.Downsample(values, 5));
        Assert.Equal([0, 7], EquityCurve.Downsample(values, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => EquityCurve.Downsample(values, 1));
    }
}
