using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Tickrunner.Engine.Strategies;
using Tickrunner.Server.Plots;

namespace Tickrunner.Server.Storage;

/// <summary>The <c>plot_series</c> and <c>plots</c> tables: each runner's plotted series and their one-second points.</summary>
public sealed class PlotRepository(TickrunnerDatabase database)
{
    /// <summary>
    /// In one transaction: drops the stored plots of <paramref name="reset"/>, replaces the series of the runners in
    /// <paramref name="series"/>, writes <paramref name="points"/> (a point already stored for its second is replaced), then keeps
    /// only the newest <paramref name="keepPerRunner"/> points of each runner written.
    /// </summary>
    public void Save(IReadOnlyCollection<string> reset, IReadOnlyList<(string RunnerId, ImmutableArray<PlotSeries> Series)> series,
        IReadOnlyList<(string RunnerId, PlotPoint Point)> points, int keepPerRunner)
    {
        if (reset.Count == 0 && series.Count == 0 && points.Count == 0) return;
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        foreach (var id in reset) Delete(connection, transaction, id);
        using (var clear = connection.CreateCommand())
        using (var insert = connection.CreateCommand())
        {
            clear.Transaction = insert.Transaction = transaction;
            clear.CommandText = "DELETE FROM plot_series WHERE runner_id = $runner;";
            var clearRunner = clear.Parameters.Add("$runner", SqliteType.Text);
            insert.CommandText = """
                INSERT INTO plot_series (runner_id, position, name, pane, color, lines) VALUES ($runner, $position, $name, $pane, $color, $lines);
                """;
            var runner = insert.Parameters.Add("$runner", SqliteType.Text);
            var position = insert.Parameters.Add("$position", SqliteType.Integer);
            var name = insert.Parameters.Add("$name", SqliteType.Text);
            var pane = insert.Parameters.Add("$pane", SqliteType.Text);
            var color = insert.Parameters.Add("$color", SqliteType.Text);
            var lines = insert.Parameters.Add("$lines", SqliteType.Text);
            foreach (var (id, list) in series)
            {
                clearRunner.Value = id;
                clear.ExecuteNonQuery();
                for (var i = 0; i < list.Length; i++)
                {
                    runner.Value = id;
                    position.Value = i;
                    name.Value = list[i].Name;
                    pane.Value = list[i].Pane;
                    color.Value = list[i].Color;
                    lines.Value = JsonSerializer.Serialize(list[i].Lines.ToArray());
                    insert.ExecuteNonQuery();
                }
            }
        }
        if (points.Count > 0)
        {
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT OR REPLACE INTO plots (runner_id, time, v0, v1, v2, v3, v4, v5, v6)
                VALUES ($runner, $time, $v0, $v1, $v2, $v3, $v4, $v5, $v6);
                """;
            var runner = insert.Parameters.Add("$runner", SqliteType.Text);
            var time = insert.Parameters.Add("$time", SqliteType.Integer);
            var values = Enumerable.Range(0, PlotLimits.MaxSeries).Select(i => insert.Parameters.Add($"$v{i}", SqliteType.Real)).ToArray();
            insert.Prepare();
            foreach (var (id, point) in points)
            {
                runner.Value = id;
                time.Value = point.Time;
                for (var i = 0; i < values.Length; i++) values[i].Value = (point.Mask & (1 << i)) != 0 ? point.Values[i] : DBNull.Value;
                insert.ExecuteNonQuery();
            }
            using var prune = connection.CreateCommand();
            prune.Transaction = transaction;
            prune.CommandText = """
                DELETE FROM plots WHERE runner_id = $runner
                    AND time <= (SELECT time FROM plots WHERE runner_id = $runner ORDER BY time DESC LIMIT 1 OFFSET $keep);
                """;
            var pruned = prune.Parameters.Add("$runner", SqliteType.Text);
            prune.Parameters.AddWithValue("$keep", keepPerRunner);
            foreach (var id in points.Select(p => p.RunnerId).Distinct(StringComparer.Ordinal))
            {
                pruned.Value = id;
                prune.ExecuteNonQuery();
            }
        }
        transaction.Commit();
    }

    /// <summary>Drops a runner's stored series and points.</summary>
    public void Delete(string runnerId)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        Delete(connection, transaction, runnerId);
        transaction.Commit();
    }

    private static void Delete(SqliteConnection connection, SqliteTransaction transaction, string runnerId)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM plots WHERE runner_id = $runner; DELETE FROM plot_series WHERE runner_id = $runner;";
        command.Parameters.AddWithValue("$runner", runnerId);
        command.ExecuteNonQuery();
    }

    /// <summary>Every runner's series and its newest <paramref name="limit"/> points, oldest first.</summary>
    public Dictionary<string, (ImmutableArray<PlotSeries> Series, List<PlotPoint> Points)> LoadNewest(int limit)
    {
        var result = new Dictionary<string, (ImmutableArray<PlotSeries>, List<PlotPoint>)>(StringComparer.Ordinal);
        using var connection = database.Open();
        var series = new Dictionary<string, List<PlotSeries>>(StringComparer.Ordinal);
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT runner_id, name, pane, color, lines FROM plot_series ORDER BY runner_id, position;";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                var id = reader.GetString(0);
                if (!series.TryGetValue(id, out var of)) series[id] = of = [];
                of.Add(new PlotSeries(reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    [.. JsonSerializer.Deserialize<double[]>(reader.GetString(4)) ?? []]));
            }
        }
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT time, v0, v1, v2, v3, v4, v5, v6 FROM
                (SELECT * FROM plots WHERE runner_id = $runner ORDER BY time DESC LIMIT $limit) ORDER BY time;
            """;
        var runner = command.Parameters.Add("$runner", SqliteType.Text);
        command.Parameters.AddWithValue("$limit", limit);
        foreach (var (id, of) in series)
        {
            runner.Value = id;
            using var reader = command.ExecuteReader();
            var points = new List<PlotPoint>();
            while (reader.Read())
            {
                var point = new PlotPoint { Time = reader.GetInt64(0) };
                for (var i = 0; i < PlotLimits.MaxSeries && i < of.Count; i++)
                {
                    if (reader.IsDBNull(i + 1)) continue;
                    point.Values[i] = reader.GetDouble(i + 1);
                    point.Mask |= 1 << i;
                }
                points.Add(point);
            }
            result[id] = ([.. of], points);
        }
        return result;
    }
}
