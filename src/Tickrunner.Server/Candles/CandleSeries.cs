namespace Tickrunner.Server.Candles;

/// <summary>
/// One symbol's newest one-second candles, oldest first, at most <c>max</c>; the last one is still open while its second lasts.
/// </summary>
/// <remarks>
/// One array with room for an eighth more than <c>max</c>: appending moves the window along it, and only when the end is
/// reached are the newest candles copied back to the front (once per max/8 candles), so a read sees one contiguous span.
/// Every member takes the lock: the recorder folds bars in while requests aggregate.
/// </remarks>
internal sealed class CandleSeries(int max)
{
    private readonly Lock _lock = new();
    private Candle[] _items = new Candle[Math.Min(max + max / 8 + 1, 1024)];
    private int _start;
    private int _count;

    /// <summary>How many candles the series holds.</summary>
    public int Count
    {
        get { lock (_lock) return _count; }
    }

    /// <summary>
    /// Folds a bar into its second's candle. Returns the candle the bar closed (the previous second's) when it starts a new
    /// one, so the caller can persist it; a bar older than the open candle's second is ignored.
    /// </summary>
    public Candle? Fold(long timestamp, double open, double high, double low, double close, double volume, out bool ignored)
    {
        var second = timestamp - (((timestamp % 1000) + 1000) % 1000);
        ignored = false;
        lock (_lock)
        {
            if (_count > 0)
            {
                ref var last = ref _items[_start + _count - 1];
                if (second == last.Time)
                {
                    last = last with { High = Math.Max(last.High, high), Low = Math.Min(last.Low, low), Close = close, Volume = last.Volume + volume };
                    return null;
                }
                if (second < last.Time)
                {
                    ignored = true;
                    return null;
                }
                var closed = last;
                Append(new Candle(second, open, high, low, close, volume));
                return closed;
            }
            Append(new Candle(second, open, high, low, close, volume));
            return null;
        }
    }

    /// <summary>Adds stored candles (oldest first) at start, before any bar is folded in; ones not newer than the last are skipped.</summary>
    public void Restore(IEnumerable<Candle> candles)
    {
        lock (_lock)
            foreach (var candle in candles)
                if (_count == 0 || candle.Time > _items[_start + _count - 1].Time) Append(candle);
    }

    /// <summary>The newest candle (the open one), if any.</summary>
    public Candle? Last
    {
        get { lock (_lock) return _count > 0 ? _items[_start + _count - 1] : null; }
    }

    /// <summary>Aggregates the held candles (see <see cref="CandleAggregator.Aggregate"/>) under the lock.</summary>
    public List<Candle> Aggregate(long intervalMs, long from, long to, int limit)
    {
        lock (_lock) return CandleAggregator.Aggregate(_items.AsSpan(_start, _count), intervalMs, from, to, limit);
    }

    private void Append(Candle candle)
    {
        if (_start + _count == _items.Length)
        {
            var capacity = max + max / 8 + 1;
            if (_items.Length < capacity)
            {
                var grown = new Candle[Math.Min(capacity, _items.Length * 2)];
                Array.Copy(_items, _start, grown, 0, _count);
                _items = grown;
            }
            else
            {
                Array.Copy(_items, _start, _items, 0, _count);
            }
            _start = 0;
        }
        _items[_start + _count] = candle;
        if (_count == max) _start++; // the oldest leaves the window
        else _count++;
    }
}
