using Microsoft.Data.Sqlite;

namespace Tickrunner.Server.Storage;

/// <summary>One state-changing request: who (the key's name; null when keys are not asked for), what, on what, when, and how it ended.</summary>
public sealed record AuditEntry(long Id, long At, string? KeyName, string? Address, string Method, string Action, string? Target, int Status, string Outcome);

/// <summary>The audit log in SQLite: appended to, read newest first.</summary>
public sealed class AuditRepository(TickrunnerDatabase database)
{
    /// <summary>Appends an entry (its <see cref="AuditEntry.Id"/> is ignored) and returns its id.</summary>
    public long Append(AuditEntry entry)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO audit (at, key_name, address, method, action, target, status, outcome)
            VALUES ($at, $key, $address, $method, $action, $target, $status, $outcome) RETURNING id;
            """;
        command.Parameters.AddWithValue("$at", entry.At);
        command.Parameters.AddWithValue("$key", (object?)entry.KeyName ?? DBNull.Value);
        command.Parameters.AddWithValue("$address", (object?)entry.Address ?? DBNull.Value);
        command.Parameters.AddWithValue("$method", entry.Method);
        command.Parameters.AddWithValue("$action", entry.Action);
        command.Parameters.AddWithValue("$target", (object?)entry.Target ?? DBNull.Value);
        command.Parameters.AddWithValue("$status", entry.Status);
        command.Parameters.AddWithValue("$outcome", entry.Outcome);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Entries at or after <paramref name="since"/> (Unix ms), newest first, at most <paramref name="limit"/>; <paramref name="beforeId"/> pages back.</summary>
    public IReadOnlyList<AuditEntry> Query(long since, int limit, long? beforeId = null)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, at, key_name, address, method, action, target, status, outcome FROM audit
            WHERE at >= $since AND id < $before ORDER BY id DESC LIMIT $limit;
            """;
        command.Parameters.AddWithValue("$since", since);
        command.Parameters.AddWithValue("$before", beforeId ?? long.MaxValue);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var entries = new List<AuditEntry>();
        while (reader.Read())
        {
            entries.Add(new AuditEntry(reader.GetInt64(0), reader.GetInt64(1), Text(reader, 2), Text(reader, 3), reader.GetString(4),
                reader.GetString(5), Text(reader, 6), reader.GetInt32(7), reader.GetString(8)));
        }
        return entries;
    }

    private static string? Text(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
}
