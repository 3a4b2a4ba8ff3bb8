namespace Tickrunner.Engine.Feeds;

/// <summary>Thread-safe counters a feed keeps for its <see cref="FeedStatus"/>.</summary>
internal sealed class FeedCounters
{
    private long _delivered, _rejected, _lastTimestamp = -1;
    private int _activeSubscriptions;

    public void Delivered(long timestamp)
    {
        Interlocked.Increment(ref _delivered);
        Volatile.Write(ref _lastTimestamp, timestamp);
    }

    public void Rejected() => Interlocked.Increment(ref _rejected);

    public long RejectedCount => Interlocked.Read(ref _rejected);

    public void SubscriptionStarted() => Interlocked.Increment(ref _activeSubscriptions);

    public void SubscriptionEnded() => Interlocked.Decrement(ref _activeSubscriptions);

    public FeedStatus Snapshot(string kind)
    {
        var last = Volatile.Read(ref _lastTimestamp);
        return new FeedStatus(kind, Volatile.Read(ref _activeSubscriptions) > 0,
            Interlocked.Read(ref _delivered), Interlocked.Read(ref _rejected), last < 0 ? null : last);
    }
}
