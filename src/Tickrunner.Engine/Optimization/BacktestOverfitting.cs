using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tickrunner.Engine.Optimization;

/// <summary>A probability of backtest overfitting, with each combination's logit λ and the median out-of-sample relative rank ω.</summary>
public sealed record OverfittingResult(double Probability, int Combinations, int Blocks, int Trials, IReadOnlyList<double> Logits,
    double MedianOutOfSampleRank);

// Bailey, Borwein, López de Prado and Zhu, "The Probability of Backtest Overfitting" (working paper 2015; Journal of
// Computational Finance 20(4), 2017).
/// <summary>The probability of backtest overfitting by combinatorially symmetric cross-validation (CSCV), the Sharpe ratio as the measure.</summary>
public static class BacktestOverfitting
{
    // C(32, 16) = 601,080,390 still fits an int; more blocks than that would not finish anyway.
    private const int MaxBlocks = 32;

    /// <summary>
    /// CSCV over <paramref name="trials"/> (one per parameter set, all over the same bars and split into the same even
    /// number S ≥ 2 of blocks; at least two trials). For every combination J of S/2 blocks, in lexicographic order: the
    /// trial with the best Sharpe ratio over J (the lowest index on a tie), its rank among all trials' Sharpe ratios over
    /// the other blocks (ascending, 1 the worst, ties the average rank), ω = rank / (N + 1) and λ = ln(ω / (1 − ω)).
    /// The probability is the share of λ ≤ 0. Null when S is odd or below 2, the trials differ in S, or there are fewer
    /// than two.
    /// </summary>
    /// <exception cref="ArgumentException">A null trial, or more than 32 blocks.</exception>
    public static OverfittingResult? Compute(IReadOnlyList<ReturnMoments> trials)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var n = trials.Count;
        if (n < 2) return null;
        for (var i = 0; i < n; i++)
            if (trials[i] is null) throw new ArgumentException($"Trial {i} is null.", nameof(trials));
        var s = trials[0].Blocks;
        if (s < 2 || s % 2 != 0) return null;
        for (var i = 1; i < n; i++)
            if (trials[i].Blocks != s) return null;
        if (s > MaxBlocks)
            throw new ArgumentException($"{s} blocks give too many combinations; at most {MaxBlocks}.", nameof(trials));

        var half = s / 2;
        var combinations = (int)Choose(s, half);

        // Trials go in groups of W = Vector<double>.Count, the last group padded with empty trials (count 0, so Sharpe 0,
        // and never looked at). Group g's block b is three vectors at (g·S + b)·3: the W trials' counts, sums and sums of
        // squares. So one group's blocks are adjacent, and the W trials' union sums and Sharpe ratios are computed at once.
        var width = Vector<double>.Count;
        var groups = (n + width - 1) / width;
        var data = new Vector<double>[groups * s * 3];
        Span<double> lanes = stackalloc double[width];
        for (var g = 0; g < groups; g++)
            for (var b = 0; b < s; b++)
                for (var k = 0; k < 3; k++)
                {
                    for (var lane = 0; lane < width; lane++)
                    {
                        var t = g * width + lane;
                        lanes[lane] = t >= n ? 0 : k switch
                        {
                            0 => trials[t].BlockCount(b),
                            1 => trials[t].BlockSum(b),
                            _ => trials[t].BlockSumOfSquares(b),
                        };
                    }
                    data[(g * s + b) * 3 + k] = new Vector<double>(lanes);
                }

        var inSample = new int[half];
        var outOfSample = new int[half];
        for (var k = 0; k < half; k++) inSample[k] = k;
        var inSampleSharpes = new Vector<double>[groups];
        var outOfSampleSharpes = new Vector<double>[groups];
        var logits = new double[combinations];
        var ranks = new double[combinations];
        var overfit = 0;
        for (var c = 0; c < combinations; c++)
        {
            Complement(inSample, outOfSample, s);
            for (var g = 0; g < groups; g++)
            {
                var row = g * s * 3;
                inSampleSharpes[g] = UnionSharpe(data, row, inSample);
                outOfSampleSharpes[g] = UnionSharpe(data, row, outOfSample);
            }
            ReadOnlySpan<double> isSharpes = MemoryMarshal.Cast<Vector<double>, double>(inSampleSharpes.AsSpan())[..n];
            ReadOnlySpan<double> oosSharpes = MemoryMarshal.Cast<Vector<double>, double>(outOfSampleSharpes.AsSpan())[..n];

            // The in-sample winner, the lowest index on a tie.
            var best = 0;
            for (var t = 1; t < n; t++)
                if (isSharpes[t] > isSharpes[best]) best = t;

            // Its rank out of sample, ties sharing the average of the ranks they span.
            var target = oosSharpes[best];
            int below = 0, equal = 0;
            foreach (var sharpe in oosSharpes)
            {
                below += sharpe < target ? 1 : 0;
                equal += sharpe == target ? 1 : 0;
            }
            var rank = below + (equal + 1) / 2.0;
            // rank / (N + 1 − rank) rather than ω / (1 − ω): exactly 1 at the median rank, so that λ is exactly 0 there.
            logits[c] = Math.Log(rank / (n + 1 - rank));
            ranks[c] = rank / (n + 1);
            if (2 * rank <= n + 1) overfit++;
            NextCombination(inSample, s);
        }

        Array.Sort(ranks);
        var median = combinations % 2 == 1
            ? ranks[combinations / 2]
            : (ranks[combinations / 2 - 1] + ranks[combinations / 2]) / 2;
        return new OverfittingResult((double)overfit / combinations, combinations, s, n, Array.AsReadOnly(logits), median);
    }

    // The Sharpe ratios of the union of the listed blocks for the W trials of the group whose blocks start at row: the
    // blocks summed in ascending order and the ratio computed as ReturnMoments.SharpeFromSums does, operation for
    // operation, so each lane has the bits ReturnMoments.SharpeOf gives for that trial.
    private static Vector<double> UnionSharpe(Vector<double>[] data, int row, int[] blocks)
    {
        Vector<double> count = default, sum = default, squares = default;
        // Without bounds checks, which cost a third of the time here: every block index is below S, so row + b·3 + 2
        // stays inside the group.
        ref var first = ref data[row];
        foreach (var b in blocks)
        {
            ref var at = ref Unsafe.Add(ref first, b * 3);
            count += at;
            sum += Unsafe.Add(ref at, 1);
            squares += Unsafe.Add(ref at, 2);
        }
        var spread = count * squares - sum * sum;
        var defined = Vector.GreaterThanOrEqual(count, new Vector<double>(2))
                      & Vector.GreaterThan(spread, ReturnMoments.NoiseVariance * count * squares);
        var sharpe = sum * Vector.SquareRoot((count - Vector<double>.One) / (count * spread));
        return Vector.ConditionalSelect(defined, sharpe, Vector<double>.Zero);
    }

    // The blocks not in the (ascending) combination, ascending.
    private static void Complement(int[] combination, int[] complement, int blocks)
    {
        int k = 0, j = 0;
        for (var b = 0; b < blocks; b++)
        {
            if (k < combination.Length && combination[k] == b) k++;
            else complement[j++] = b;
        }
    }

    // The next combination in lexicographic order: raise the rightmost index that can still rise, and put the ones after
    // it right behind it. (After the last combination it leaves the array as it was; the caller stops before that.)
    private static void NextCombination(int[] combination, int blocks)
    {
        var size = combination.Length;
        var i = size - 1;
        while (i >= 0 && combination[i] == blocks - size + i) i--;
        if (i < 0) return;
        combination[i]++;
        for (var j = i + 1; j < size; j++) combination[j] = combination[j - 1] + 1;
    }

    private static long Choose(int n, int k)
    {
        long result = 1;
        // Exact at every step: result · (n − k + i) is divisible by i.
        for (var i = 1; i <= k; i++) result = result * (n - k + i) / i;
        return result;
    }
}
