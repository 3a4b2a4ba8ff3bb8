namespace Tickrunner.Server.Candles;

/// <summary>One OHLCV candle; <see cref="Time"/> is the start of its bucket in Unix milliseconds (UTC).</summary>
/// <remarks>A 48-byte value type: a symbol's ring of one-second candles is one array, with no object per candle.</remarks>
public readonly record struct Candle(long Time, double Open, double High, double Low, double Close, double Volume);

/// <summary>The candle intervals <c>GET /api/symbols/{symbol}/candles</c> aggregates to.</summary>
public static class CandleIntervals
{
    /// <summary>The names, shortest first, with their length in milliseconds.</summary>
    public static IReadOnlyList<(string Name, long Ms)> All { get; } =
    [
        ("1s", 1_000), ("1m", 60_000), ("5m", 300_000), ("15m", 900_000), ("1h", 3_600_000), ("4h", 14_400_000), ("1d", 86_400_000),
    ];

    /// <summary>The length of <paramref name="name"/> in milliseconds, or null when it is not one of <see cref="All"/>.</summary>
    public static long? Parse(string? name)
    {
        foreach (var (n, ms) in All)
            if (string.Equals(n, name, StringComparison.Ordinal)) return ms;
        return null;
    }
}

/// <summary>Folds one-second candles into longer ones, aligned to UTC (a bucket starts at a multiple of its length since the Unix epoch).</summary>
public static class CandleAggregator
{
    /// <summary>
    /// The candles of <paramref name="intervalMs"/> made from <paramref name="seconds"/> (sorted by time, no duplicates) whose
    /// time is in [<paramref name="from"/>, <paramref name="to"/>): the newest <paramref name="limit"/> buckets, oldest first.
    /// A bucket cut by either edge, or not yet complete, holds only the candles it has: open of the first, highest high,
    /// lowest low, close of the last, volumes summed.
    /// </summary>
    public static List<Candle> Aggregate(ReadOnlySpan<Candle> seconds, long intervalMs, long from, long to, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(intervalMs, 1);
        var result = new List<Candle>(Math.Min(Math.Max(limit, 0), 1024));
        if (limit <= 0 || from >= to) return result;
        // Backwards from the newest candle before `to`: `limit` counts back from there, so the start is never scanned needlessly.
        var i = LowerBound(seconds, to) - 1;
        while (i >= 0 && seconds[i].Time >= from && result.Count < limit)
        {
            var last = seconds[i];
            var bucket = last.Time - Mod(last.Time, intervalMs);
            double open = last.Open, high = last.High, low = last.Low, volume = last.Volume;
            for (i--; i >= 0 && seconds[i].Time >= bucket && seconds[i].Time >= from; i--)
            {
                var c = seconds[i];
                open = c.Open;
                if (c.High > high) high = c.High;
                if (c.Low < low) low = c.Low;
                volume += c.Volume;
            }
            result.Add(new Candle(bucket, open, high, low, last.Close, volume));
        }
        result.Reverse();
        return result;
    }

    /// <summary>The index of the first candle whose time is ≥ <paramref name="time"/> (the length when none is).</summary>
    public static int LowerBound(ReadOnlySpan<Candle> candles, long time)
    {
        int lo = 0, hi = candles.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (candles[mid].Time < time) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    // Floor modulo: a time before the epoch still starts its bucket at or before itself.
    private static long Mod(long time, long interval) => ((time % interval) + interval) % interval;
}
