namespace Tickrunner.Engine.Indicators;

/// <summary>Simple moving average: the mean of the last p values (docs/engine-contract.md §2.2).</summary>
public static class Sma
{
    /// <summary>SMA of the last <paramref name="period"/> values, or null with fewer values.</summary>
    public static double? Last(ReadOnlySpan<double> values, int period)
    {
        Period.Check(period);
        if (values.Length < period) return null;
        return Mean(values[^period..]);
    }

    /// <summary>SMA at every index (same length as the input); NaN before index period − 1.</summary>
    public static double[] Series(ReadOnlySpan<double> values, int period)
    {
        Period.Check(period);
        var result = Period.NaNs(values.Length);
        if (values.Length < period) return result;
        var sum = 0.0;
        for (var i = 0; i < values.Length; i++)
        {
            sum += values[i];
            if (i >= period) sum -= values[i - period];
            if (i >= period - 1) result[i] = sum / period;
        }
        return result;
    }

    internal static double Mean(ReadOnlySpan<double> values)
    {
        var sum = 0.0;
        foreach (var v in values) sum += v;
        return sum / values.Length;
    }
}
