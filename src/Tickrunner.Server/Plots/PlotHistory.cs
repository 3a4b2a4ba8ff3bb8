using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Server.Plots;

/// <summary>The history of what strategies plotted (<c>Tickrunner:Plots</c>): how much is kept per runner, how it is stored and served.</summary>
public sealed class PlotOptions
{
    /// <summary>
    /// One-second points kept per runner, in memory and in SQLite (the oldest go first). The default, one day, takes about 7 MB
    /// of memory per runner that plots (72 bytes a point, and room for an eighth more).
    /// </summary>
    public int MaxPerRunner { get; set; } = 86_400;

    /// <summary>Plot events buffered between the hub and the recorder; when the recorder falls behind, the oldest are dropped, no runner ever waits.</summary>
    public int QueueCapacity { get; set; } = 8192;

    /// <summary>Whether plots are written to SQLite (and read back at start).</summary>
    public bool Persist { get; set; } = true;

    /// <summary>How often closed points (and each runner's open one) are written, in one transaction.</summary>
    public int FlushSeconds { get; set; } = 5;

    /// <summary>Closed points waiting to be written at most (while the database is unavailable); beyond, new ones are not written.</summary>
    public int MaxPending { get; set; } = 100_000;

    /// <summary>Points a request returns when it gives no <c>limit</c>.</summary>
    public int DefaultLimit { get; set; } = 500;

    /// <summary>The largest <c>limit</c> a request may ask for.</summary>
    public int MaxLimit { get; set; } = 5000;
}

/// <summary>The seven values of a point, slot i for series i.</summary>
[InlineArray(PlotLimits.MaxSeries)]
public struct PlotValues
{
    private double _value;
}

/// <summary>One bucket of a runner's plots: its start (Unix ms), which series have a value in it (bit i for series i), the values.</summary>
public struct PlotPoint
{
    /// <summary>The bucket's start in Unix milliseconds (UTC).</summary>
    public long Time;
    /// <summary>Bit i: series i has a value.</summary>
    public int Mask;
    /// <summary>The values by series.</summary>
    public PlotValues Values;
}

/// <summary>A runner's plots at an interval: its series and the buckets, oldest first.</summary>
public sealed record PlotQueryResult(ImmutableArray<PlotSeries> Series, List<PlotPoint> Points);

/// <summary>
/// One runner's newest one-second plot points, oldest first, at most <c>max</c>, with the series they are for; the last point is
/// open while its second lasts. Every member takes the lock: the recorder folds events in while requests aggregate.
/// </summary>
internal sealed class PlotHistory(int max)
{
    private readonly Lock _lock = new();
    private PlotPoint[] _items = new PlotPoint[Math.Min(max + max / 8 + 1, 1024)];
    private int _start;
    private int _count;

    /// <summary>The series the points are for (value i belongs to Series[i]).</summary>
    public ImmutableArray<PlotSeries> Series { get; private set; } = [];

    /// <summary>Whether the series changed since <see cref="TakeSeriesChanged"/> last said so (they must be written).</summary>
    private bool _seriesChanged;

    public int Count
    {
        get { lock (_lock) return _count; }
    }

    /// <summary>
    /// Whether <paramref name="series"/> goes on from the held series: one is the other's beginning, name by name (a strategy
    /// that plots more series later, or a runner started again whose strategy has not plotted all of them yet).
    /// </summary>
    public bool Continues(ImmutableArray<PlotSeries> series)
    {
        lock (_lock)
        {
            var shared = Math.Min(series.Length, Series.Length);
            for (var i = 0; i < shared; i++)
                if (series[i].Name != Series[i].Name) return false;
            return true;
        }
    }

    /// <summary>
    /// Folds one bar's values into its second's point (the last value of a series in a second wins), with the series of the event
    /// (which <see cref="Continues"/> the held ones). Returns the point the bar closed (the previous second's) when it starts a new
    /// one; a bar older than the open point's second is ignored.
    /// </summary>
    public PlotPoint? Fold(long timestamp, int mask, in PlotValues values, ImmutableArray<PlotSeries> series, out bool ignored)
    {
        var second = timestamp - (((timestamp % 1000) + 1000) % 1000);
        ignored = false;
        lock (_lock)
        {
            if (series.Length >= Series.Length && !series.SequenceEqual(Series))
            {
                Series = series;
                _seriesChanged = true;
            }
            else if (series.Length < Series.Length)
            {
                // The shorter list's descriptors (its colour, its pane) are the strategy's now; the rest are kept.
                var merged = series.AddRange(Series.Skip(series.Length));
                if (!merged.SequenceEqual(Series))
                {
                    Series = merged;
                    _seriesChanged = true;
                }
            }
            if (_count > 0)
            {
                ref var last = ref _items[_start + _count - 1];
                if (second == last.Time)
                {
                    Merge(ref last, mask, values);
                    return null;
                }
                if (second < last.Time)
                {
                    ignored = true;
                    return null;
                }
                var closed = last;
                Append(new PlotPoint { Time = second, Mask = mask, Values = values });
                return closed;
            }
            Append(new PlotPoint { Time = second, Mask = mask, Values = values });
            return null;
        }
    }

    private static void Merge(ref PlotPoint point, int mask, in PlotValues values)
    {
        for (var i = 0; i < PlotLimits.MaxSeries; i++)
            if ((mask & (1 << i)) != 0) point.Values[i] = values[i];
        point.Mask |= mask;
    }

    /// <summary>True once after the series changed.</summary>
    public bool TakeSeriesChanged()
    {
        lock (_lock)
        {
            var changed = _seriesChanged;
            _seriesChanged = false;
            return changed;
        }
    }

    /// <summary>Says the series must be written again (a failed write).</summary>
    public void MarkSeriesChanged()
    {
        lock (_lock) _seriesChanged = true;
    }

    /// <summary>Adds stored points (oldest first) with their series at start, before any event is folded in.</summary>
    public void Restore(ImmutableArray<PlotSeries> series, IEnumerable<PlotPoint> points)
    {
        lock (_lock)
        {
            Series = series;
            foreach (var point in points)
                if (_count == 0 || point.Time > _items[_start + _count - 1].Time) Append(point);
        }
    }

    /// <summary>The newest point (the open one), if any.</summary>
    public PlotPoint? Last
    {
        get { lock (_lock) return _count > 0 ? _items[_start + _count - 1] : null; }
    }

    /// <summary>The points of <paramref name="intervalMs"/> (see <see cref="PlotAggregator.Aggregate"/>) with the series, under the lock.</summary>
    public PlotQueryResult Aggregate(long intervalMs, long from, long to, int limit)
    {
        lock (_lock) return new PlotQueryResult(Series, PlotAggregator.Aggregate(_items.AsSpan(_start, _count), intervalMs, from, to, limit));
    }

    private void Append(in PlotPoint point)
    {
        if (_start + _count == _items.Length)
        {
            var capacity = max + max / 8 + 1;
            if (_items.Length < capacity)
            {
                var grown = new PlotPoint[Math.Min(capacity, _items.Length * 2)];
                Array.Copy(_items, _start, grown, 0, _count);
                _items = grown;
            }
            else
            {
                Array.Copy(_items, _start, _items, 0, _count);
            }
            _start = 0;
        }
        _items[_start + _count] = point;
        if (_count == max) _start++;
        else _count++;
    }
}

/// <summary>Folds one-second plot points into longer buckets aligned to UTC, like the candles: the last value of each series in a bucket.</summary>
public static class PlotAggregator
{
    /// <summary>
    /// The buckets of <paramref name="intervalMs"/> made from <paramref name="seconds"/> (sorted by time, no duplicates) whose time is
    /// in [<paramref name="from"/>, <paramref name="to"/>): the newest <paramref name="limit"/>, oldest first. Each series takes its
    /// last value in the bucket; a series with none there is absent from it.
    /// </summary>
    public static List<PlotPoint> Aggregate(ReadOnlySpan<PlotPoint> seconds, long intervalMs, long from, long to, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(intervalMs, 1);
        var result = new List<PlotPoint>(Math.Min(Math.Max(limit, 0), 1024));
        if (limit <= 0 || from >= to) return result;
        var i = LowerBound(seconds, to) - 1;
        while (i >= 0 && seconds[i].Time >= from && result.Count < limit)
        {
            var bucket = seconds[i].Time - Mod(seconds[i].Time, intervalMs);
            var point = new PlotPoint { Time = bucket };
            for (; i >= 0 && seconds[i].Time >= bucket && seconds[i].Time >= from; i--)
            {
                ref readonly var s = ref seconds[i];
                var missing = s.Mask & ~point.Mask; // newest first: a value already taken is a later one
                for (var k = 0; k < PlotLimits.MaxSeries; k++)
                    if ((missing & (1 << k)) != 0) point.Values[k] = s.Values[k];
                point.Mask |= missing;
            }
            result.Add(point);
        }
        result.Reverse();
        return result;
    }

    private static int LowerBound(ReadOnlySpan<PlotPoint> points, long time)
    {
        int lo = 0, hi = points.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (points[mid].Time < time) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static long Mod(long time, long interval) => ((time % interval) + interval) % interval;
}
