using System.Globalization;

namespace Tickrunner.Engine.Datasets;

/// <summary>Binance's kline interval names (1s … 1M), their lengths, inference from timestamps and gap counting.</summary>
public static class KlineIntervals
{
    /// <summary>The interval names, shortest first, spelled as Binance spells them (1m is a minute, 1M a month).</summary>
    public static IReadOnlyList<string> All { get; } =
        ["1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"];

    private const long Day = 86_400_000;

    /// <summary>True for one of <see cref="All"/> (case-sensitive: 1m and 1M differ).</summary>
    public static bool IsValid(string? interval) => interval is not null && All.Contains(interval, StringComparer.Ordinal);

    /// <summary>Length in milliseconds; a month counts as 30 days here, gap counting uses calendar months.</summary>
    public static long ToMilliseconds(string interval)
    {
        if (!IsValid(interval))
            throw new ArgumentException($"Interval '{interval}' is not one of {string.Join(", ", All)}.", nameof(interval));
        if (interval == "1M") return 30 * Day;
        var n = long.Parse(interval.AsSpan(0, interval.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture);
        return n * interval[^1] switch
        {
            's' => 1_000L,
            'm' => 60_000L,
            'h' => 3_600_000L,
            'd' => Day,
            _ => 7 * Day, // 'w'
        };
    }

    /// <summary>The interval whose length is <paramref name="stepMs"/>; 28 to 31 days is a month. Null when none is.</summary>
    public static string? FromMilliseconds(long stepMs)
    {
        if (stepMs is >= 28 * Day and <= 31 * Day) return "1M";
        foreach (var name in All)
            if (name != "1M" && ToMilliseconds(name) == stepMs) return name;
        return null;
    }

    /// <summary>The most common positive step between consecutive timestamps (the smaller on a tie); null for fewer than two.</summary>
    public static long? MostCommonStep(ReadOnlySpan<long> timestamps)
    {
        if (timestamps.Length < 2) return null;
        // Almost every step of a bar file is the same one, so count runs first: the dictionary sees each distinct run once.
        var counts = new Dictionary<long, long>();
        var run = timestamps[1] - timestamps[0];
        long runLength = 0;
        for (var i = 1; i < timestamps.Length; i++)
        {
            var step = timestamps[i] - timestamps[i - 1];
            if (step == run) { runLength++; continue; }
            Add(counts, run, runLength);
            run = step;
            runLength = 1;
        }
        Add(counts, run, runLength);
        long? best = null;
        long bestCount = 0;
        foreach (var (step, count) in counts)
        {
            if (count > bestCount || (count == bestCount && step < best))
            {
                best = step;
                bestCount = count;
            }
        }
        return best;

        static void Add(Dictionary<long, long> counts, long step, long n)
        {
            if (step <= 0 || n == 0) return;
            counts[step] = counts.GetValueOrDefault(step) + n;
        }
    }

    /// <summary>
    /// Bars missing between two consecutive bar times: 0 when <paramref name="next"/> is at most one interval after
    /// <paramref name="previous"/>; for 1M, whole calendar months.
    /// </summary>
    public static long MissingBetween(long previous, long next, string interval) =>
        MissingBetween(previous, next, interval, ToMilliseconds(interval));

    internal static long MissingBetween(long previous, long next, string interval, long intervalMs)
    {
        var step = next - previous;
        if (step <= intervalMs && interval != "1M") return 0;
        if (interval == "1M")
        {
            var from = DateTimeOffset.FromUnixTimeMilliseconds(previous);
            if (next <= from.AddMonths(1).ToUnixTimeMilliseconds()) return 0;
            var to = DateTimeOffset.FromUnixTimeMilliseconds(next);
            return Math.Max(1, (to.Year - from.Year) * 12L + to.Month - from.Month - 1);
        }
        // A step that is not a whole number of intervals still leaves every started slot in between empty.
        return (step - 1) / intervalMs;
    }
}
