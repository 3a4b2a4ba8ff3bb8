using System.Collections;
using Tickrunner.Engine.Feeds;

namespace Tickrunner.Engine.Datasets;

/// <summary>
/// The bars of one symbol and interval held as column arrays (48 bytes a bar), oldest first with strictly
/// increasing timestamps; the indexer builds <see cref="MarketData"/> on demand.
/// </summary>
/// <remarks>
/// A candle has no book, so bid/ask are derived from the close exactly as <see cref="CsvKlineReader"/> does
/// (close ∓ <see cref="CsvKlineReader.HalfSpread"/>): a backtest over a dataset and the CSV replay feed see
/// bit-identical bars. Slices share the arrays.
/// </remarks>
public sealed class BarSeries : IReadOnlyList<MarketData>
{
    private readonly long[] _timestamps;
    private readonly double[] _open, _high, _low, _close, _volume;
    private readonly int _offset;

    /// <summary>Wraps column arrays (not copied) after checking that they have one length and increasing timestamps.</summary>
    public BarSeries(string symbol, string interval, long[] timestamps, double[] open, double[] high, double[] low,
        double[] close, double[] volume)
        : this(symbol, interval, timestamps, open, high, low, close, volume, 0, timestamps?.Length ?? 0)
    {
        EnsureIncreasing(Timestamps);
    }

    private static void EnsureIncreasing(ReadOnlySpan<long> timestamps)
    {
        for (var i = 1; i < timestamps.Length; i++)
            if (timestamps[i] <= timestamps[i - 1])
                throw new ArgumentException($"timestamps must increase: [{i - 1}] = {timestamps[i - 1]}, [{i}] = {timestamps[i]}", nameof(timestamps));
    }

    internal BarSeries(string symbol, string interval, long[] timestamps, double[] open, double[] high, double[] low,
        double[] close, double[] volume, int offset, int count)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        if (!KlineIntervals.IsValid(interval))
            throw new ArgumentException($"Interval '{interval}' is not one of {string.Join(", ", KlineIntervals.All)}.", nameof(interval));
        ArgumentNullException.ThrowIfNull(timestamps);
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(high);
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(close);
        ArgumentNullException.ThrowIfNull(volume);
        if (offset < 0 || count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        foreach (var column in (ReadOnlySpan<int>)[open.Length, high.Length, low.Length, close.Length, volume.Length, timestamps.Length])
            if (column < offset + count) throw new ArgumentException("every column must hold the bars", nameof(timestamps));
        Symbol = symbol;
        Interval = interval;
        _timestamps = timestamps;
        _open = open;
        _high = high;
        _low = low;
        _close = close;
        _volume = volume;
        _offset = offset;
        Count = count;
    }

    /// <summary>Builds a series from bars in time order (bid/ask are not kept; they are derived from the close).</summary>
    public static BarSeries From(string symbol, string interval, IEnumerable<MarketData> bars)
    {
        ArgumentNullException.ThrowIfNull(bars);
        var columns = new BarColumns(bars is ICollection<MarketData> c ? c.Count : 1024);
        foreach (var bar in bars) columns.Add(bar.Timestamp, bar.Open, bar.High, bar.Low, bar.Close, bar.Volume);
        var series = columns.ToSeries(symbol, interval);
        EnsureIncreasing(series.Timestamps);
        return series;
    }

    /// <summary>The symbol of every bar.</summary>
    public string Symbol { get; }

    /// <summary>The kline interval (see <see cref="KlineIntervals"/>).</summary>
    public string Interval { get; }

    /// <summary>Number of bars.</summary>
    public int Count { get; }

    /// <summary>Bar open times, Unix ms, strictly increasing.</summary>
    public ReadOnlySpan<long> Timestamps => _timestamps.AsSpan(_offset, Count);
    /// <summary>Open prices.</summary>
    public ReadOnlySpan<double> Open => _open.AsSpan(_offset, Count);
    /// <summary>High prices.</summary>
    public ReadOnlySpan<double> High => _high.AsSpan(_offset, Count);
    /// <summary>Low prices.</summary>
    public ReadOnlySpan<double> Low => _low.AsSpan(_offset, Count);
    /// <summary>Close prices.</summary>
    public ReadOnlySpan<double> Close => _close.AsSpan(_offset, Count);
    /// <summary>Volumes.</summary>
    public ReadOnlySpan<double> Volume => _volume.AsSpan(_offset, Count);

    /// <summary>Time of the first bar; throws on an empty series.</summary>
    public long FirstTimestamp => Count > 0 ? _timestamps[_offset] : throw new InvalidOperationException("the series is empty");

    /// <summary>Time of the last bar; throws on an empty series.</summary>
    public long LastTimestamp => Count > 0 ? _timestamps[_offset + Count - 1] : throw new InvalidOperationException("the series is empty");

    /// <summary>Bar <paramref name="index"/> with bid/ask = close ∓ <see cref="CsvKlineReader.HalfSpread"/>.</summary>
    public MarketData this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"the series has {Count} bars");
            var i = _offset + index;
            var close = _close[i];
            // The same expression as CsvKlineReader.ParseRow, so the doubles are the same to the last bit.
            return new MarketData(Symbol, _timestamps[i], _open[i], _high[i], _low[i], close, _volume[i],
                close * (1 - CsvKlineReader.HalfSpread), close * (1 + CsvKlineReader.HalfSpread));
        }
    }

    /// <summary><paramref name="length"/> bars from <paramref name="start"/>, sharing this series' arrays.</summary>
    public BarSeries Slice(int start, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (start + length > Count) throw new ArgumentOutOfRangeException(nameof(length), $"{start} + {length} is beyond {Count} bars");
        return new BarSeries(Symbol, Interval, _timestamps, _open, _high, _low, _close, _volume, _offset + start, length);
    }

    /// <summary>The bars with <paramref name="from"/> ≤ timestamp ≤ <paramref name="to"/> (null = unbounded), sharing the arrays.</summary>
    public BarSeries Range(long? from, long? to)
    {
        var start = from is { } f ? LowerBound(Timestamps, f) : 0;
        var end = to is { } t ? LowerBound(Timestamps, t == long.MaxValue ? t : t + 1) : Count;
        return Slice(start, Math.Max(0, end - start));
    }

    /// <summary>Index of the first bar at or after <paramref name="timestamp"/> (Count when none is).</summary>
    public int IndexAtOrAfter(long timestamp) => LowerBound(Timestamps, timestamp);

    internal static int LowerBound(ReadOnlySpan<long> sorted, long value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            if (sorted[mid] < value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>Enumerates the bars as <see cref="MarketData"/>.</summary>
    public IEnumerator<MarketData> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Growable column arrays used while reading bars.</summary>
internal sealed class BarColumns(int capacity)
{
    public long[] Timestamps = new long[Math.Max(capacity, 16)];
    public double[] Open = new double[Math.Max(capacity, 16)];
    public double[] High = new double[Math.Max(capacity, 16)];
    public double[] Low = new double[Math.Max(capacity, 16)];
    public double[] Close = new double[Math.Max(capacity, 16)];
    public double[] Volume = new double[Math.Max(capacity, 16)];
    public int Count;

    public void Add(long timestamp, double open, double high, double low, double close, double volume)
    {
        if (Count == Timestamps.Length) Grow();
        var i = Count++;
        Timestamps[i] = timestamp;
        Open[i] = open;
        High[i] = high;
        Low[i] = low;
        Close[i] = close;
        Volume[i] = volume;
    }

    private void Grow()
    {
        var size = (int)Math.Min(Array.MaxLength, Timestamps.Length * 2L);
        Array.Resize(ref Timestamps, size);
        Array.Resize(ref Open, size);
        Array.Resize(ref High, size);
        Array.Resize(ref Low, size);
        Array.Resize(ref Close, size);
        Array.Resize(ref Volume, size);
    }

    public BarSeries ToSeries(string symbol, string interval) =>
        new(symbol, interval, Timestamps, Open, High, Low, Close, Volume, 0, Count);
}
