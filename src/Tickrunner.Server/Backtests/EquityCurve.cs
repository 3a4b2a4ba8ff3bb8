using System.Runtime.InteropServices;

namespace Tickrunner.Server.Backtests;

/// <summary>Equity curves as stored, and thinned for display (docs/backtesting.md §6 allows it only for display; metrics use the full curve).</summary>
public static class EquityCurve
{
    /// <summary>A stored curve (<see cref="ToBytes"/>), every point or thinned to <paramref name="points"/> (<see cref="Downsample"/>).</summary>
    public static (long[] Times, double[] Equity) Thin(ReadOnlySpan<byte> timeBytes, ReadOnlySpan<byte> valueBytes, int? points)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Equity curves are stored little-endian.");
        var times = MemoryMarshal.Cast<byte, long>(timeBytes);
        var values = MemoryMarshal.Cast<byte, double>(valueBytes);
        if (points is not { } p || p >= values.Length) return (times.ToArray(), values.ToArray());
        var picked = Downsample(values, p);
        var t = new long[picked.Length];
        var e = new double[picked.Length];
        for (var i = 0; i < picked.Length; i++)
        {
            t[i] = times[picked[i]];
            e[i] = values[picked[i]];
        }
        return (t, e);
    }

    /// <summary>An equity curve's two arrays as stored: little-endian int64 times and float64 equity.</summary>
    public static (byte[] Times, byte[] Values) ToBytes(IReadOnlyList<long> times, IReadOnlyList<double> equity)
    {
        var t = times as long[] ?? [.. times];
        var e = equity as double[] ?? [.. equity];
        return (MemoryMarshal.AsBytes(t.AsSpan()).ToArray(),
            MemoryMarshal.AsBytes(e.AsSpan()).ToArray());
    }

    /// <summary>
    /// The indices of at most <paramref name="points"/> of <paramref name="values"/>, in time order: all of them when there are
    /// no more than that; otherwise exactly <paramref name="points"/>: the first and the last point, and for each bucket of the
    /// points between, its minimum and its maximum (so a drawdown or a spike stays visible), the last bucket giving only its last
    /// point when the count is odd.
    /// </summary>
    public static int[] Downsample(ReadOnlySpan<double> values, int points)
    {
        var n = values.Length;
        if (points >= n) return Enumerable.Range(0, n).ToArray();
        if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), points, "points must be at least 2.");
        var picked = new int[points];
        var count = 0;
        picked[count++] = 0;
        var interior = n - 2;   // indices 1 .. n - 2
        var slots = points - 2; // ≤ interior - 1, so every bucket below holds at least two points
        var buckets = (slots + 1) / 2;
        for (var b = 0; b < buckets; b++)
        {
            var start = 1 + (int)((long)b * interior / buckets);
            var end = 1 + (int)((long)(b + 1) * interior / buckets); // exclusive
            if (b == buckets - 1 && slots % 2 == 1)
            {
                picked[count++] = end - 1;
                continue;
            }
            int min = start, max = start;
            for (var i = start; i < end; i++)
            {
                if (values[i] < values[min]) min = i;
                if (values[i] >= values[max]) max = i; // the last of equal maxima, so a flat bucket gives two distinct points
            }
            if (min == max) max = min == end - 1 ? start : end - 1;
            picked[count++] = Math.Min(min, max);
            picked[count++] = Math.Max(min, max);
        }
        picked[count++] = n - 1;
        return picked;
    }
}
