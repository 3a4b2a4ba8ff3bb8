using Tickrunner.Engine.Optimization;

namespace Tickrunner.Engine.Tests.Optimization;

public class ReturnMomentsTests
{
    internal static double[] Noise(Random rng, int length, double mean = 0, double std = 0.01)
    {
        var returns = new double[length];
        for (var i = 0; i < length; i++)
        {
            // Box–Muller: a standard normal from two uniforms.
            var u = 1 - rng.NextDouble();
            returns[i] = mean + std * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * rng.NextDouble());
        }
        return returns;
    }

    // The textbook Sharpe ratio: two passes, mean over the sample standard deviation (n − 1).
    internal static double ReferenceSharpe(IReadOnlyList<double> xs)
    {
        var mean = xs.Average();
        var std = Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1));
        return std == 0 ? 0 : mean / std;
    }

    [Fact]
    public void A_worked_example()
    {
        // r = 0.01, 0.02, 0.03, 0.06: mean 0.03, deviations −0.02, −0.01, 0, 0.03.
        // Σd² = 14e-4, so m₂ = 3.5e-4 and the sample variance 14e-4 / 3: Sharpe = 0.03 / √(4.6667e-4) = 1.388730.
        // Σd³ = (−8 − 1 + 0 + 27)e-6 = 18e-6: m₃ = 4.5e-6, skewness 4.5e-6 / (3.5e-4)^1.5 = 0.687243.
        // Σd⁴ = (16 + 1 + 0 + 81)e-8 = 98e-8: m₄ = 24.5e-8, kurtosis 24.5e-8 / (3.5e-4)² = 2.
        var m = ReturnMoments.Of([0.01, 0.02, 0.03, 0.06], 2);
        Assert.Equal(2, m.Blocks);
        Assert.Equal(4, m.Observations);
        Assert.Equal(0.03 / Math.Sqrt(14e-4 / 3), m.Sharpe, 12);
        Assert.Equal(4.5e-6 / Math.Pow(3.5e-4, 1.5), m.Skewness, 12);
        Assert.Equal(2, m.Kurtosis, 12);
        // Block 0 is 0.01, 0.02: mean 0.015, std 0.0070711, Sharpe 2.121320 = 3/√2. Block 1 is 0.03, 0.06: 4.5/1.5/√2 = 2.121320 too.
        Assert.Equal(3 / Math.Sqrt(2), m.SharpeOf([0]), 12);
        Assert.Equal(3 / Math.Sqrt(2), m.SharpeOf([1]), 12);
    }

    [Fact]
    public void Moments_carried_by_their_blocks_answer_as_the_original()
    {
        double[] returns = [0.01, -0.02, 0.015, 0.003, -0.007, 0.012, -0.001];
        var original = ReturnMoments.Of(returns, 3);

        var carried = ReturnMoments.FromBlocks(original.BlockCounts.ToArray(), original.BlockSums.ToArray(), original.BlockSquares.ToArray(),
            original.Observations, original.Sharpe, original.Skewness, original.Kurtosis);

        Assert.Equal([3, 2, 2], carried.BlockCounts.ToArray());
        Assert.Equal(original.SharpeOf([0, 2]), carried.SharpeOf([0, 2]));
        Assert.Equal((original.Sharpe, original.Skewness, original.Kurtosis), (carried.Sharpe, carried.Skewness, carried.Kurtosis));
        Assert.Contains("add up to 7, not the 8", Assert.Throws<ArgumentException>(() => ReturnMoments.FromBlocks([3, 2, 2], [0, 0, 0], [0, 0, 0], 8, 0, 0, 3)).Message);
        Assert.Throws<ArgumentException>(() => ReturnMoments.FromBlocks([3, 4], [0, 0, 0], [0, 0], 7, 0, 0, 3));
    }

    [Fact]
    public void Blocks_are_contiguous_and_the_first_ones_take_the_remainder()
    {
        // 10 returns in 4 blocks: 3, 3, 2, 2.
        double[] returns = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        var m = ReturnMoments.Of(returns, 4);
        Assert.Equal(new[] { 3, 3, 2, 2 }, Enumerable.Range(0, 4).Select(m.BlockCount));
        Assert.Equal(new[] { 6.0, 15, 15, 19 }, Enumerable.Range(0, 4).Select(m.BlockSum));
        Assert.Equal(new[] { 14.0, 77, 113, 181 }, Enumerable.Range(0, 4).Select(m.BlockSumOfSquares));
        Assert.Equal(10, m.Observations);

        var one = ReturnMoments.Of(returns, 1);
        Assert.Equal(1, one.Blocks);
        Assert.Equal(10, one.BlockCount(0));
        var each = ReturnMoments.Of(returns, 10);
        Assert.All(Enumerable.Range(0, 10), b => Assert.Equal(1, each.BlockCount(b)));
    }

    [Theory]
    [InlineData(1, 1000, 16)]
    [InlineData(2, 997, 16)]
    [InlineData(3, 50, 7)]
    [InlineData(4, 33, 1)]
    public void The_sharpe_of_any_union_of_blocks_is_that_of_the_returns_in_them(int seed, int length, int blocks)
    {
        var rng = new Random(seed);
        var returns = Noise(rng, length, mean: 0.0005);
        var m = ReturnMoments.Of(returns, blocks);
        Near(ReferenceSharpe(returns), m.Sharpe, 1e-11);
        var all = Enumerable.Range(0, blocks).ToArray();
        Assert.Equal(m.Sharpe, m.SharpeOf(all)); // to the bit: summed the same way

        var starts = new int[blocks + 1];
        for (var b = 0; b < blocks; b++) starts[b + 1] = starts[b] + m.BlockCount(b);
        Assert.Equal(length, starts[blocks]);
        for (var trial = 0; trial < 50; trial++)
        {
            var chosen = all.Where(_ => rng.Next(2) == 0).ToArray();
            var values = chosen.SelectMany(b => returns[starts[b]..starts[b + 1]]).ToList();
            var expected = values.Count < 2 ? 0 : ReferenceSharpe(values);
            var shuffled = chosen.OrderBy(_ => rng.Next()).ToArray();
            var actual = m.SharpeOf(shuffled);
            Near(expected, actual, 1e-10);
            // A union does not depend on the order the blocks are listed in, or on repeats.
            Assert.Equal(m.SharpeOf(chosen), actual);
            Assert.Equal(actual, m.SharpeOf([.. chosen, .. chosen]));
        }
        Assert.Equal(0, m.SharpeOf([]));
    }

    [Fact]
    public void Skewness_and_kurtosis_keep_their_digits_for_a_tiny_spread_around_a_mean()
    {
        // 0.001 + 1e-6 × (−1, 0, 1) over and over: symmetric, so skewness 0; m₂ = ⅔e-12, m₄ = ⅔e-24, kurtosis 1.5.
        // From raw power sums, the 1e-6 spread would drown in the rounding of sums of 0.001³ and 0.001⁴.
        var returns = Enumerable.Range(0, 3000).Select(i => 0.001 + 1e-6 * (i % 3 - 1)).ToArray();
        var m = ReturnMoments.Of(returns, 10);
        Assert.Equal(0, m.Skewness, 6);
        Assert.Equal(1.5, m.Kurtosis, 6);
        // mean / std = 0.001 / √(⅔e-12 × 3000/2999) = 1224.5.
        Near(0.001 / Math.Sqrt(2e-12 / 3 * 3000 / 2999), m.Sharpe, 1e-6);
    }

    [Fact]
    public void Skewness_and_kurtosis_of_normal_noise_are_about_0_and_3()
    {
        var m = ReturnMoments.Of(Noise(new Random(7), 200_000), 16);
        Assert.InRange(m.Skewness, -0.03, 0.03);
        Assert.InRange(m.Kurtosis, 2.95, 3.05);
    }

    [Fact]
    public void A_series_without_spread_has_sharpe_0_skewness_0_and_kurtosis_3()
    {
        // All zeros (a trial that never trades), a constant non-zero return (whose Σr² − (Σr)²/n is rounding noise, not
        // zero), and a single return.
        foreach (var returns in new[] { new double[100], Enumerable.Repeat(0.001, 100).ToArray(), new[] { 0.02 } })
        {
            var m = ReturnMoments.Of(returns, 1);
            Assert.Equal(0, m.Sharpe);
            Assert.Equal(0, m.Skewness);
            Assert.Equal(3, m.Kurtosis);
            Assert.Equal(0, m.SharpeOf([0]));
        }
        // A union of flat blocks of an otherwise lively series.
        double[] mixed = [0.01, -0.02, 0.03, 0, 0, 0, 0.001, 0.001, 0.001];
        var blocks = ReturnMoments.Of(mixed, 3);
        Assert.NotEqual(0, blocks.Sharpe);
        Assert.Equal(0, blocks.SharpeOf([1]));
        Assert.Equal(0, blocks.SharpeOf([2]));
        Assert.NotEqual(0, blocks.SharpeOf([1, 2]));
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ReturnMoments.Of([0.01, 0.02], 0));
        Assert.Throws<ArgumentException>(() => ReturnMoments.Of([0.01, 0.02], 3));
        Assert.Throws<ArgumentException>(() => ReturnMoments.Of([], 1));
        Assert.Throws<ArgumentException>(() => ReturnMoments.Of([0.01, double.NaN], 1));
        Assert.Throws<ArgumentException>(() => ReturnMoments.Of([0.01, double.PositiveInfinity], 2));
        var m = ReturnMoments.Of([0.01, 0.02, 0.03], 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.SharpeOf([3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.SharpeOf([-1]));
    }

    private static void Near(double expected, double actual, double relative) =>
        NormalDistributionTests.Near(expected, actual, relative);
}
