using Microsoft.Data.Sqlite;

namespace Tickrunner.Server.Storage;

/// <summary>The SQLite file: opens connections in WAL mode and creates or migrates the schema at start.</summary>
/// <remarks>
/// WAL with synchronous=NORMAL: a killed process loses no committed transaction and never corrupts the
/// file (only an OS crash may lose the last commits). Each write is one transaction.
/// </remarks>
public sealed class TickrunnerDatabase
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE strategies (
            name TEXT PRIMARY KEY,
            code TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE runners (
            runner_id TEXT PRIMARY KEY,
            symbol TEXT NOT NULL,
            strategy_name TEXT NOT NULL,
            window_size INTEGER NOT NULL,
            config TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'running',
            state TEXT NOT NULL DEFAULT 'Idle',
            position TEXT NULL,
            context TEXT NOT NULL DEFAULT '{}',
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE trades (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            runner_id TEXT NOT NULL,
            symbol TEXT NOT NULL,
            side TEXT NOT NULL,
            quantity REAL NOT NULL,
            entry_price REAL NOT NULL,
            entry_timestamp INTEGER NOT NULL,
            exit_price REAL NOT NULL,
            exit_timestamp INTEGER NOT NULL,
            realized_pnl REAL NOT NULL,
            reason TEXT NOT NULL
        );
        CREATE INDEX trades_by_runner ON trades (runner_id, id);
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
        // A trade is recorded once, even when a lagging journal re-syncs from the runner's memory.
        """
        CREATE UNIQUE INDEX trades_unique ON trades (runner_id, entry_timestamp, exit_timestamp, entry_price, exit_price);
        """,
        // Paper accounts: a runner's account settings; each trade's fees (its realized_pnl is net of them from now on).
        """
        ALTER TABLE runners ADD COLUMN account TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE trades ADD COLUMN fees REAL NOT NULL DEFAULT 0;
        """,
        // Backtest jobs: what was asked (strategy code as submitted, dataset, settings as BacktestJson), how it ended, and the
        // results: the report and trades as BacktestJson, the equity curve as two little-endian arrays (int64 times, float64 equity).
        """
        CREATE TABLE backtests (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            strategy_name TEXT NOT NULL,
            code TEXT NOT NULL,
            dataset TEXT NOT NULL,
            symbol TEXT NOT NULL,
            settings TEXT NOT NULL,
            status TEXT NOT NULL,
            bars_total INTEGER NOT NULL DEFAULT 0,
            bars_done INTEGER NOT NULL DEFAULT 0,
            report TEXT NULL,
            error TEXT NULL,
            trades TEXT NULL,
            equity_times BLOB NULL,
            equity_values BLOB NULL,
            created_at INTEGER NOT NULL,
            started_at INTEGER NULL,
            finished_at INTEGER NULL
        );
        CREATE INDEX backtests_by_status ON backtests (status);
        """,
        // Strategy parameters: a runner's values for its strategy's declared parameters, as a JSON object.
        """
        ALTER TABLE runners ADD COLUMN params TEXT NOT NULL DEFAULT '{}';
        """,
        // Access: API keys (a salted SHA-256 of the secret, never the secret), dashboard sessions (a SHA-256 of the cookie's
        // token) and the audit log of state-changing requests. A name is unique among keys not revoked.
        """
        CREATE TABLE api_keys (
            key_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            scope TEXT NOT NULL,
            salt BLOB NOT NULL,
            hash BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER NULL
        );
        CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
        CREATE TABLE sessions (
            token_hash BLOB PRIMARY KEY,
            key_id TEXT NOT NULL REFERENCES api_keys (key_id),
            csrf_token TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            key_name TEXT NULL,
            address TEXT NULL,
            method TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NULL,
            status INTEGER NOT NULL,
            outcome TEXT NOT NULL
        );
        CREATE INDEX audit_by_time ON audit (at);
        """,
        // Optimization jobs: what was asked (code as submitted, settings as OptimizationJson), live counts as they ended, the
        // result without its trials (space, best, top, statistics, walk-forward windows) as JSON, and the stitched walk-forward
        // equity as two little-endian arrays like a backtest's. Each trial is a row of its own, with the metrics it is sorted by
        // in columns, so a page of 100,000 trials is one indexed query.
        """
        CREATE TABLE optimizations (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            strategy_name TEXT NOT NULL,
            code TEXT NOT NULL,
            dataset TEXT NOT NULL,
            symbol TEXT NOT NULL,
            method TEXT NOT NULL,
            objective TEXT NOT NULL,
            settings TEXT NOT NULL,
            status TEXT NOT NULL,
            progress REAL NOT NULL DEFAULT 0,
            trials_done INTEGER NOT NULL DEFAULT 0,
            trials_planned INTEGER NOT NULL DEFAULT 0,
            current_window INTEGER NOT NULL DEFAULT 0,
            windows INTEGER NOT NULL DEFAULT 1,
            best_objective REAL NULL,
            best_params TEXT NULL,
            result TEXT NULL,
            equity_times BLOB NULL,
            equity_values BLOB NULL,
            error TEXT NULL,
            created_at INTEGER NOT NULL,
            started_at INTEGER NULL,
            finished_at INTEGER NULL
        );
        CREATE INDEX optimizations_by_status ON optimizations (status);
        CREATE TABLE optimization_trials (
            optimization_seq INTEGER NOT NULL REFERENCES optimizations (seq) ON DELETE CASCADE,
            trial INTEGER NOT NULL,
            params TEXT NOT NULL,
            status TEXT NOT NULL,
            objective REAL NULL,
            note TEXT NULL,
            total_return_pct REAL NULL,
            sharpe REAL NULL,
            max_drawdown_pct REAL NULL,
            trades INTEGER NULL,
            report TEXT NULL,
            PRIMARY KEY (optimization_seq, trial)
        ) WITHOUT ROWID;
        """,
        // Risk limits: a runner's limits as its definition (JSON in the wire form, NULL for none) and its guard's state (the
        // UTC day, its start equity and block, the peak, the entries of the last hour, the refusals) as of the last checkpoint.
        """
        ALTER TABLE runners ADD COLUMN risk TEXT NULL;
        ALTER TABLE runners ADD COLUMN risk_state TEXT NULL;
        """,
        // The portfolio across runners, sampled at an interval for its curve: equity, the capital it started from, realized and
        // unrealized P&L, open positions and runners at that time.
        """
        CREATE TABLE portfolio_samples (
            at INTEGER PRIMARY KEY,
            equity REAL NOT NULL,
            capital REAL NOT NULL,
            realized_pnl REAL NOT NULL,
            unrealized_pnl REAL NOT NULL,
            open_positions INTEGER NOT NULL,
            runners INTEGER NOT NULL
        );
        """,
        // Each symbol's one-second candles as the feed delivered them (the chart's history beyond a runner's window), keyed by
        // symbol and bucket start (Unix ms); pruned to Tickrunner:Candles:MaxPerSymbol per symbol.
        """
        CREATE TABLE candles (
            symbol TEXT NOT NULL,
            time INTEGER NOT NULL,
            open REAL NOT NULL,
            high REAL NOT NULL,
            low REAL NOT NULL,
            close REAL NOT NULL,
            volume REAL NOT NULL,
            PRIMARY KEY (symbol, time)
        ) WITHOUT ROWID;
        """,
        // What each runner's strategy plots (plot()): its series in the order they appeared (value vN of a point belongs to the
        // series at position N; lines a JSON array of numbers), and the one-second points, the last value of each series in that
        // second (NULL: none); pruned to Tickrunner:Plots:MaxPerRunner per runner, dropped with the runner.
        """
        CREATE TABLE plot_series (
            runner_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            pane TEXT NOT NULL,
            color TEXT NOT NULL,
            lines TEXT NOT NULL,
            PRIMARY KEY (runner_id, position)
        ) WITHOUT ROWID;
        CREATE TABLE plots (
            runner_id TEXT NOT NULL,
            time INTEGER NOT NULL,
            v0 REAL NULL, v1 REAL NULL, v2 REAL NULL, v3 REAL NULL, v4 REAL NULL, v5 REAL NULL, v6 REAL NULL,
            PRIMARY KEY (runner_id, time)
        ) WITHOUT ROWID;
        """,
    ];

    private readonly string _connectionString;

    /// <summary>Uses <c>tickrunner.db</c> in <paramref name="dataDirectory"/> (created if missing).</summary>
    public TickrunnerDatabase(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        FilePath = Path.GetFullPath(Path.Combine(dataDirectory, "tickrunner.db"));
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string FilePath { get; }

    /// <summary>The schema version after <see cref="Migrate"/>.</summary>
    public int SchemaVersion { get; private set; }

    /// <summary>An open connection.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Switches to WAL and applies the migrations the file has not seen (tracked in user_version).</summary>
    public void Migrate()
    {
        using var connection = Open();
        Execute(connection, "PRAGMA journal_mode = WAL;");
        var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);
        if (version > Migrations.Length)
            throw new InvalidOperationException($"{FilePath} has schema version {version}, newer than this server knows ({Migrations.Length}).");
        for (var i = version; i < Migrations.Length; i++)
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, Migrations[i], transaction);
            Execute(connection, $"PRAGMA user_version = {i + 1};", transaction);
            transaction.Commit();
        }
        SchemaVersion = Migrations.Length;
    }

    /// <summary>True when the file answers a query.</summary>
    public bool IsHealthy(out string? problem)
    {
        try
        {
            using var connection = Open();
            Scalar(connection, "SELECT 1;");
            problem = null;
            return true;
        }
        catch (Exception e)
        {
            problem = e.Message;
            return false;
        }
    }

    /// <summary>A setting, or null.</summary>
    public string? GetSetting(string key)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM settings WHERE key = $key;";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as string;
    }

    /// <summary>Writes a setting.</summary>
    public void SetSetting(string key, string value)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO settings (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value;";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

    /// <summary>Removes a setting (nothing when there is none).</summary>
    public void DeleteSetting(string key)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM settings WHERE key = $key;";
        command.Parameters.AddWithValue("$key", key);
        command.ExecuteNonQuery();
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
