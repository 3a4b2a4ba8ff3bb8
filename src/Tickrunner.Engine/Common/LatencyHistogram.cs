using System.Diagnostics;

namespace Tickrunner.Engine.Common;

/// <summary>
/// Latencies in logarithmic buckets (8 per power of two, so about 9 % wide): fixed memory, no allocation per
/// sample, percentiles within a bucket's width. Written by one thread; read by any (counts are read racily,
/// which is fine for a report).
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBuckets = 8;
    private const int Powers = 40; // 2^40 ns ≈ 18 minutes
    private readonly long[] _counts = new long[Powers * SubBuckets];
    private long _total;

    /// <summary>Samples recorded.</summary>
    public long Count => Volatile.Read(ref _total);

    /// <summary>How many buckets there are; with <see cref="CountIn"/>, an exporter reads every bucket without allocating.</summary>
    public int Buckets => _counts.Length;

    /// <summary>Samples recorded in <paramref name="bucket"/> so far (read racily, like the rest; never decreasing but for <see cref="Reset"/>).</summary>
    public long CountIn(int bucket) => Volatile.Read(ref _counts[bucket]);

    /// <summary>The latencies <paramref name="bucket"/> holds, in nanoseconds: from <c>Lower</c> (inclusive) to <c>Upper</c> (exclusive).</summary>
    public static (long Lower, long Upper) BucketRange(int bucket) => (LowerEdge(bucket), UpperEdge(bucket));

    /// <summary>Records one latency given in <see cref="Stopwatch"/> ticks.</summary>
    public void RecordTicks(long ticks) => RecordNanoseconds(ticks <= 0 ? 0 : (long)(ticks * (1e9 / Stopwatch.Frequency)));

    /// <summary>Records one latency in nanoseconds.</summary>
    public void RecordNanoseconds(long nanoseconds)
    {
        _counts[Bucket(Math.Max(1, nanoseconds))]++;
        Volatile.Write(ref _total, _total + 1);
    }

    /// <summary>The latency (ns, upper edge of its bucket) below which a share <paramref name="p"/> of the samples fall; 0 when empty.</summary>
    public long Percentile(double p)
    {
        var total = Count;
        if (total == 0) return 0;
        var rank = (long)Math.Ceiling(Math.Clamp(p, 0, 1) * total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= Math.Max(1, rank)) return UpperEdge(i);
        }
        return UpperEdge(_counts.Length - 1);
    }

    /// <summary>Forgets every sample.</summary>
    public void Reset()
    {
        Array.Clear(_counts);
        Volatile.Write(ref _total, 0);
    }

    private static int Bucket(long ns)
    {
        var power = 63 - (int)long.LeadingZeroCount(ns); // floor(log2)
        if (power >= Powers) return Powers * SubBuckets - 1;
        // Below 8 ns the sub-bucket is the value itself; above, the 3 bits after the leading one.
        var sub = power >= 3 ? (int)((ns >> (power - 3)) & (SubBuckets - 1)) : (int)ns & (SubBuckets - 1);
        return power * SubBuckets + sub;
    }

    private static long LowerEdge(int bucket)
    {
        var power = bucket / SubBuckets;
        var sub = bucket % SubBuckets;
        if (power < 3) return sub;
        return (1L << power) + sub * (1L << (power - 3));
    }

    private static long UpperEdge(int bucket)
    {
        var power = bucket / SubBuckets;
        var sub = bucket % SubBuckets;
        if (power < 3) return sub + 1;
        var step = 1L << (power - 3);
        return (1L << power) + (sub + 1) * step;
    }
}
