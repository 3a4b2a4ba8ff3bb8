namespace Tickrunner.Engine.Optimization;

/// <summary>One trial's per-bar returns summed per contiguous block (count, sum, sum of squares), so the Sharpe ratio of any union of blocks needs no series; plus its skewness and kurtosis.</summary>
public sealed class ReturnMoments
{
    // A variance below this share of the mean square is rounding noise, not dispersion: it is what a constant non-zero
    // series leaves in Σr² − (Σr)²/n. Counting it as zero costs nothing real: it means |mean| / std above about 30,000.
    internal const double NoiseVariance = 1e-9;

    private readonly int[] _counts;
    private readonly double[] _sums;
    private readonly double[] _squares;

    private ReturnMoments(int[] counts, double[] sums, double[] squares, int observations, double sharpe, double skewness,
        double kurtosis)
    {
        _counts = counts;
        _sums = sums;
        _squares = squares;
        Observations = observations;
        Sharpe = sharpe;
        Skewness = skewness;
        Kurtosis = kurtosis;
    }

    /// <summary>
    /// The moments of <paramref name="returns"/> split into <paramref name="blocks"/> contiguous blocks of equal size, the
    /// first <c>T % blocks</c> of them one observation longer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blocks"/> is below 1.</exception>
    /// <exception cref="ArgumentException">Fewer returns than blocks, or a return that is not a finite number.</exception>
    public static ReturnMoments Of(ReadOnlySpan<double> returns, int blocks)
    {
        if (blocks < 1)
            throw new ArgumentOutOfRangeException(nameof(blocks), blocks, "blocks must be at least 1.");
        var t = returns.Length;
        if (t < blocks)
            throw new ArgumentException($"{t} returns cannot be split into {blocks} blocks.", nameof(returns));

        var counts = new int[blocks];
        var sums = new double[blocks];
        var squares = new double[blocks];
        var start = 0;
        for (var b = 0; b < blocks; b++)
        {
            var length = t / blocks + (b < t % blocks ? 1 : 0);
            double sum = 0, sumOfSquares = 0;
            foreach (var r in returns.Slice(start, length))
            {
                if (!double.IsFinite(r))
                    throw new ArgumentException($"Return {r} is not a finite number.", nameof(returns));
                sum += r;
                sumOfSquares += r * r;
            }
            (counts[b], sums[b], squares[b]) = (length, sum, sumOfSquares);
            start += length;
        }

        // Summed in block order, as SharpeOf sums a union, so Sharpe is SharpeOf(all blocks) to the bit.
        double n = 0, total = 0, totalSquares = 0;
        for (var b = 0; b < blocks; b++)
        {
            n += counts[b];
            total += sums[b];
            totalSquares += squares[b];
        }
        // The Sharpe ratio's zero-dispersion test decides for all three, so a series has all of them or none.
        if (IsFlat(n, total, totalSquares)) return new ReturnMoments(counts, sums, squares, t, 0, 0, 3);

        // Skewness and kurtosis from central moments (a second pass around the mean): raw power sums of returns this
        // small lose most of their digits to cancellation in the third and fourth powers.
        var mean = 0.0;
        foreach (var r in returns) mean += r;
        mean /= t;
        double m2 = 0, m3 = 0, m4 = 0;
        foreach (var r in returns)
        {
            var d = r - mean;
            var d2 = d * d;
            m2 += d2;
            m3 += d2 * d;
            m4 += d2 * d2;
        }
        (m2, m3, m4) = (m2 / t, m3 / t, m4 / t);
        return new ReturnMoments(counts, sums, squares, t, SharpeFromSums(n, total, totalSquares),
            m3 / (m2 * Math.Sqrt(m2)), m4 / (m2 * m2));
    }

    /// <summary>Number of blocks S the series was split into.</summary>
    public int Blocks => _counts.Length;

    /// <summary>Returns per block, for carrying the moments to another process (see <see cref="FromBlocks"/>).</summary>
    public ReadOnlySpan<int> BlockCounts => _counts;

    /// <summary>Sum of the returns per block.</summary>
    public ReadOnlySpan<double> BlockSums => _sums;

    /// <summary>Sum of the squared returns per block.</summary>
    public ReadOnlySpan<double> BlockSquares => _squares;

    /// <summary>
    /// The moments another process computed with <see cref="Of"/>, from its <see cref="BlockCounts"/>, <see cref="BlockSums"/>,
    /// <see cref="BlockSquares"/>, <see cref="Observations"/>, <see cref="Sharpe"/>, <see cref="Skewness"/> and <see cref="Kurtosis"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The block arrays are empty, differ in length, or their counts do not add up to the observations.</exception>
    public static ReturnMoments FromBlocks(int[] counts, double[] sums, double[] squares, int observations, double sharpe, double skewness, double kurtosis)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(sums);
        ArgumentNullException.ThrowIfNull(squares);
        if (counts.Length == 0 || sums.Length != counts.Length || squares.Length != counts.Length)
            throw new ArgumentException($"Blocks need one count, sum and sum of squares each: got {counts.Length}, {sums.Length} and {squares.Length}.", nameof(counts));
        if (counts.Sum() != observations)
            throw new ArgumentException($"The block counts add up to {counts.Sum()}, not the {observations} observations.", nameof(counts));
        return new ReturnMoments([.. counts], [.. sums], [.. squares], observations, sharpe, skewness, kurtosis);
    }

    /// <summary>Number of returns T.</summary>
    public int Observations { get; }

    /// <summary>
    /// Per-bar (not annualized) mean / sample standard deviation (n − 1) of the whole series, from the block sums: the same
    /// number <see cref="SharpeOf"/> gives for all blocks. 0 when the standard deviation is 0 (or only rounding noise:
    /// below 1/30,000 of the mean's size) or T is 1.
    /// </summary>
    public double Sharpe { get; }

    /// <summary>Sample skewness as the biased moment ratio m₃ / m₂^1.5 (central moments divided by T); 0 when the standard deviation is 0.</summary>
    public double Skewness { get; }

    /// <summary>Kurtosis m₄ / m₂² (not excess: 3 for a normal distribution; central moments divided by T); 3 when the standard deviation is 0.</summary>
    public double Kurtosis { get; }

    /// <summary>
    /// Per-bar Sharpe ratio of the union of the given blocks (each counted once however often it is listed), from their
    /// counts, sums and sums of squares; 0 when the standard deviation is 0 (or rounding noise, as for <see cref="Sharpe"/>)
    /// or the union holds fewer than two returns.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A block index outside 0 … <see cref="Blocks"/> − 1.</exception>
    public double SharpeOf(ReadOnlySpan<int> blockIndexes)
    {
        var blocks = _counts.Length;
        Span<bool> chosen = blocks <= 512 ? stackalloc bool[blocks] : new bool[blocks];
        foreach (var b in blockIndexes)
        {
            if ((uint)b >= (uint)blocks)
                throw new ArgumentOutOfRangeException(nameof(blockIndexes), b, $"Block indexes go from 0 to {blocks - 1}.");
            chosen[b] = true;
        }
        // Summed in block order whatever order they came in, so a union always gives the same bits (and the same bits as
        // BacktestOverfitting, which sums and divides the same way).
        double n = 0, sum = 0, squares = 0;
        for (var b = 0; b < blocks; b++)
        {
            if (!chosen[b]) continue;
            n += _counts[b];
            sum += _sums[b];
            squares += _squares[b];
        }
        return SharpeFromSums(n, sum, squares);
    }

    internal int BlockCount(int block) => _counts[block];

    internal double BlockSum(int block) => _sums[block];

    internal double BlockSumOfSquares(int block) => _squares[block];

    /// <summary>
    /// mean / std(n − 1) of n returns with sum s and sum of squares q, as s · √((n − 1) / (n (n q − s²))): one division and
    /// one square root, as the overfitting statistic needs this millions of times. From raw sums, n q − s² loses about
    /// log₁₀(1 + SR²) digits to cancellation: nothing for returns, whose mean is small next to their spread.
    /// </summary>
    internal static double SharpeFromSums(double n, double s, double q)
    {
        var spread = n * q - s * s; // n² × the biased variance
        if (n < 2 || spread <= NoiseVariance * n * q) return 0;
        return s * Math.Sqrt((n - 1) / (n * spread));
    }

    // SharpeFromSums' zero test: fewer than two returns, or a spread that is rounding noise (≤ 0 included: all zeros, or
    // rounding below zero).
    private static bool IsFlat(double n, double s, double q) => n < 2 || n * q - s * s <= NoiseVariance * n * q;
}
