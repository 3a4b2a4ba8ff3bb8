using Tickrunner.Server.Common;

namespace Tickrunner.Server.Datasets;

/// <summary>
/// Which datasets backtest jobs and downloads are using: a dataset in use is not deleted, overwritten or downloaded into,
/// so a queued job runs on the bars it was accepted for.
/// </summary>
public sealed class DatasetUsage
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<object>> _users = new(StringComparer.Ordinal);

    /// <summary>Marks <paramref name="dataset"/> as used by <paramref name="user"/> (named by its ToString, e.g. "backtest bt-3") until the lease is disposed.</summary>
    public IDisposable Acquire(string dataset, object user)
    {
        lock (_gate) AddLocked(dataset, user);
        return new Lease(this, dataset, user);
    }

    /// <summary>
    /// Runs <paramref name="check"/> while holding the usage lock, and takes a lease for <paramref name="user"/> if it succeeds:
    /// a check that the dataset exists and the lease are then one step.
    /// </summary>
    public IDisposable AcquireAfter(string dataset, object user, Action check)
    {
        lock (_gate)
        {
            check();
            AddLocked(dataset, user);
        }
        return new Lease(this, dataset, user);
    }

    /// <summary>Runs <paramref name="write"/> if nothing uses <paramref name="dataset"/>, else <see cref="ConflictException"/> naming the users.</summary>
    public T WhenUnused<T>(string dataset, string what, Func<T> write)
    {
        lock (_gate)
        {
            if (_users.TryGetValue(dataset, out var users) && users.Count > 0)
                throw new ConflictException($"Dataset '{dataset}' is in use by {string.Join(", ", users)}; {what} once they have finished (or cancel them).");
            return write();
        }
    }

    /// <summary>Takes a lease for <paramref name="user"/> if nothing uses <paramref name="dataset"/>, else <see cref="ConflictException"/>.</summary>
    public IDisposable AcquireExclusive(string dataset, object user, string what) =>
        WhenUnused(dataset, what, () =>
        {
            AddLocked(dataset, user);
            return (IDisposable)new Lease(this, dataset, user);
        });

    private void AddLocked(string dataset, object user)
    {
        if (!_users.TryGetValue(dataset, out var users)) _users[dataset] = users = [];
        users.Add(user);
    }

    private void Release(string dataset, object user)
    {
        lock (_gate)
        {
            if (!_users.TryGetValue(dataset, out var users)) return;
            users.Remove(user);
            if (users.Count == 0) _users.Remove(dataset);
        }
    }

    private sealed class Lease(DatasetUsage owner, string dataset, object user) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Release(dataset, user);
        }
    }
}
