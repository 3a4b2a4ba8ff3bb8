using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Orleans.Storage;

namespace Tickrunner.Cluster.Storage;

/// <summary>
/// Orleans grain storage in one SQLite file: a row per grain (type, key and state name) with its state as JSON and an ETag,
/// so every silo on the machine reads and writes the same runners.
/// </summary>
/// <remarks>
/// <para>
/// The ETag is a fresh random id that each write checks and replaces (never a counter: a counter starts again when a removed
/// runner is defined anew, and a stale activation holding "1" could then write over it): a write from an activation that read an older version
/// (a second activation of the same runner, e.g. on a silo the others have declared dead) fails with
/// <see cref="InconsistentStateException"/> instead of overwriting the newer state. A state that is an
/// <see cref="IJournaledState"/> has its journal rows (seq-numbered per grain) appended in the transaction that writes its row.
/// </para>
/// <para>
/// Writes go through one writer per storage (per silo), which commits every write queued meanwhile in one transaction
/// (a group commit): a hundred runners that trade at once cost one commit, not a hundred, and never wait on one another's
/// file lock; SQLite's busy handler sleeps for milliseconds, which left most of a core idle and runners' queues overflowing.
/// Each write still succeeds or fails on its own ETag. WAL lets reads go on beside the writer; with synchronous=NORMAL (as
/// the server's database) a killed silo loses no committed write and a commit waits for no fsync (only a machine that loses
/// power may lose the newest).
/// </para>
/// </remarks>
public sealed class SqliteGrainStorage : IGrainStorage, IAsyncDisposable
{
    /// <summary>Most writes one transaction commits; more wait for the next.</summary>
    private const int MaxWritesPerCommit = 512;

    private readonly string _connectionString;
    private readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web);
    private readonly Channel<PendingWrite> _writes = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    /// <summary>Uses (and creates, with its tables) the database at <paramref name="path"/>.</summary>
    public SqliteGrainStorage(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { } directory) Directory.CreateDirectory(directory);
        // Default Timeout is also SQLite's busy timeout: a silo waits for another's write instead of failing at once.
        _connectionString = new SqliteConnectionStringBuilder { DataSource = full, DefaultTimeout = 30, Pooling = true }.ToString();
        using (var connection = Open())
        {
            Execute(connection, """
                PRAGMA journal_mode = WAL;
                CREATE TABLE IF NOT EXISTS grain_state (
                    grain_type TEXT NOT NULL,
                    grain_id TEXT NOT NULL,
                    state_name TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    etag TEXT NOT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (grain_type, grain_id, state_name)
                );
                CREATE TABLE IF NOT EXISTS grain_journal (
                    grain_type TEXT NOT NULL,
                    grain_id TEXT NOT NULL,
                    state_name TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    payload TEXT NOT NULL,
                    PRIMARY KEY (grain_type, grain_id, state_name, seq)
                );
                """);
        }
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Transactions the writer has committed (each holds one or more writes).</summary>
    public long Commits => Interlocked.Read(ref _commits);
    private long _commits;

    /// <summary>Writes (and clears) committed.</summary>
    public long Writes => Interlocked.Read(ref _writesDone);
    private long _writesDone;

    /// <summary>The keys of every stored grain of <paramref name="grainType"/> (e.g. every defined runner), in key order.</summary>
    public async Task<IReadOnlyList<string>> ListKeysAsync(string grainType, CancellationToken cancellationToken = default)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT grain_id FROM grain_state WHERE grain_type = $type ORDER BY grain_id";
        command.Parameters.AddWithValue("$type", grainType);
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) keys.Add(reader.GetString(0));
        return keys;
    }

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await using var connection = Open();
        await using var command = Command(connection, "SELECT payload, etag FROM grain_state WHERE " + KeyFilter, stateName, grainId);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        if (await reader.ReadAsync().ConfigureAwait(false))
        {
            grainState.State = JsonSerializer.Deserialize<T>(reader.GetString(0), _json)!;
            grainState.ETag = reader.GetString(1);
            grainState.RecordExists = true;
        }
        else
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
    }

    /// <summary>The newest <paramref name="count"/> entries of a grain's journal (see <see cref="IJournaledState"/>), oldest first.</summary>
    public async Task<IReadOnlyList<TEntry>> ReadJournalAsync<TEntry>(string stateName, GrainId grainId, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        await using var connection = Open();
        await using var command = Command(connection,
            "SELECT payload FROM grain_journal WHERE " + KeyFilter + " ORDER BY seq DESC LIMIT $count", stateName, grainId);
        command.Parameters.AddWithValue("$count", count);
        var entries = new List<TEntry>();
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false)) entries.Add(JsonSerializer.Deserialize<TEntry>(reader.GetString(0), _json)!);
        entries.Reverse();
        return entries;
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var expected = grainState.ETag;
        var next = Guid.NewGuid().ToString("N");
        var journal = grainState.State as IJournaledState;
        var pending = journal?.JournalPending ?? [];
        var entries = pending.Select(e => JsonSerializer.Serialize(e, e.GetType(), _json)).ToArray();
        var write = new PendingWrite(stateName, grainId, JsonSerializer.Serialize(grainState.State, _json), expected, next,
            entries, journal?.JournalRestart == true, journal?.JournalCapacity ?? 0);
        await Enqueue(write).ConfigureAwait(false);
        pending.RemoveRange(0, entries.Length);
        if (journal is not null) journal.JournalRestart = false;
        grainState.ETag = next;
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainState.ETag is { } expected)
            await Enqueue(new PendingWrite(stateName, grainId, Payload: null, expected, Next: null, [], Restart: true, 0)).ConfigureAwait(false);
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    /// <summary>Lets the writer commit what is queued, then stops it.</summary>
    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private Task Enqueue(PendingWrite write)
    {
        if (!_writes.Writer.TryWrite(write)) throw new ObjectDisposedException(nameof(SqliteGrainStorage));
        return write.Done.Task;
    }

    // One connection for the life of the storage; each round takes what is queued and commits it in one transaction.
    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingWrite>(MaxWritesPerCommit);
        SqliteConnection? connection = null;
        try
        {
            while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.Count < MaxWritesPerCommit && _writes.Reader.TryRead(out var write)) batch.Add(write);
                try
                {
                    connection ??= Open();
                    Commit(connection, batch);
                }
                catch (Exception e)
                {
                    // The database failed (not one ETag): nothing of the round was committed, so every write in it fails; a new
                    // connection is tried for the next round.
                    foreach (var write in batch) write.Done.TrySetException(e);
                    connection?.Dispose();
                    connection = null;
                }
                batch.Clear();
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private void Commit(SqliteConnection connection, List<PendingWrite> batch)
    {
        var outcomes = new Exception?[batch.Count];
        using (var transaction = connection.BeginTransaction()) // IMMEDIATE: the write lock for the whole round
        {
            for (var i = 0; i < batch.Count; i++) outcomes[i] = Apply(connection, transaction, batch[i]);
            transaction.Commit();
        }
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _writesDone, batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i] is { } conflict) batch[i].Done.TrySetException(conflict);
            else batch[i].Done.TrySetResult();
        }
    }

    // One write (or clear) inside the round's transaction: its ETag checked first, and nothing of it applied when that fails.
    private InconsistentStateException? Apply(SqliteConnection connection, SqliteTransaction transaction, PendingWrite write)
    {
        var (stateName, grainId) = (write.StateName, write.GrainId);
        using var command = Command(connection, transaction, write.Payload is null
            ? "DELETE FROM grain_state WHERE etag = $expected AND " + KeyFilter
            : write.Expected is null
                ? """
                  INSERT INTO grain_state (grain_type, grain_id, state_name, payload, etag, updated_at)
                  VALUES ($type, $id, $state, $payload, $next, $now) ON CONFLICT DO NOTHING
                  """
                : "UPDATE grain_state SET payload = $payload, etag = $next, updated_at = $now WHERE etag = $expected AND " + KeyFilter,
            stateName, grainId);
        if (write.Payload is not null)
        {
            command.Parameters.AddWithValue("$payload", write.Payload);
            command.Parameters.AddWithValue("$next", write.Next);
            command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }
        if (write.Expected is not null) command.Parameters.AddWithValue("$expected", write.Expected);
        if (command.ExecuteNonQuery() == 0) return Conflict(connection, transaction, stateName, grainId, write.Expected);

        if (write.Restart)
        {
            using var delete = Command(connection, transaction, "DELETE FROM grain_journal WHERE " + KeyFilter, stateName, grainId);
            delete.ExecuteNonQuery();
        }
        if (write.Entries.Length > 0) Append(connection, transaction, write);
        return null;
    }

    // Numbers the entries after the grain's newest (only the activation that holds the ETag writes, so no two writers race
    // for a number) and deletes what falls beyond the capacity.
    private static void Append(SqliteConnection connection, SqliteTransaction transaction, PendingWrite write)
    {
        var (stateName, grainId) = (write.StateName, write.GrainId);
        using var last = Command(connection, transaction, "SELECT COALESCE(MAX(seq), 0) FROM grain_journal WHERE " + KeyFilter, stateName, grainId);
        var seq = (long)last.ExecuteScalar()!;
        using var insert = Command(connection, transaction,
            "INSERT INTO grain_journal (grain_type, grain_id, state_name, seq, payload) VALUES ($type, $id, $state, $seq, $payload)",
            stateName, grainId);
        var seqParameter = insert.Parameters.Add("$seq", SqliteType.Integer);
        var payloadParameter = insert.Parameters.Add("$payload", SqliteType.Text);
        foreach (var entry in write.Entries)
        {
            seqParameter.Value = ++seq;
            payloadParameter.Value = entry;
            insert.ExecuteNonQuery();
        }
        using var trim = Command(connection, transaction, "DELETE FROM grain_journal WHERE seq <= $oldest AND " + KeyFilter, stateName, grainId);
        trim.Parameters.AddWithValue("$oldest", seq - write.Capacity);
        trim.ExecuteNonQuery();
    }

    private const string KeyFilter = "grain_type = $type AND grain_id = $id AND state_name = $state";

    private static InconsistentStateException Conflict(SqliteConnection connection, SqliteTransaction transaction, string stateName,
        GrainId grainId, string? expected)
    {
        using var command = Command(connection, transaction, "SELECT etag FROM grain_state WHERE " + KeyFilter, stateName, grainId);
        var stored = command.ExecuteScalar() as string;
        return new InconsistentStateException(
            $"The stored state of {grainId} has ETag {stored ?? "(none)"}, not {expected ?? "(none)"}: another activation wrote it.",
            stored ?? "", expected ?? "");
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous = NORMAL;"); // per connection, and cheap: a pooled one may be new
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, string stateName, GrainId grainId) =>
        Command(connection, null, sql, stateName, grainId);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, string stateName, GrainId grainId)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.Parameters.AddWithValue("$type", grainId.Type.ToString());
        command.Parameters.AddWithValue("$id", grainId.Key.ToString());
        command.Parameters.AddWithValue("$state", stateName);
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    // A write (Payload set) or a clear (Payload null) waiting for the writer; Restart empties the journal (a clear always does).
    private sealed record PendingWrite(string StateName, GrainId GrainId, string? Payload, string? Expected, string? Next,
        string[] Entries, bool Restart, int Capacity)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
