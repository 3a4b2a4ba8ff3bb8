namespace Tickrunner.Engine.Common;

/// <summary>Keeps the newest <see cref="Capacity"/> items, dropping the oldest; adding never allocates.</summary>
public sealed class BoundedHistory<T>
{
    private readonly T[] _items;
    private int _next;

    /// <summary>Creates an empty history holding at most <paramref name="capacity"/> items.</summary>
    public BoundedHistory(int capacity)
    {
        if (capacity < 1)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "capacity must be at least 1.");
        _items = new T[capacity];
    }

    /// <summary>Most items kept.</summary>
    public int Capacity => _items.Length;

    /// <summary>Items held now.</summary>
    public int Count { get; private set; }

    /// <summary>Items ever added, dropped ones included.</summary>
    public long TotalAdded { get; private set; }

    /// <summary>Adds an item, dropping the oldest when full.</summary>
    public void Add(T item)
    {
        _items[_next] = item;
        _next = (_next + 1) % _items.Length;
        if (Count < _items.Length) Count++;
        TotalAdded++;
    }

    /// <summary>The newest min(count, Count) items, oldest first, as a new array.</summary>
    public T[] ToArray(int count = int.MaxValue)
    {
        var n = Math.Min(Math.Max(count, 0), Count);
        var result = new T[n];
        for (var i = 0; i < n; i++)
            result[i] = _items[(_next - n + i + _items.Length) % _items.Length];
        return result;
    }
}
