namespace Tickrunner.Server.Hosting;

/// <summary>
/// One async lock per key (a runner id, a strategy name), so that check-then-act sequences on the same key
/// (exists? insert, start; running? stop, store) do not interleave while different keys proceed in parallel.
/// </summary>
/// <remarks>A key's entry lives only while someone holds or waits for it, so ids that come and go leave nothing behind.</remarks>
public class KeyedLock
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    internal sealed class Entry
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public int Users; // holders and waiters, under the dictionary's lock
    }

    /// <summary>Waits for the key's lock; dispose the result to release it.</summary>
    public async Task<Releaser> AcquireAsync(string key, CancellationToken cancellationToken = default)
    {
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry!)) _entries[key] = entry = new Entry();
            entry.Users++;
        }
        try
        {
            await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(key, entry);
            throw;
        }
        return new Releaser(this, key, entry);
    }

    private void Leave(string key, Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0) _entries.Remove(key);
        }
    }

    /// <summary>Releases a key's lock once.</summary>
    public sealed class Releaser : IDisposable
    {
        private KeyedLock? _owner;
        private readonly string _key;
        private readonly Entry _entry;

        internal Releaser(KeyedLock owner, string key, Entry entry)
        {
            _owner = owner;
            _key = key;
            _entry = entry;
        }

        /// <inheritdoc />
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _owner, null) is not { } owner) return;
            _entry.Gate.Release();
            owner.Leave(_key, _entry);
        }
    }
}
