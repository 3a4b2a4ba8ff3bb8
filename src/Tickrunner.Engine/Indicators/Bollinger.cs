namespace Tickrunner.Engine.Indicators;

/// <summary>One Bollinger reading: middle = SMA(p), upper/lower = middle ± k × population standard deviation.</summary>
public readonly record struct BollingerBands(double Upper, double Middle, double Lower);

/// <summary>Bollinger bands with the population standard deviation (docs/engine-contract.md §2.6).</summary>
public static class Bollinger
{
    /// <summary>The usual parameters: 20 periods, 2 standard deviations.</summary>
    public const int DefaultPeriod = 20;

    /// <inheritdoc cref="DefaultPeriod"/>
    public const double DefaultK = 2.0;

    /// <summary>Bands over the last <paramref name="period"/> values, or null with fewer values.</summary>
    public static BollingerBands? Last(ReadOnlySpan<double> values, int period = DefaultPeriod, double k = DefaultK)
    {
        Check(period, k);
        if (values.Length < period) return null;
        return Bands(values[^period..], k);
    }

    /// <summary>Bands at every index (same length as the input); NaN before index period − 1.</summary>
    public static (double[] Upper, double[] Middle, double[] Lower) Series(ReadOnlySpan<double> values,
        int period = DefaultPeriod, double k = DefaultK)
    {
        Check(period, k);
        var n = values.Length;
        var (upper, middle, lower) = (Period.NaNs(n), Period.NaNs(n), Period.NaNs(n));
        for (var i = period - 1; i < n; i++)
        {
            var b = Bands(values.Slice(i - period + 1, period), k);
            (upper[i], middle[i], lower[i]) = (b.Upper, b.Middle, b.Lower);
        }
        return (upper, middle, lower);
    }

    private static BollingerBands Bands(ReadOnlySpan<double> window, double k)
    {
        // Two passes: the naive sum-of-squares form loses precision at price levels like 50,000.
        var mean = Sma.Mean(window);
        var squares = 0.0;
        foreach (var v in window) squares += (v - mean) * (v - mean);
        var half = k * Math.Sqrt(squares / window.Length);
        return new BollingerBands(mean + half, mean, mean - half);
    }

    private static void Check(int period, double k)
    {
        Period.Check(period);
        if (!double.IsFinite(k) || k < 0)
            throw new ArgumentOutOfRangeException(nameof(k), k, "k must be a finite number ≥ 0.");
    }
}
