using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Orleans.Storage;

namespace Tickrunner.Cluster.Storage;

/// <summary>
/// Orleans grain storage in one SQLite file: a row per grain (type, key and state name) with its state as JSON and an ETag,
/// so every silo on the machine reads and writes the same runners.
/// </summary>
/// <remarks>
/// The ETag is a version number that each write checks and raises: a write from an activation that read an older version
/// (a second activation of the same runner, e.g. on a silo the others have declared dead) fails with
/// <see cref="InconsistentStateException"/> instead of overwriting the newer state. WAL lets the silos read while one writes.
/// </remarks>
public sealed class SqliteGrainStorage : IGrainStorage
{
    private readonly string _connectionString;
    private readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web);

    /// <summary>Uses (and creates, with its table) the database at <paramref name="path"/>.</summary>
    public SqliteGrainStorage(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { } directory) Directory.CreateDirectory(directory);
        // Default Timeout is also SQLite's busy timeout: a silo waits for another's write instead of failing at once.
        _connectionString = new SqliteConnectionStringBuilder { DataSource = full, DefaultTimeout = 30, Pooling = true }.ToString();
        using var connection = Open();
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
            """);
    }

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

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var payload = JsonSerializer.Serialize(grainState.State, _json);
        var expected = grainState.ETag;
        var next = expected is null ? "1" : (long.Parse(expected, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);
        await using var connection = Open();
        await using var command = Command(connection, expected is null
            ? """
              INSERT INTO grain_state (grain_type, grain_id, state_name, payload, etag, updated_at)
              VALUES ($type, $id, $state, $payload, $next, $now) ON CONFLICT DO NOTHING
              """
            : "UPDATE grain_state SET payload = $payload, etag = $next, updated_at = $now WHERE etag = $expected AND " + KeyFilter,
            stateName, grainId);
        command.Parameters.AddWithValue("$payload", payload);
        command.Parameters.AddWithValue("$next", next);
        command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        if (expected is not null) command.Parameters.AddWithValue("$expected", expected);
        if (await command.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
            throw await Conflict(connection, stateName, grainId, expected).ConfigureAwait(false);
        grainState.ETag = next;
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var expected = grainState.ETag;
        if (expected is not null)
        {
            await using var connection = Open();
            await using var command = Command(connection, "DELETE FROM grain_state WHERE etag = $expected AND " + KeyFilter, stateName, grainId);
            command.Parameters.AddWithValue("$expected", expected);
            if (await command.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
                throw await Conflict(connection, stateName, grainId, expected).ConfigureAwait(false);
        }
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private const string KeyFilter = "grain_type = $type AND grain_id = $id AND state_name = $state";

    private static async Task<InconsistentStateException> Conflict(SqliteConnection connection, string stateName, GrainId grainId, string? expected)
    {
        await using var command = Command(connection, "SELECT etag FROM grain_state WHERE " + KeyFilter, stateName, grainId);
        var stored = await command.ExecuteScalarAsync().ConfigureAwait(false) as string;
        return new InconsistentStateException(
            $"The stored state of {grainId} is at version {stored ?? "(none)"}, not {expected ?? "(none)"}: another activation wrote it.",
            stored ?? "", expected ?? "");
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, string stateName, GrainId grainId)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
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
}
