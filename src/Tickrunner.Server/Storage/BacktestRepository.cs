using Microsoft.Data.Sqlite;

namespace Tickrunner.Server.Storage;

/// <summary>A backtest row without its large columns (trades, equity).</summary>
public sealed record StoredBacktest(long Seq, string StrategyName, string Dataset, string Symbol, string Settings, string Status,
    long BarsTotal, long BarsDone, string? Report, string? Error, long CreatedAt, long? StartedAt, long? FinishedAt);

/// <summary>How a backtest ended, with its results (null when there are none, e.g. cancelled).</summary>
public sealed record BacktestOutcome(string Status, long BarsTotal, long BarsDone, string? Report, string? Error, string? Trades,
    byte[]? EquityTimes, byte[]? EquityValues, long FinishedAt);

/// <summary>Backtest jobs and their results, one row each (<c>backtests</c>).</summary>
public sealed class BacktestRepository(TickrunnerDatabase database)
{
    private const string Columns =
        "seq, strategy_name, dataset, symbol, settings, status, bars_total, bars_done, report, error, created_at, started_at, finished_at";

    /// <summary>Stores a new queued job; returns its number.</summary>
    public long Insert(string strategyName, string code, string dataset, string symbol, string settings, long barsTotal, long createdAt)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO backtests (strategy_name, code, dataset, symbol, settings, status, bars_total, created_at)
            VALUES ($strategy, $code, $dataset, $symbol, $settings, 'queued', $total, $now) RETURNING seq;
            """;
        command.Parameters.AddWithValue("$strategy", strategyName);
        command.Parameters.AddWithValue("$code", code);
        command.Parameters.AddWithValue("$dataset", dataset);
        command.Parameters.AddWithValue("$symbol", symbol);
        command.Parameters.AddWithValue("$settings", settings);
        command.Parameters.AddWithValue("$total", barsTotal);
        command.Parameters.AddWithValue("$now", createdAt);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Marks a job running.</summary>
    public void SetRunning(long seq, long startedAt)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE backtests SET status = 'running', started_at = $now WHERE seq = $seq;";
        command.Parameters.AddWithValue("$seq", seq);
        command.Parameters.AddWithValue("$now", startedAt);
        command.ExecuteNonQuery();
    }

    /// <summary>Stores how a job ended, with its results, in one write.</summary>
    public void Finish(long seq, BacktestOutcome outcome)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE backtests SET status = $status, bars_total = $total, bars_done = $done, report = $report, error = $error,
                trades = $trades, equity_times = $times, equity_values = $values, finished_at = $now
            WHERE seq = $seq;
            """;
        command.Parameters.AddWithValue("$seq", seq);
        command.Parameters.AddWithValue("$status", outcome.Status);
        command.Parameters.AddWithValue("$total", outcome.BarsTotal);
        command.Parameters.AddWithValue("$done", outcome.BarsDone);
        command.Parameters.AddWithValue("$report", (object?)outcome.Report ?? DBNull.Value);
        command.Parameters.AddWithValue("$error", (object?)outcome.Error ?? DBNull.Value);
        command.Parameters.AddWithValue("$trades", (object?)outcome.Trades ?? DBNull.Value);
        command.Parameters.Add("$times", SqliteType.Blob).Value = (object?)outcome.EquityTimes ?? DBNull.Value;
        command.Parameters.Add("$values", SqliteType.Blob).Value = (object?)outcome.EquityValues ?? DBNull.Value;
        command.Parameters.AddWithValue("$now", outcome.FinishedAt);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Jobs left queued or running by a server that stopped (or died) become failed with the error "interrupted"; returns how many.
    /// </summary>
    public int MarkInterrupted(long now)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE backtests SET status = 'failed', error = 'interrupted', finished_at = $now WHERE status IN ('queued', 'running');
            """;
        command.Parameters.AddWithValue("$now", now);
        return command.ExecuteNonQuery();
    }

    /// <summary>One job, or null.</summary>
    public StoredBacktest? Get(long seq)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM backtests WHERE seq = $seq;";
        command.Parameters.AddWithValue("$seq", seq);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    /// <summary>The newest <paramref name="limit"/> jobs, newest first.</summary>
    public IReadOnlyList<StoredBacktest> List(int limit)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM backtests ORDER BY seq DESC LIMIT $limit;";
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var list = new List<StoredBacktest>();
        while (reader.Read()) list.Add(Read(reader));
        return list;
    }

    /// <summary>The trades JSON of a job (null before it finished, or when it has none stored).</summary>
    public string? Trades(long seq)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT trades FROM backtests WHERE seq = $seq;";
        command.Parameters.AddWithValue("$seq", seq);
        return command.ExecuteScalar() as string;
    }

    /// <summary>The equity curve of a job as its two stored arrays, or null.</summary>
    public (byte[] Times, byte[] Values)? Equity(long seq)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT equity_times, equity_values FROM backtests WHERE seq = $seq;";
        command.Parameters.AddWithValue("$seq", seq);
        using var reader = command.ExecuteReader();
        if (!reader.Read() || reader.IsDBNull(0) || reader.IsDBNull(1)) return null;
        return ((byte[])reader.GetValue(0), (byte[])reader.GetValue(1));
    }

    /// <summary>Deletes a job and its results; false when there was none.</summary>
    public bool Delete(long seq)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM backtests WHERE seq = $seq;";
        command.Parameters.AddWithValue("$seq", seq);
        return command.ExecuteNonQuery() > 0;
    }

    private static StoredBacktest Read(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt64(6), r.GetInt64(7),
        r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9), r.GetInt64(10),
        r.IsDBNull(11) ? null : r.GetInt64(11), r.IsDBNull(12) ? null : r.GetInt64(12));
}
