using Tickrunner.Engine.Indicators;

namespace Tickrunner.Engine.Tests;

/// <summary>The check values of docs/engine-contract.md §2.</summary>
public class IndicatorCheckValueTests
{
    private static double[] Range(int from, int count) => Enumerable.Range(from, count).Select(i => (double)i).ToArray();

    [Fact]
    public void Ema_is_seeded_with_the_sma_of_the_first_p_values()
    {
        Assert.Equal([2, 2, 2, 3, 4, 5, 6, 7, 8, 9], Ema.Series(Range(1, 10), 3));
        Assert.Equal(9, Ema.Last(Range(1, 10), 3));
    }

    [Fact]
    public void Rsi_matches_wilder_check_values()
    {
        double[] closes = [44, 44.5, 45, 45.5, 46, 46.5, 47, 46.5, 46, 45.5, 45, 44.5, 44, 43.5];
        double[] expected = [83.333333, 69.444444, 57.870370, 48.225309, 40.187757, 33.489798, 27.908165];
        var series = Rsi.Series(closes, 6);
        Assert.Equal(100, series[6]); // no losses yet
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], series[7 + i], 5);
        Assert.Equal(27.908165, Rsi.Last(closes, 6)!.Value, 5);
        Assert.True(double.IsNaN(series[5]));
    }

    [Fact]
    public void Rsi_is_50_on_a_flat_series_and_100_without_losses()
    {
        Assert.Equal(50, Rsi.Last([5, 5, 5, 5], 3));
        Assert.Equal(100, Rsi.Last([1, 2, 3, 4], 3));
        Assert.Equal(0, Rsi.Last([4, 3, 2, 1], 3));
    }

    [Fact]
    public void Macd_matches_check_values()
    {
        var m = Macd.Last(Range(100, 50))!.Value;
        Assert.Equal(7.0, m.Line, 9);
        Assert.Equal(6.981941, m.Signal, 6);
        Assert.Equal(0.018059, m.Histogram, 6);
        var (line, signal, histogram) = Macd.Series(Range(100, 50));
        Assert.Equal(m.Line, line[^1], 12);
        Assert.Equal(m.Signal, signal[^1], 12);
        Assert.Equal(m.Histogram, histogram[^1], 12);
    }

    [Fact]
    public void Bollinger_uses_population_standard_deviation()
    {
        var b = Bollinger.Last(Range(100, 10), 5, 2)!.Value;
        Assert.Equal(107, b.Middle, 12);
        Assert.Equal(2.828427, b.Upper - b.Middle, 6);
        Assert.Equal(2.828427, b.Middle - b.Lower, 6);
    }

    [Fact]
    public void Not_enough_data_gives_no_value()
    {
        Assert.Null(Sma.Last([1, 2], 3));
        Assert.Null(Ema.Last([1, 2], 3));
        Assert.Null(Rsi.Last([1, 2, 3], 3));
        Assert.Null(Macd.Last(Range(1, 25)));
        Assert.Null(Bollinger.Last(Range(1, 19)));
        Assert.All(Ema.Series([1, 2], 3), v => Assert.True(double.IsNaN(v)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Non_positive_periods_are_rejected(int period)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Sma.Last([1.0], period));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ema.Series([1.0], period));
        Assert.Throws<ArgumentOutOfRangeException>(() => Rsi.Last([1.0], period));
        Assert.Throws<ArgumentOutOfRangeException>(() => Macd.Last([1.0], period));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bollinger.Last([1.0], period));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bollinger.Last([1.0], 2, double.NaN));
    }
}
