using Microsoft.Data.Sqlite;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Server.Storage;

/// <summary>Uploaded strategies in the <c>strategies</c> table.</summary>
public sealed class SqliteStrategyStore(TickrunnerDatabase database) : IStrategyStore
{
    /// <inheritdoc />
    public IReadOnlyList<StoredStrategy> List()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, code, updated_at FROM strategies ORDER BY name;";
        return Read(command).ToList();
    }

    /// <inheritdoc />
    public StoredStrategy? Find(string name)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, code, updated_at FROM strategies WHERE name = $name;";
        command.Parameters.AddWithValue("$name", name);
        return Read(command).FirstOrDefault();
    }

    /// <inheritdoc />
    public StoredStrategy Save(string name, string code)
    {
        StrategyName.EnsureValid(name);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO strategies (name, code, updated_at) VALUES ($name, $code, $now)
            ON CONFLICT (name) DO UPDATE SET code = excluded.code, updated_at = excluded.updated_at;
            """;
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$code", code);
        command.Parameters.AddWithValue("$now", now);
        command.ExecuteNonQuery();
        return new StoredStrategy(name, code, DateTimeOffset.FromUnixTimeMilliseconds(now));
    }

    /// <inheritdoc />
    public bool Delete(string name)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM strategies WHERE name = $name;";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteNonQuery() > 0;
    }

    private static IEnumerable<StoredStrategy> Read(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        while (reader.Read())
            yield return new StoredStrategy(reader.GetString(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)));
    }
}
