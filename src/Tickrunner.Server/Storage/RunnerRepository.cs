using Tickrunner.Engine.Strategies;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Trading;
using Tickrunner.Engine.Wire;

namespace Tickrunner.Server.Storage;

/// <summary>A runner as stored: its definition and what it resumes with.</summary>
public sealed record StoredRunner(RunnerDefinition Definition, RunnerRestore Restore);

/// <summary>Runner definitions, their durable state (status, state, open position, context) and the trade journal.</summary>
public sealed class RunnerRepository(TickrunnerDatabase database)
{
    // Infinity and NaN are stored as the strings "Infinity" and "NaN" rather than failing the write: a stored
    // position or context must never make a checkpoint, the journal or a restart fail.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    // A runner's config is stored in its wire form (stop_on_error, log_actions, …), the keys every database
    // written so far holds.
    private static readonly JsonSerializerOptions ConfigJson = WireJson.Options;

    private static readonly JsonSerializerOptions ContextJson = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Stores a new runner; <see cref="RunnerAlreadyStoredException"/> when a row with its id exists.</summary>
    public void Insert(RunnerDefinition definition)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO runners (runner_id, symbol, strategy_name, window_size, config, account, params, risk, created_at, updated_at)
            VALUES ($id, $symbol, $strategy, $window, $config, $account, $params, $risk, $now, $now);
            """;
        command.Parameters.AddWithValue("$id", definition.RunnerId);
        command.Parameters.AddWithValue("$symbol", definition.Symbol);
        command.Parameters.AddWithValue("$strategy", definition.StrategyName);
        command.Parameters.AddWithValue("$window", definition.WindowSize);
        command.Parameters.AddWithValue("$config", JsonSerializer.Serialize(definition.Config, ConfigJson));
        command.Parameters.AddWithValue("$account", JsonSerializer.Serialize(definition.Account, ConfigJson));
        command.Parameters.AddWithValue("$params", JsonSerializer.Serialize(definition.Params ?? new Dictionary<string, object>(), ConfigJson));
        command.Parameters.AddWithValue("$risk", RiskJson(definition.Risk));
        command.Parameters.AddWithValue("$now", now);
        try
        {
            command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint) // runner_id is the only constraint a new row can break
        {
            throw new RunnerAlreadyStoredException(definition.RunnerId, e);
        }
    }

    private const int SqliteConstraint = 19;

    /// <summary>Removes a runner and its trades, in one transaction.</summary>
    public void Delete(string runnerId)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        foreach (var sql in new[] { "DELETE FROM trades WHERE runner_id = $id;", "DELETE FROM runners WHERE runner_id = $id;" })
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            command.Parameters.AddWithValue("$id", runnerId);
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>Every stored runner, oldest first.</summary>
    public IReadOnlyList<StoredRunner> List()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT r.runner_id, r.symbol, r.strategy_name, r.window_size, r.config, r.status, r.state, r.position, r.context, r.account,
                   (SELECT COALESCE(SUM(t.realized_pnl), 0) FROM trades t WHERE t.runner_id = r.runner_id),
                   (SELECT COALESCE(SUM(t.fees), 0) FROM trades t WHERE t.runner_id = r.runner_id),
                   r.params, r.risk, r.risk_state
            FROM runners r ORDER BY r.created_at, r.runner_id;
            """;
        using var reader = command.ExecuteReader();
        var runners = new List<StoredRunner>();
        while (reader.Read())
        {
            var definition = new RunnerDefinition
            {
                RunnerId = reader.GetString(0),
                Symbol = reader.GetString(1),
                StrategyName = reader.GetString(2),
                WindowSize = reader.GetInt32(3),
                Config = JsonSerializer.Deserialize<RunnerConfig>(reader.GetString(4), ConfigJson) ?? new RunnerConfig(),
                Account = JsonSerializer.Deserialize<AccountSettings>(reader.GetString(9), ConfigJson) ?? AccountSettings.Default,
                Params = StoredParams(reader.GetString(12)),
                Risk = reader.IsDBNull(13) ? null : JsonSerializer.Deserialize<RiskLimits>(reader.GetString(13), ConfigJson),
            };
            var riskState = definition.Risk is null || reader.IsDBNull(14) ? null : JsonSerializer.Deserialize<RiskState>(reader.GetString(14), Json);
            var status = reader.GetString(5) switch { "paused" => RunnerStatus.Paused, "stopped" => RunnerStatus.Stopped, _ => RunnerStatus.Running };
            var state = Enum.TryParse<TradingState>(reader.GetString(6), out var s) ? s : TradingState.Idle;
            var position = reader.IsDBNull(7) ? null : JsonSerializer.Deserialize<StoredPosition>(reader.GetString(7), Json)?.ToPosition();
            if (position is null && state == TradingState.InPosition) state = TradingState.Idle;
            if (position is not null && state != TradingState.InPosition) position = null;
            // The account's closed-trade totals come from the journal of trades (realized_pnl is net of fees).
            runners.Add(new StoredRunner(definition, new RunnerRestore(status, state, position, ReadContext(reader.GetString(8)),
                reader.GetDouble(10), reader.GetDouble(11), riskState)));
        }
        return runners;
    }

    /// <summary>Records the status a runner was put in.</summary>
    public void SetStatus(string runnerId, RunnerStatus status) =>
        Update(runnerId, "status = $status", ("$status", StatusName(status)));

    /// <summary>Records the state and open position after a transition.</summary>
    public void SetState(string runnerId, TradingState state, Position? position) =>
        Update(runnerId, "state = $state, position = $position",
            ("$state", state.ToString()), ("$position", position is null ? DBNull.Value : JsonSerializer.Serialize(StoredPosition.From(position), Json)));

    /// <summary>
    /// Checkpoints a runner's context scalars, and nothing else. Status, state and position are written where
    /// they change (the steering request before its answer, the journal in event order): a snapshot taken a
    /// moment earlier must not overwrite a newer pause, stop or close.
    /// </summary>
    /// <remarks>The risk guard's state goes with the context: what a restart resumes the day's block, the peak and the hour's entries from.</remarks>
    public void Checkpoint(RunnerSnapshot snapshot) =>
        Update(snapshot.RunnerId, "context = $context, risk_state = $risk_state", ("$context", WriteContext(snapshot.Context)),
            ("$risk_state", snapshot.RiskState is { } state && snapshot.Risk is not null ? JsonSerializer.Serialize(state, Json) : DBNull.Value));

    /// <summary>Records a runner's new risk limits (null: none) with the guard's state as it was when they changed.</summary>
    public void SetRisk(string runnerId, RiskLimits? limits, RiskState? state) =>
        Update(runnerId, "risk = $risk, risk_state = $risk_state", ("$risk", RiskJson(limits)),
            ("$risk_state", limits is not null && state is not null ? JsonSerializer.Serialize(state, Json) : DBNull.Value));

    private static object RiskJson(RiskLimits? limits) => limits is null ? DBNull.Value : JsonSerializer.Serialize(limits, ConfigJson);

    /// <summary>True when a runner with that id is stored (restored or not).</summary>
    public bool Exists(string runnerId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM runners WHERE runner_id = $id;";
        command.Parameters.AddWithValue("$id", runnerId);
        return command.ExecuteScalar() is not null;
    }

    /// <summary>Appends a closed trade (once) and, unless told otherwise, clears the runner's open position, in one transaction.</summary>
    public void RecordTrade(string runnerId, string symbol, Position closed, string reason, bool clearPosition = true)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT OR IGNORE INTO trades (runner_id, symbol, side, quantity, entry_price, entry_timestamp, exit_price, exit_timestamp, realized_pnl, fees, reason)
                SELECT $id, $symbol, $side, $quantity, $entry, $entry_ts, $exit, $exit_ts, $pnl, $fees, $reason
                WHERE EXISTS (SELECT 1 FROM runners WHERE runner_id = $id);
                """;
            insert.Parameters.AddWithValue("$id", runnerId);
            insert.Parameters.AddWithValue("$symbol", symbol);
            insert.Parameters.AddWithValue("$side", closed.Side.ToString());
            insert.Parameters.AddWithValue("$quantity", closed.Quantity);
            insert.Parameters.AddWithValue("$entry", closed.EntryPrice);
            insert.Parameters.AddWithValue("$entry_ts", closed.EntryTimestamp);
            insert.Parameters.AddWithValue("$exit", closed.ExitPrice ?? closed.CurrentPrice);
            insert.Parameters.AddWithValue("$exit_ts", closed.ExitTimestamp ?? 0);
            insert.Parameters.AddWithValue("$pnl", closed.NetPnl ?? 0);
            insert.Parameters.AddWithValue("$fees", closed.Fees);
            insert.Parameters.AddWithValue("$reason", reason);
            insert.ExecuteNonQuery();
        }
        if (clearPosition)
        {
            using var update = connection.CreateCommand();
            update.Transaction = transaction;
            update.CommandText = "UPDATE runners SET state = 'Idle', position = NULL, updated_at = $now WHERE runner_id = $id;";
            update.Parameters.AddWithValue("$id", runnerId);
            update.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            update.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>
    /// A runner's closed trades, oldest first: the newest <paramref name="limit"/>, or with <paramref name="offset"/> the
    /// <paramref name="limit"/> from that position in closing order (paging). <paramref name="from"/> and <paramref name="to"/>
    /// (Unix ms, inclusive) keep only trades open at some time in that range.
    /// </summary>
    public IReadOnlyList<TradeRecord> Trades(string runnerId, int limit, long? offset = null, long? from = null, long? to = null)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        const string Columns = "id, runner_id, symbol, side, quantity, entry_price, entry_timestamp, exit_price, exit_timestamp, realized_pnl, reason, fees";
        const string Where = "runner_id = $id AND exit_timestamp >= $from AND entry_timestamp <= $to";
        command.CommandText = offset is null
            ? $"SELECT {Columns} FROM (SELECT * FROM trades WHERE {Where} ORDER BY id DESC LIMIT $limit) ORDER BY id;"
            : $"SELECT {Columns} FROM trades WHERE {Where} ORDER BY id LIMIT $limit OFFSET $offset;";
        command.Parameters.AddWithValue("$id", runnerId);
        command.Parameters.AddWithValue("$limit", limit);
        command.Parameters.AddWithValue("$offset", offset ?? 0);
        command.Parameters.AddWithValue("$from", from ?? long.MinValue);
        command.Parameters.AddWithValue("$to", to ?? long.MaxValue);
        using var reader = command.ExecuteReader();
        var trades = new List<TradeRecord>();
        while (reader.Read())
            trades.Add(new TradeRecord(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetDouble(4),
                reader.GetDouble(5), reader.GetInt64(6), reader.GetDouble(7), reader.GetInt64(8), reader.GetDouble(9), reader.GetString(10),
                reader.GetDouble(11)));
        return trades;
    }

    /// <summary>The totals of all of a runner's closed trades.</summary>
    public TradeTotals TradeTotals(string runnerId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COUNT(*), COALESCE(SUM(realized_pnl > 0), 0), COALESCE(SUM(realized_pnl), 0), COALESCE(SUM(fees), 0),
                   MIN(entry_timestamp), MAX(exit_timestamp)
            FROM trades WHERE runner_id = $id;
            """;
        command.Parameters.AddWithValue("$id", runnerId);
        using var reader = command.ExecuteReader();
        reader.Read();
        var count = reader.GetInt64(0);
        var wins = reader.GetInt64(1);
        return new TradeTotals(count, wins, count == 0 ? null : 100.0 * wins / count, reader.GetDouble(2), reader.GetDouble(3),
            reader.IsDBNull(4) ? null : reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetInt64(5));
    }

    /// <summary>Runner ids that use a strategy.</summary>
    public IReadOnlyList<string> RunnersUsing(string strategyName)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT runner_id FROM runners WHERE strategy_name = $name ORDER BY runner_id;";
        command.Parameters.AddWithValue("$name", strategyName);
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read()) ids.Add(reader.GetString(0));
        return ids;
    }

    private void Update(string runnerId, string assignments, params (string Name, object Value)[] values)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE runners SET {assignments}, updated_at = $now WHERE runner_id = $id;";
        command.Parameters.AddWithValue("$id", runnerId);
        command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        foreach (var (name, value) in values) command.Parameters.AddWithValue(name, value);
        command.ExecuteNonQuery();
    }

    private static string StatusName(RunnerStatus status) => status switch
    {
        RunnerStatus.Paused => "paused",
        RunnerStatus.Stopped => "stopped",
        _ => "running",
    };

    // Context values keep their Lua type across a restart: ["i", 2] is an integer, ["f", 2.0] a float,
    // ["s", …] a string, ["b", …] a boolean.
    private static string WriteContext(IReadOnlyDictionary<string, object> context) =>
        JsonSerializer.Serialize(context.ToDictionary(e => e.Key, e => e.Value switch
        {
            long or int => new object[] { "i", e.Value },
            double d => new object[] { "f", d },
            bool b => new object[] { "b", b },
            _ => new object[] { "s", e.Value.ToString() ?? "" },
        }), ContextJson);

    private static Dictionary<string, object> ReadContext(string json)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Value is { ValueKind: JsonValueKind.Array } typed && typed.GetArrayLength() == 2)
            {
                object? typedValue = (typed[0].GetString(), typed[1]) switch
                {
                    ("i", { ValueKind: JsonValueKind.Number } n) when n.TryGetInt64(out var l) => l,
                    ("f", { ValueKind: JsonValueKind.Number } n) => n.GetDouble(),
                    ("f", { ValueKind: JsonValueKind.String } t) when double.TryParse(t.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                    ("b", { ValueKind: JsonValueKind.True or JsonValueKind.False } b) => b.GetBoolean(),
                    ("s", { ValueKind: JsonValueKind.String } t) => t.GetString(),
                    _ => null,
                };
                if (typedValue is not null) result[property.Name] = typedValue;
                continue;
            }
            object? value = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number when property.Value.TryGetInt64(out var l) && !property.Value.GetRawText().Contains('.') => l,
                JsonValueKind.Number => property.Value.GetDouble(),
                _ => null,
            };
            if (value is not null) result[property.Name] = value;
        }
        return result;
    }

    // JSON scalars back to plain values; an empty object is no overrides.
    private static IReadOnlyDictionary<string, object>? StoredParams(string json)
    {
        var stored = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json, ConfigJson);
        if (stored is null || stored.Count == 0) return null;
        return stored.Where(p => StrategyParameter.Plain(p.Value) is not null)
            .ToDictionary(p => p.Key, p => StrategyParameter.Plain(p.Value)!, StringComparer.Ordinal);
    }
}

/// <summary>A closed trade from the journal; its realized P&amp;L is net of <see cref="Fees"/> (entry and exit).</summary>
public sealed record TradeRecord(long Id, string RunnerId, string Symbol, string Side, double Quantity, double EntryPrice,
    long EntryTimestamp, double ExitPrice, long ExitTimestamp, double RealizedPnl, string Reason, double Fees);

/// <summary>
/// A runner's closed trades in sum: how many, how many won (net P&amp;L above 0) and their share in percent (null without
/// trades), the net P&amp;L and the fees, and the first entry and last exit (Unix ms).
/// </summary>
public sealed record TradeTotals(long Trades, long Wins, double? WinRatePct, double NetPnl, double Fees, long? FirstEntryTimestamp, long? LastExitTimestamp);

/// <summary>An open position as stored in the runners table.</summary>
internal sealed record StoredPosition(string Side, double EntryPrice, double Quantity, long EntryTimestamp, double CurrentPrice,
    double? StopLoss, double? TakeProfit, double EntryFee = 0)
{
    public static StoredPosition From(Position p) =>
        new(p.Side.ToString(), p.EntryPrice, p.Quantity, p.EntryTimestamp, p.CurrentPrice, p.StopLoss, p.TakeProfit, p.EntryFee);

    // A position the engine would refuse to open (non-finite or non-positive price or size) is not restored:
    // the runner comes back idle rather than failing every runner's restore.
    public Position? ToPosition() => Enum.TryParse<PositionSide>(Side, out var side)
        && double.IsFinite(EntryPrice) && EntryPrice > 0 && double.IsFinite(Quantity) && Quantity > 0
        ? new Position(side, EntryPrice, Quantity, EntryTimestamp, StopLoss, TakeProfit, EntryFee)
        : null;
}
