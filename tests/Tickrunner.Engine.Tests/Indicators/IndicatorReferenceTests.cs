using Tickrunner.Engine.Indicators;

namespace Tickrunner.Engine.Tests;

/// <summary>Indicators against a deliberately plain reference implementation on random series.</summary>
public class IndicatorReferenceTests
{
    public static TheoryData<int> Seeds => new() { 1, 2, 3, 4, 5, 6, 7, 8 };

    private static List<double> RandomWalk(int seed, int length)
    {
        var rng = new Random(seed);
        var prices = new List<double> { 100 };
        for (var i = 1; i < length; i++) prices.Add(prices[^1] * (1 + (rng.NextDouble() - 0.5) * 0.04));
        return prices;
    }

    // --- reference: the textbook definitions, written for clarity, not speed ---
    private static double RefSma(List<double> xs, int p) => xs.Skip(xs.Count - p).Average();

    private static List<double> RefEma(List<double> xs, int p)
    {
        var alpha = 2.0 / (p + 1);
        var result = new List<double>();
        var seed = xs.Take(p).Average();
        for (var i = 0; i < xs.Count; i++)
            result.Add(i < p ? seed : alpha * xs[i] + (1 - alpha) * result[i - 1]);
        return result;
    }

    private static double RefRsi(List<double> xs, int p)
    {
        var changes = xs.Zip(xs.Skip(1), (a, b) => b - a).ToList();
        var gain = changes.Take(p).Select(c => Math.Max(c, 0)).Average();
        var loss = changes.Take(p).Select(c => Math.Max(-c, 0)).Average();
        foreach (var c in changes.Skip(p))
        {
            gain = (gain * (p - 1) + Math.Max(c, 0)) / p;
            loss = (loss * (p - 1) + Math.Max(-c, 0)) / p;
        }
        return loss == 0 ? (gain == 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Sma_and_ema_match_reference(int seed)
    {
        var xs = RandomWalk(seed, 150);
        foreach (var p in new[] { 1, 2, 5, 10, 20, 50, 150 })
        {
            Assert.Equal(RefSma(xs, p), Sma.Last(xs.ToArray(), p)!.Value, 9);
            Assert.Equal(RefSma(xs, p), Sma.Series(xs.ToArray(), p)[^1], 9);
            var refEma = RefEma(xs, p);
            Assert.Equal(refEma[^1], Ema.Last(xs.ToArray(), p)!.Value, 9);
            var series = Ema.Series(xs.ToArray(), p);
            for (var i = 0; i < xs.Count; i++) Assert.Equal(refEma[i], series[i], 9);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Rsi_matches_reference_at_every_index(int seed)
    {
        var xs = RandomWalk(seed, 120);
        foreach (var p in new[] { 2, 6, 14, 30 })
        {
            var series = Rsi.Series(xs.ToArray(), p);
            for (var n = p + 1; n <= xs.Count; n++)
                Assert.Equal(RefRsi(xs.Take(n).ToList(), p), series[n - 1], 9);
            Assert.Equal(RefRsi(xs, p), Rsi.Last(xs.ToArray(), p)!.Value, 9);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Macd_and_bollinger_match_reference(int seed)
    {
        var xs = RandomWalk(seed, 100);
        var line = RefEma(xs, 12).Zip(RefEma(xs, 26), (f, s) => f - s).ToList();
        var signal = RefEma(line, 9);
        var macd = Macd.Last(xs.ToArray())!.Value;
        Assert.Equal(line[^1], macd.Line, 9);
        Assert.Equal(signal[^1], macd.Signal, 9);
        Assert.Equal(line[^1] - signal[^1], macd.Histogram, 9);

        var tail = xs.Skip(xs.Count - 20).ToList();
        var mean = tail.Average();
        var sd = Math.Sqrt(tail.Select(x => (x - mean) * (x - mean)).Sum() / tail.Count);
        var bands = Bollinger.Last(xs.ToArray(), 20, 2.5)!.Value;
        Assert.Equal(mean, bands.Middle, 9);
        Assert.Equal(mean + 2.5 * sd, bands.Upper, 9);
        Assert.Equal(mean - 2.5 * sd, bands.Lower, 9);
        var (upper, _, _) = Bollinger.Series(xs.ToArray(), 20, 2.5);
        Assert.Equal(bands.Upper, upper[^1], 9);
    }
}
