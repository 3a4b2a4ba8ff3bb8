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
    /// <see cref="Last"/> for two periods over the same values, bit for bit the same two numbers: each EMA is the same
    /// sequence of operations in the same order, only the two chains are interleaved. Each step of an EMA waits for the
    /// previous one (a multiply and an add), so one chain leaves the core mostly idle; two independent chains in one loop
    /// cost little more than one. Both periods must be at most <c>values.Length</c>.
    /// </summary>
    internal static void LastTwo(ReadOnlySpan<double> values, int first, int second, out double firstEma, out double secondEma)
    {
        Period.Check(first);
        Period.Check(second);
        var swap = first > second;
        var (shorter, longer) = swap ? (second, first) : (first, second);
        if (values.Length < longer) throw new ArgumentException("Both periods must fit in the values.", nameof(values));
        var alphaA = 2.0 / (shorter + 1);
        var alphaB = 2.0 / (longer + 1);
        var a = Sma.Mean(values[..shorter]);
        var b = Sma.Mean(values[..longer]);
        var i = shorter;
        for (; i < longer; i++)
            a = alphaA * values[i] + (1 - alphaA) * a;
        for (; i < values.Length; i++)
        {
            var x = values[i];
            a = alphaA * x + (1 - alphaA) * a;
            b = alphaB * x + (1 - alphaB) * b;
        }
        (firstEma, secondEma) = swap ? (b, a) : (a, b);
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
