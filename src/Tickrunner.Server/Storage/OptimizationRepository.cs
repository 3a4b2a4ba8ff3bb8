using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Tickrunner.Server.Storage;

/// <summary>An optimization row without its large columns (code, equity).</summary>
public sealed record StoredOptimization(long Seq, string StrategyName, string Dataset, string Symbol, string Method, string Objective,
    string Settings, string Status, double Progress, int TrialsDone, int TrialsPlanned, int Window, int Windows, double? BestObjective,
    string? BestParams, string? Result, string? Error, long CreatedAt, long? StartedAt, long? FinishedAt);

/// <summary>How an optimization ended: its last counts and, when done, the result summary (JSON) and the walk-forward equity.</summary>
public sealed record OptimizationOutcome(string Status, double Progress, int TrialsDone, int TrialsPlanned, int Window, int Windows,
    double? BestObjective, string? BestParams, string? Result, byte[]? EquityTimes, byte[]? EquityValues, string? Error, long FinishedAt);

/// <summary>One trial's row: its values and report as JSON, and the metrics it can be sorted by.</summary>
public sealed record StoredTrial(int Trial, string Params, string Status, double? Objective, string? Note, double? TotalReturnPct,
    double? Sharpe, double? MaxDrawdownPct, int? Trades, string? Report);

/// <summary>What a page of trials is ordered by.</summary>
public enum TrialSort
{
    /// <summary>The trial number.</summary>
    Trial,
    /// <summary>The objective; trials whose objective does not count come last whichever the order, themselves by objective (undefined last).</summary>
    Objective,
    /// <summary>The report's total return.</summary>
    TotalReturnPct,
    /// <summary>The report's Sharpe ratio (undefined ones last).</summary>
    Sharpe,
    /// <summary>The report's maximum drawdown.</summary>
    MaxDrawdownPct,
    /// <summary>The report's closed trades.</summary>
    Trades,
}

/// <summary>Optimization jobs (<c>optimizations</c>) and their trials (<c>optimization_trials</c>).</summary>
public sealed class OptimizationRepository(TickrunnerDatabase database)
{
    private const string Head =
        "seq, strategy_name, dataset, symbol, method, objective, settings, status, progress, trials_done, trials_planned, current_window, "
        + "windows, best_objective, best_params";
    private const string Tail = "error, created_at, started_at, finished_at";

    /// <summary>Stores a new queued job; returns its number.</summary>
    public long Insert(string strategyName, string code, string dataset, string symbol, string method, string objective, string settings,
        int trialsPlanned, long createdAt)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO optimizations (strategy_name, code, dataset, symbol, method, objective, settings, status, trials_planned, created_at)
            VALUES ($strategy, $code, $dataset, $symbol, $method, $objective, $settings, 'queued', $planned, $now) RETURNING seq;
            """;
        command.Parameters.AddWithValue("$strategy", strategyName);
        command.Parameters.AddWithValue("$code", code);
        command.Parameters.AddWithValue("$dataset", dataset);
        command.Parameters.AddWithValue("$symbol", symbol);
        command.Parameters.AddWithValue("$method", method);
        command.Parameters.AddWithValue("$objective", objective);
        command.Parameters.AddWithValue("$settings", settings);
        command.Parameters.AddWithValue("$planned", trialsPlanned);
        command.Parameters.AddWithValue("$now", createdAt);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Marks a job running.</summary>
    public void SetRunning(long seq, long startedAt)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE optimizations SET status = 'running', started_at = $now WHERE seq = $seq;";
        command.Parameters.AddWithValue("$seq", seq);
        command.Parameters.AddWithValue("$now", startedAt);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Stores how a job ended and its trials in one transaction. <paramref name="trials"/> is enumerated once, row by row, so
    /// the caller can make each row as it is written.
    /// </summary>
    public void Finish(long seq, OptimizationOutcome outcome, IEnumerable<StoredTrial> trials)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT OR REPLACE INTO optimization_trials
                    (optimization_seq, trial, params, status, objective, note, total_return_pct, sharpe, max_drawdown_pct, trades, report)
                VALUES ($seq, $trial, $params, $status, $objective, $note, $return, $sharpe, $drawdown, $trades, $report);
                """;
            var p = insert.Parameters;
            p.AddWithValue("$seq", seq);
            var trial = p.Add("$trial", SqliteType.Integer);
            var values = p.Add("$params", SqliteType.Text);
            var status = p.Add("$status", SqliteType.Text);
            var objective = p.Add("$objective", SqliteType.Real);
            var note = p.Add("$note", SqliteType.Text);
            var totalReturn = p.Add("$return", SqliteType.Real);
            var sharpe = p.Add("$sharpe", SqliteType.Real);
            var drawdown = p.Add("$drawdown", SqliteType.Real);
            var trades = p.Add("$trades", SqliteType.Integer);
            var report = p.Add("$report", SqliteType.Text);
            insert.Prepare();
            foreach (var row in trials)
            {
                trial.Value = row.Trial;
                values.Value = row.Params;
                status.Value = row.Status;
                objective.Value = Number(row.Objective);
                note.Value = (object?)row.Note ?? DBNull.Value;
                totalReturn.Value = Number(row.TotalReturnPct);
                sharpe.Value = Number(row.Sharpe);
                drawdown.Value = Number(row.MaxDrawdownPct);
                trades.Value = (object?)row.Trades ?? DBNull.Value;
                report.Value = (object?)row.Report ?? DBNull.Value;
                insert.ExecuteNonQuery();
            }
        }
        using (var update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = """
                UPDATE optimizations SET status = $status, progress = $progress, trials_done = $done, trials_planned = $planned,
                    current_window = $window, windows = $windows, best_objective = $best, best_params = $params, result = $result,
                    equity_times = $times, equity_values = $values, error = $error, finished_at = $now
                WHERE seq = $seq;
                """;
            var p = update.Parameters;
            p.AddWithValue("$seq", seq);
            p.AddWithValue("$status", outcome.Status);
            p.AddWithValue("$progress", outcome.Progress);
            p.AddWithValue("$done", outcome.TrialsDone);
            p.AddWithValue("$planned", outcome.TrialsPlanned);
            p.AddWithValue("$window", outcome.Window);
            p.AddWithValue("$windows", outcome.Windows);
            p.Add("$best", SqliteType.Real).Value = Number(outcome.BestObjective);
            p.AddWithValue("$params", (object?)outcome.BestParams ?? DBNull.Value);
            p.AddWithValue("$result", (object?)outcome.Result ?? DBNull.Value);
            p.Add("$times", SqliteType.Blob).Value = (object?)outcome.EquityTimes ?? DBNull.Value;
            p.Add("$values", SqliteType.Blob).Value = (object?)outcome.EquityValues ?? DBNull.Value;
            p.AddWithValue("$error", (object?)outcome.Error ?? DBNull.Value);
            p.AddWithValue("$now", outcome.FinishedAt);
            update.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>
    /// Jobs left queued or running by a server that stopped (or died) become failed with the error "interrupted"; returns how many.
    /// </summary>
    public int MarkInterrupted(long now)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE optimizations SET status = 'failed', error = 'interrupted', finished_at = $now WHERE status IN ('queued', 'running');
            """;
        command.Parameters.AddWithValue("$now", now);
        return command.ExecuteNonQuery();
    }

    /// <summary>One job, or null.</summary>
    public StoredOptimization? Get(long seq)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Head}, result, {Tail} FROM optimizations WHERE seq = $seq;";
        command.Parameters.AddWithValue("$seq", seq);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    /// <summary>The newest <paramref name="limit"/> jobs, newest first, without their result summaries.</summary>
    public IReadOnlyList<StoredOptimization> List(int limit)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Head}, NULL, {Tail} FROM optimizations ORDER BY seq DESC LIMIT $limit;";
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var list = new List<StoredOptimization>();
        while (reader.Read()) list.Add(Read(reader));
        return list;
    }

    /// <summary>
    /// A page of a job's trials and how many it has, ordered by <paramref name="sort"/> (ties by trial number, ascending),
    /// undefined values last whichever the order.
    /// </summary>
    public (int Total, IReadOnlyList<StoredTrial> Trials) Trials(long seq, TrialSort sort, bool descending, int offset, int limit)
    {
        var direction = descending ? "DESC" : "ASC";
        // Column names come from this switch only, never from the request.
        var order = sort switch
        {
            TrialSort.Trial => $"trial {direction}",
            TrialSort.Objective => $"(status = 'ok' AND objective IS NOT NULL) DESC, (objective IS NULL), objective {direction}, trial",
            _ => $"({Column(sort)} IS NULL), {Column(sort)} {direction}, trial",
        };
        using var connection = database.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM optimization_trials WHERE optimization_seq = $seq;";
        count.Parameters.AddWithValue("$seq", seq);
        var total = Convert.ToInt32(count.ExecuteScalar(), CultureInfo.InvariantCulture);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT trial, params, status, objective, note, total_return_pct, sharpe, max_drawdown_pct, trades, report
            FROM optimization_trials WHERE optimization_seq = $seq ORDER BY {order} LIMIT $limit OFFSET $offset;
            """;
        command.Parameters.AddWithValue("$seq", seq);
        command.Parameters.AddWithValue("$limit", limit);
        command.Parameters.AddWithValue("$offset", offset);
        using var reader = command.ExecuteReader();
        var rows = new List<StoredTrial>();
        while (reader.Read())
        {
            rows.Add(new StoredTrial(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), Real(reader, 3),
                reader.IsDBNull(4) ? null : reader.GetString(4), Real(reader, 5), Real(reader, 6), Real(reader, 7),
                reader.IsDBNull(8) ? null : reader.GetInt32(8), reader.IsDBNull(9) ? null : reader.GetString(9)));
        }
        return (total, rows);
    }

    /// <summary>The stitched walk-forward equity of a job as its two stored arrays, or null.</summary>
    public (byte[] Times, byte[] Values)? Equity(long seq)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT equity_times, equity_values FROM optimizations WHERE seq = $seq;";
        command.Parameters.AddWithValue("$seq", seq);
        using var reader = command.ExecuteReader();
        if (!reader.Read() || reader.IsDBNull(0) || reader.IsDBNull(1)) return null;
        return ((byte[])reader.GetValue(0), (byte[])reader.GetValue(1));
    }

    /// <summary>Deletes a job and its trials in one transaction; false when there was none.</summary>
    public bool Delete(long seq)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using var trials = connection.CreateCommand();
        trials.Transaction = transaction;
        trials.CommandText = "DELETE FROM optimization_trials WHERE optimization_seq = $seq;";
        trials.Parameters.AddWithValue("$seq", seq);
        trials.ExecuteNonQuery();
        using var job = connection.CreateCommand();
        job.Transaction = transaction;
        job.CommandText = "DELETE FROM optimizations WHERE seq = $seq;";
        job.Parameters.AddWithValue("$seq", seq);
        var deleted = job.ExecuteNonQuery() > 0;
        transaction.Commit();
        return deleted;
    }

    private static string Column(TrialSort sort) => sort switch
    {
        TrialSort.TotalReturnPct => "total_return_pct",
        TrialSort.Sharpe => "sharpe",
        TrialSort.MaxDrawdownPct => "max_drawdown_pct",
        TrialSort.Trades => "trades",
        _ => throw new ArgumentOutOfRangeException(nameof(sort), sort, null),
    };

    // SQLite stores NaN as NULL anyway; saying so keeps a non-finite metric from sorting as a number.
    private static object Number(double? value) => value is { } v && double.IsFinite(v) ? v : DBNull.Value;

    private static double? Real(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDouble(i);

    private static StoredOptimization Read(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetString(7),
        r.GetDouble(8), r.GetInt32(9), r.GetInt32(10), r.GetInt32(11), r.GetInt32(12), Real(r, 13), r.IsDBNull(14) ? null : r.GetString(14),
        r.IsDBNull(15) ? null : r.GetString(15), r.IsDBNull(16) ? null : r.GetString(16), r.GetInt64(17),
        r.IsDBNull(18) ? null : r.GetInt64(18), r.IsDBNull(19) ? null : r.GetInt64(19));
}
