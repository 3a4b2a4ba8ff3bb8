namespace Tickrunner.Engine.Indicators;

/// <summary>Exponential moving average, α = 2 / (p + 1), seeded with the SMA of the first p values (docs/engine-contract.md §2.3).</summary>
public static class Ema
{
    /// <summary>EMA after the last value, or null with fewer than <paramref name="period"/> values.</summary>
    public static double? Last(ReadOnlySpan<double> values, int period)
    {
        Period.Check(period);
        if (values.Length < period) return null;
        var alpha = 2.0 / (period + 1);
        var ema = Sma.Mean(values[..period]);
        for (var i = period; i < values.Length; i++)
            ema = alpha * values[i] + (1 - alpha) * ema;
        return ema;
    }

    /// <summary>
    /// EMA at every index (same length as the input). The first <paramref name="period"/> entries hold the
    /// seed, so EMA([1..10], 3) = 2,2,2,3,4,…,9 as docs/engine-contract.md §2.3 fixes; all NaN with fewer values than the period.
    /// </summary>
    public static double[] Series(ReadOnlySpan<double> values, int period)
    {
        Period.Check(period);
        var result = Period.NaNs(values.Length);
        if (values.Length < period) return result;
        var alpha = 2.0 / (period + 1);
        var ema = Sma.Mean(values[..period]);
        result.AsSpan(0, period).Fill(ema);
        for (var i = period; i < values.Length; i++)
            result[i] = ema = alpha * values[i] + (1 - alpha) * ema;
        return result;
    }
}
