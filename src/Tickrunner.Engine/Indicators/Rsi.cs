namespace Tickrunner.Engine.Indicators;

/// <summary>Relative strength index with Wilder's smoothing (docs/engine-contract.md §2.4).</summary>
/// <remarks>An average loss of 0 gives 100, or 50 when the average gain is 0 too (docs/engine-contract.md §2.4).</remarks>
public static class Rsi
{
    /// <summary>RSI after the last value, or null with fewer than period + 1 values.</summary>
    public static double? Last(ReadOnlySpan<double> values, int period)
    {
        Period.Check(period);
        if (values.Length < period + 1) return null;
        var (gain, loss) = Seed(values, period);
        for (var i = period + 1; i < values.Length; i++)
            Smooth(values[i] - values[i - 1], period, ref gain, ref loss);
        return FromAverages(gain, loss);
    }

    /// <summary>RSI at every index (same length as the input); NaN before index <paramref name="period"/>.</summary>
    public static double[] Series(ReadOnlySpan<double> values, int period)
    {
        Period.Check(period);
        var result = Period.NaNs(values.Length);
        if (values.Length < period + 1) return result;
        var (gain, loss) = Seed(values, period);
        result[period] = FromAverages(gain, loss);
        for (var i = period + 1; i < values.Length; i++)
        {
            Smooth(values[i] - values[i - 1], period, ref gain, ref loss);
            result[i] = FromAverages(gain, loss);
        }
        return result;
    }

    private static (double Gain, double Loss) Seed(ReadOnlySpan<double> values, int period)
    {
        double gain = 0, loss = 0;
        for (var i = 1; i <= period; i++)
        {
            var change = values[i] - values[i - 1];
            if (change > 0) gain += change; else loss -= change;
        }
        return (gain / period, loss / period);
    }

    // (avg·(p − 1) + x) / p written as avg·k + x·(1/p): two multiplies instead of two divisions per step
    // keeps the per-tick form well under a microsecond over a 100-bar window.
    private static void Smooth(double change, int period, ref double gain, ref double loss)
    {
        var inverse = 1.0 / period;
        var keep = (period - 1) * inverse;
        gain = gain * keep + (change > 0 ? change : 0) * inverse;
        loss = loss * keep + (change < 0 ? -change : 0) * inverse;
    }

    private static double FromAverages(double gain, double loss)
    {
        if (loss == 0) return gain == 0 ? 50 : 100;
        return 100 - 100 / (1 + gain / loss);
    }
}
