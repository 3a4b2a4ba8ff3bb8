namespace Tickrunner.Engine;

/// <summary>Bounded FIFO of the newest bars of one symbol, oldest first, with the range queries of docs/engine-contract.md §1.3.</summary>
/// <remarks>
/// Bars live in a ring. Closes, highs, lows and volumes are also written twice into arrays of twice the
/// capacity (at slot i and i + capacity), so the newest n values are always one contiguous span: indicators
/// read them with no copy and pushing stays O(1) with no allocation.
/// </remarks>
public sealed class MarketDataWindow
{
    private readonly MarketData[] _bars;
    private readonly double[] _closes, _highs, _lows, _volumes;
    private int _next;

    /// <summary>Creates an empty window that keeps at most <paramref name="maxSize"/> bars.</summary>
    public MarketDataWindow(int maxSize)
    {
        if (maxSize < 1)
            throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, "A market data window must hold at least 1 bar.");
        MaxSize = maxSize;
        _bars = new MarketData[maxSize];
        _closes = new double[2 * maxSize];
        _highs = new double[2 * maxSize];
        _lows = new double[2 * maxSize];
        _volumes = new double[2 * maxSize];
    }

    /// <summary>The most bars the window keeps.</summary>
    public int MaxSize { get; }

    /// <summary>How many bars the window holds now.</summary>
    public int Count { get; private set; }

    /// <summary>True when no bar has been pushed yet.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>Total bars ever pushed, evicted ones included.</summary>
    public long TotalPushed { get; private set; }

    /// <summary>The bar at <paramref name="index"/>, 0 being the oldest held.</summary>
    public ref readonly MarketData this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"The window holds {Count} bars.");
            return ref _bars[(_next - Count + index + MaxSize) % MaxSize];
        }
    }

    /// <summary>The newest bar, or null when empty.</summary>
    public MarketData? Latest => Count == 0 ? null : this[Count - 1];

    /// <summary>The oldest bar held, or null when empty.</summary>
    public MarketData? Oldest => Count == 0 ? null : this[0];

    /// <summary>Appends a bar, evicting the oldest when full. The caller validates bars (feeds do).</summary>
    public void Push(in MarketData bar)
    {
        var slot = _next;
        _bars[slot] = bar;
        _closes[slot] = _closes[slot + MaxSize] = bar.Close;
        _highs[slot] = _highs[slot + MaxSize] = bar.High;
        _lows[slot] = _lows[slot + MaxSize] = bar.Low;
        _volumes[slot] = _volumes[slot + MaxSize] = bar.Volume;
        _next = slot + 1 == MaxSize ? 0 : slot + 1;
        if (Count < MaxSize) Count++;
        TotalPushed++;
    }

    /// <summary>Removes every bar.</summary>
    public void Clear()
    {
        Count = 0;
        _next = 0;
    }

    /// <summary>Closes of the newest min(period, len) bars, oldest → newest; empty for period 0.</summary>
    public ReadOnlySpan<double> Closes(int period) => Newest(_closes, period);

    /// <summary>Closes of every bar held, oldest → newest.</summary>
    public ReadOnlySpan<double> Closes() => Newest(_closes, Count);

    /// <summary>Volumes of the newest min(period, len) bars, oldest → newest.</summary>
    public ReadOnlySpan<double> Volumes(int period) => Newest(_volumes, period);

    /// <summary>Highest high over the newest min(period, len) bars; null when empty or period is 0.</summary>
    public double? High(int period)
    {
        var span = Newest(_highs, period);
        if (span.IsEmpty) return null;
        var max = span[0];
        for (var i = 1; i < span.Length; i++) if (span[i] > max) max = span[i];
        return max;
    }

    /// <summary>Lowest low over the newest min(period, len) bars; null when empty or period is 0.</summary>
    public double? Low(int period)
    {
        var span = Newest(_lows, period);
        if (span.IsEmpty) return null;
        var min = span[0];
        for (var i = 1; i < span.Length; i++) if (span[i] < min) min = span[i];
        return min;
    }

    /// <summary>High − low over the newest min(period, len) bars; null when empty or period is 0.</summary>
    public double? Range(int period) => High(period) - Low(period);

    /// <summary>Mean volume over the newest min(period, len) bars; null when empty or period is 0.</summary>
    public double? AvgVolume(int period)
    {
        var span = Newest(_volumes, period);
        if (span.IsEmpty) return null;
        var sum = 0.0;
        foreach (var v in span) sum += v;
        return sum / span.Length;
    }

    /// <summary>Copies the newest min(count, len) bars, oldest first, into a new array.</summary>
    public MarketData[] ToArray(int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must not be negative.");
        var n = Math.Min(count, Count);
        var result = new MarketData[n];
        for (var i = 0; i < n; i++) result[i] = this[Count - n + i];
        return result;
    }

    private ReadOnlySpan<double> Newest(double[] doubled, int period)
    {
        if (period < 0)
            throw new ArgumentOutOfRangeException(nameof(period), period, "period must not be negative.");
        var n = Math.Min(period, Count);
        return new ReadOnlySpan<double>(doubled, _next + MaxSize - n, n);
    }
}
