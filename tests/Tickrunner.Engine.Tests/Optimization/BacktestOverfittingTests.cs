using System.Diagnostics;
using Tickrunner.Engine.Optimization;
using Xunit.Abstractions;

namespace Tickrunner.Engine.Tests.Optimization;

public class BacktestOverfittingTests(ITestOutputHelper output)
{
    // One return per block, in hundredths. A union of two such blocks holds two returns a, b: mean (a + b)/2, sample
    // standard deviation |a − b|/√2, so its Sharpe ratio is k/√2 with k = (a + b)/|a − b|, and ranks go by k.
    private static ReturnMoments[] OnePerBlock(params int[][] trials) =>
        trials.Select(t => ReturnMoments.Of(t.Select(x => x / 100.0).ToArray(), t.Length)).ToArray();

    private static void Logits(double[] expected, OverfittingResult result)
    {
        Assert.Equal(expected.Length, result.Logits.Count);
        for (var c = 0; c < expected.Length; c++) Assert.Equal(expected[c], result.Logits[c], 12);
    }

    [Fact]
    public void Four_blocks_three_trials_by_hand()
    {
        // Trials A = 1, 2, −2, −1; B = −1, 1, −2, 0; C = −2, −1, 0, 1. The 6 combinations in lexicographic order, with k
        // of each trial in sample (IS) and out of sample (OOS), the IS winner, its OOS rank among the 3, ω = rank/4 and
        // λ = ln(rank/(4 − rank)):
        //   J      IS k: A, B, C    winner  OOS k: A, B, C    rank  ω     λ
        //   {0,1}  3, 0, −3         A       −3, −1, 1         1     1/4   ln(1/3)
        //   {0,2}  −1/3, −3, −1     A       1/3, 1, 0         2     1/2   0
        //   {0,3}  0, −1, −1/3      A       0, −1/3, −1       3     3/4   ln 3
        //   {1,2}  0, −1/3, −1      A       0, −1, −1/3       3     3/4   ln 3
        //   {1,3}  1/3, 1, 0        B       −1/3, −3, −1      1     1/4   ln(1/3)
        //   {2,3}  −3, −1, 1        C       3, 0, −3          1     1/4   ln(1/3)
        // λ ≤ 0 in 4 of 6 (the median rank, λ = 0, counts): PBO = 2/3. Median ω of 1/4, 1/4, 1/4, 1/2, 3/4, 3/4 is 3/8.
        var result = BacktestOverfitting.Compute(OnePerBlock([1, 2, -2, -1], [-1, 1, -2, 0], [-2, -1, 0, 1]));
        Assert.NotNull(result);
        Assert.Equal(2.0 / 3, result.Probability);
        Assert.Equal(6, result.Combinations);
        Assert.Equal(4, result.Blocks);
        Assert.Equal(3, result.Trials);
        var (third, three) = (Math.Log(1.0 / 3), Math.Log(3));
        Logits([third, 0, three, three, third, third], result);
        Assert.Equal(0, result.Logits[1]); // exactly: the median rank is no overfit to the last bit
        Assert.Equal(0.375, result.MedianOutOfSampleRank);
    }

    [Fact]
    public void Ties_take_the_lowest_index_in_sample_and_the_average_rank_out_of_sample()
    {
        // Two blocks of two returns (hundredths): X = 1, 3 | 2, 4; Y = 1, 3 | 5, 7; X′ = X. Block Sharpe ratios: {1, 3}
        // mean 2, std √2: √2; {2, 4}: 3/√2; {5, 7}: 6/√2.
        //   J = {0}: IS √2, √2, √2, all tied: the lowest index, X, wins (Y would rank 3). OOS 3/√2, 6/√2, 3/√2: X ties
        //            X′ on ranks 1 and 2, so rank 1.5, ω = 1.5/4 = 0.375, λ = ln(1.5/2.5) = ln 0.6.
        //   J = {1}: IS 3/√2, 6/√2, 3/√2: Y wins. OOS √2 for all three: ranks 1, 2, 3 shared, rank 2, ω = 1/2, λ = 0.
        // PBO = 2/2 = 1; median ω = (0.375 + 0.5)/2 = 0.4375.
        double[] x = [0.01, 0.03, 0.02, 0.04], y = [0.01, 0.03, 0.05, 0.07];
        var result = BacktestOverfitting.Compute([ReturnMoments.Of(x, 2), ReturnMoments.Of(y, 2), ReturnMoments.Of(x, 2)]);
        Assert.NotNull(result);
        Assert.Equal(1, result.Probability);
        Assert.Equal(2, result.Combinations);
        Logits([Math.Log(0.6), 0], result);
        Assert.Equal(0.4375, result.MedianOutOfSampleRank);
    }

    [Fact]
    public void A_trial_that_is_best_everywhere_gives_0()
    {
        // A = 10, 11, 12, 13: every pair has k ≥ 23/3 (the smallest, {10, 13}). B = 1, −1, 2, −2 and C = −3, 2, 1, −1
        // have k ≤ 3 on every pair. So A wins in sample and is best out of sample in all 6: rank 3, ω = 3/4, λ = ln 3.
        var result = BacktestOverfitting.Compute(OnePerBlock([10, 11, 12, 13], [1, -1, 2, -2], [-3, 2, 1, -1]));
        Assert.NotNull(result);
        Assert.Equal(0, result.Probability);
        Logits(Enumerable.Repeat(Math.Log(3), 6).ToArray(), result);
        Assert.Equal(0.75, result.MedianOutOfSampleRank);
    }

    [Fact]
    public void A_winner_that_always_loses_out_of_sample_gives_1()
    {
        // A = 1, 2, 4, −7 sums to 0, so over the blocks out of sample it sums to minus its in-sample sum, which is never 0
        // (pairs: 3, 5, −6, 6, −5, −3). −A is its mirror and Z = 0, 0, 0, 0 has Sharpe 0. In sample the winner is whichever
        // of A and −A sums above 0 (A, A, −A, A, −A, −A); out of sample it sums below 0, under Z's 0 and the other's
        // positive Sharpe: rank 1, ω = 1/4, λ = ln(1/3), every time.
        var result = BacktestOverfitting.Compute(OnePerBlock([1, 2, 4, -7], [-1, -2, -4, 7], [0, 0, 0, 0]));
        Assert.NotNull(result);
        Assert.Equal(1, result.Probability);
        Logits(Enumerable.Repeat(Math.Log(1.0 / 3), 6).ToArray(), result);
        Assert.Equal(0.25, result.MedianOutOfSampleRank);
    }

    [Fact]
    public void A_real_edge_among_noise_is_never_overfit()
    {
        // Trial 0 earns 1% a bar at 1% volatility (per-bar Sharpe 1); 20 others are noise with Sharpe 0. Over 400 returns
        // a noise trial's Sharpe has a standard error of 0.05, so trial 0 wins and ranks first out of sample every time.
        var rng = new Random(11);
        var trials = Enumerable.Range(0, 21)
            .Select(i => ReturnMoments.Of(ReturnMomentsTests.Noise(rng, 800, mean: i == 0 ? 0.01 : 0), 8)).ToArray();
        var result = BacktestOverfitting.Compute(trials);
        Assert.NotNull(result);
        Assert.Equal(0, result.Probability);
        Assert.Equal(70, result.Combinations);
        Assert.All(result.Logits, l => Assert.Equal(Math.Log(21), l, 12));
        Assert.Equal(21.0 / 22, result.MedianOutOfSampleRank);
    }

    [Fact]
    public void Noise_is_overfit_about_half_the_time()
    {
        // 200 trials with the same distribution and no edge: the in-sample winner is anywhere out of sample.
        var rng = new Random(2024);
        var trials = Enumerable.Range(0, 200).Select(_ => ReturnMoments.Of(ReturnMomentsTests.Noise(rng, 1600), 16)).ToArray();
        var result = BacktestOverfitting.Compute(trials);
        Assert.NotNull(result);
        Assert.Equal(12_870, result.Combinations);
        output.WriteLine($"PBO {result.Probability}, median ω {result.MedianOutOfSampleRank}");
        Assert.InRange(result.Probability, 0.3, 0.7);
        Assert.InRange(result.MedianOutOfSampleRank, 0.3, 0.7);
    }

    [Theory]
    [InlineData(1, 2, 5)]
    [InlineData(2, 6, 9)]
    [InlineData(3, 8, 12)]
    [InlineData(4, 10, 4)]
    public void Matches_a_plain_implementation_of_the_definition(int seed, int blocks, int trialCount)
    {
        var rng = new Random(seed);
        // An uneven number of returns, so the blocks differ in size; and a repeated trial, so that ties happen.
        var length = blocks * 13 + 5;
        var series = Enumerable.Range(0, trialCount)
            .Select(i => ReturnMomentsTests.Noise(rng, length, mean: 0.0002 * i)).ToArray();
        series[^1] = series[0];
        var result = BacktestOverfitting.Compute(series.Select(s => ReturnMoments.Of(s, blocks)).ToArray());
        Assert.NotNull(result);

        var (probability, logits, median) = Plain(series, blocks);
        Assert.Equal(probability, result.Probability);
        Assert.Equal(logits.Count, result.Combinations);
        for (var c = 0; c < logits.Count; c++) Assert.Equal(logits[c], result.Logits[c], 12);
        Assert.Equal(median, result.MedianOutOfSampleRank, 15);
    }

    [Fact]
    public void Ranks_trials_by_the_very_numbers_SharpeOf_gives()
    {
        // The vectorized union sums and ratios are ReturnMoments.SharpeOf operation for operation, so an argmax and a
        // rank count over SharpeOf give the same logits to the bit. 7 trials: not a multiple of the vector width.
        var rng = new Random(9);
        var trials = Enumerable.Range(0, 7).Select(i => ReturnMoments.Of(ReturnMomentsTests.Noise(rng, 250, mean: 0.001 * i), 6)).ToArray();
        var result = BacktestOverfitting.Compute(trials);
        Assert.NotNull(result);
        var c = 0;
        foreach (var combination in Combinations(6, 3, 0))
        {
            var complement = Enumerable.Range(0, 6).Except(combination).ToArray();
            var inSample = trials.Select(t => t.SharpeOf(combination)).ToArray();
            var outOfSample = trials.Select(t => t.SharpeOf(complement)).ToArray();
            var best = Array.IndexOf(inSample, inSample.Max());
            var rank = outOfSample.Count(x => x < outOfSample[best]) + (outOfSample.Count(x => x == outOfSample[best]) + 1) / 2.0;
            Assert.Equal(Math.Log(rank / (8 - rank)), result.Logits[c++]);
        }
        Assert.Equal(20, c);
    }

    // CSCV as the definition reads, for reference: each combination's returns put together, Sharpe ratios by two passes,
    // ranks by sorting.
    private static (double Probability, List<double> Logits, double Median) Plain(double[][] series, int blocks)
    {
        var n = series.Length;
        var length = series[0].Length;
        var bounds = Enumerable.Range(0, blocks + 1).Select(b => b * (length / blocks) + Math.Min(b, length % blocks)).ToArray();
        var logits = new List<double>();
        var omegas = new List<double>();
        foreach (var combination in Combinations(blocks, blocks / 2, 0))
        {
            var complement = Enumerable.Range(0, blocks).Except(combination).ToArray();
            double[] Sharpes(IEnumerable<int> chosen) => series
                .Select(s => ReturnMomentsTests.ReferenceSharpe(chosen.SelectMany(b => s[bounds[b]..bounds[b + 1]]).ToList()))
                .ToArray();
            var inSample = Sharpes(combination);
            var outOfSample = Sharpes(complement);
            var best = Array.IndexOf(inSample, inSample.Max());
            var sorted = outOfSample.Order().ToList();
            var first = sorted.IndexOf(outOfSample[best]) + 1;
            var last = sorted.LastIndexOf(outOfSample[best]) + 1;
            var omega = (first + last) / 2.0 / (n + 1);
            omegas.Add(omega);
            logits.Add(Math.Log(omega / (1 - omega)));
        }
        var ordered = omegas.Order().ToList();
        var median = (ordered[(ordered.Count - 1) / 2] + ordered[ordered.Count / 2]) / 2;
        return ((double)logits.Count(l => l <= 1e-12) / logits.Count, logits, median);
    }

    private static IEnumerable<int[]> Combinations(int count, int size, int from)
    {
        if (size == 0)
        {
            yield return [];
            yield break;
        }
        for (var first = from; first <= count - size; first++)
            foreach (var rest in Combinations(count, size - 1, first + 1))
                yield return [first, .. rest];
    }

    [Fact]
    public void Sixteen_blocks_and_5000_trials_take_a_few_seconds()
    {
        var rng = new Random(5);
        var trials = Enumerable.Range(0, 5000).Select(_ => ReturnMoments.Of(ReturnMomentsTests.Noise(rng, 320), 16)).ToArray();
        var clock = Stopwatch.StartNew();
        var result = BacktestOverfitting.Compute(trials);
        clock.Stop();
        output.WriteLine($"S = 16, N = 5000: {clock.Elapsed.TotalSeconds:F2} s, PBO {result!.Probability}");
        Assert.Equal(12_870, result.Logits.Count);
        // Far above the expected 1–2 s, so a loaded machine does not fail it, but it catches a loop gone quadratic in N.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{clock.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void Undefined_cases_give_null()
    {
        var rng = new Random(1);
        ReturnMoments Trial(int blocks) => ReturnMoments.Of(ReturnMomentsTests.Noise(rng, 60), blocks);
        Assert.Null(BacktestOverfitting.Compute([Trial(3), Trial(3)])); // odd S
        Assert.Null(BacktestOverfitting.Compute([Trial(1), Trial(1)]));
        Assert.Null(BacktestOverfitting.Compute([Trial(4)])); // one trial
        Assert.Null(BacktestOverfitting.Compute([]));
        Assert.Null(BacktestOverfitting.Compute([Trial(4), Trial(6)])); // different S
        Assert.Throws<ArgumentNullException>(() => BacktestOverfitting.Compute(null!));
        Assert.Throws<ArgumentException>(() => BacktestOverfitting.Compute([Trial(4), null!]));
        Assert.Throws<ArgumentException>(() => BacktestOverfitting.Compute([Trial(34), Trial(34)]));
    }
}
