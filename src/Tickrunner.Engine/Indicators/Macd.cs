namespace Tickrunner.Engine.Indicators;

/// <summary>One MACD reading: line = EMA(fast) − EMA(slow), signal = EMA(signal) of the line, histogram = line − signal.</summary>
public readonly record struct MacdValue(double Line, double Signal, double Histogram);

/// <summary>Moving average convergence/divergence with the EMA convention of docs/engine-contract.md §2.3 (MACD: §2.5).</summary>
public static class Macd
{
    /// <summary>The usual periods: 12, 26, 9.</summary>
    public const int DefaultFast = 12, DefaultSlow = 26, DefaultSignal = 9;

    /// <summary>MACD after the last value; null with fewer than max(fast, slow, signal) values.</summary>
    /// <remarks>One pass, no allocation: both EMAs and the signal EMA of the line advance together.</remarks>
    public static MacdValue? Last(ReadOnlySpan<double> values, int fast = DefaultFast, int slow = DefaultSlow, int signal = DefaultSignal)
    {
        Check(fast, slow, signal);
        if (values.Length < Math.Max(Math.Max(fast, slow), signal)) return null;
        double aFast = 2.0 / (fast + 1), aSlow = 2.0 / (slow + 1), aSignal = 2.0 / (signal + 1);
        double emaFast = Sma.Mean(values[..fast]), emaSlow = Sma.Mean(values[..slow]);
        double signalSum = 0, emaSignal = 0, line = 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (i >= fast) emaFast = aFast * values[i] + (1 - aFast) * emaFast;
            if (i >= slow) emaSlow = aSlow * values[i] + (1 - aSlow) * emaSlow;
            line = emaFast - emaSlow;
            if (i < signal)
            {
                signalSum += line;
                if (i == signal - 1) emaSignal = signalSum / signal;
            }
            else
            {
                emaSignal = aSignal * line + (1 - aSignal) * emaSignal;
            }
        }
        return new MacdValue(line, emaSignal, line - emaSignal);
    }

    /// <summary>MACD line, signal and histogram at every index; all NaN with too few values.</summary>
    public static (double[] Line, double[] Signal, double[] Histogram) Series(ReadOnlySpan<double> values,
        int fast = DefaultFast, int slow = DefaultSlow, int signal = DefaultSignal)
    {
        Check(fast, slow, signal);
        var n = values.Length;
        if (n < Math.Max(Math.Max(fast, slow), signal)) return (Period.NaNs(n), Period.NaNs(n), Period.NaNs(n));
        var emaFast = Ema.Series(values, fast);
        var emaSlow = Ema.Series(values, slow);
        var line = new double[n];
        for (var i = 0; i < n; i++) line[i] = emaFast[i] - emaSlow[i];
        var signalLine = Ema.Series(line, signal);
        var histogram = new double[n];
        for (var i = 0; i < n; i++) histogram[i] = line[i] - signalLine[i];
        return (line, signalLine, histogram);
    }

    private static void Check(int fast, int slow, int signal)
    {
        Period.Check(fast, nameof(fast));
        Period.Check(slow, nameof(slow));
        Period.Check(signal, nameof(signal));
    }
}
