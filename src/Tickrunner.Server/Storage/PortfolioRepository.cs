namespace Tickrunner.Server.Storage;

/// <summary>The portfolio across all runners at one time (a row of <c>portfolio_samples</c>).</summary>
public sealed record PortfolioSample(long At, double Equity, double Capital, double RealizedPnl, double UnrealizedPnl, int OpenPositions, int Runners)
{
    /// <summary>Equity less the capital the runners started with (realized and unrealized P&amp;L, the open positions' entry fees paid).</summary>
    public double Pnl => Equity - Capital;
}

/// <summary>
/// One runner's closed trades summed: how many, how many won, realized P&amp;L in all and of trades closed since a time, and
/// the largest drawdown of its closed-trade equity (initial capital plus the realized P&amp;L after each trade) from its peak, in percent.
/// </summary>
public sealed record RunnerTradeStats(string RunnerId, long Trades, long Wins, double RealizedPnl, double RealizedSince, double MaxDrawdownPct);

/// <summary>The portfolio's samples and the per-runner trade figures it shows, read from SQLite.</summary>
public sealed class PortfolioRepository(TickrunnerDatabase database)
{
    /// <summary>Stores a sample; one per millisecond (a second one at the same time replaces the first).</summary>
    public void Append(PortfolioSample sample)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT OR REPLACE INTO portfolio_samples (at, equity, capital, realized_pnl, unrealized_pnl, open_positions, runners)
            VALUES ($at, $equity, $capital, $realized, $unrealized, $open, $runners);
            """;
        command.Parameters.AddWithValue("$at", sample.At);
        command.Parameters.AddWithValue("$equity", sample.Equity);
        command.Parameters.AddWithValue("$capital", sample.Capital);
        command.Parameters.AddWithValue("$realized", sample.RealizedPnl);
        command.Parameters.AddWithValue("$unrealized", sample.UnrealizedPnl);
        command.Parameters.AddWithValue("$open", sample.OpenPositions);
        command.Parameters.AddWithValue("$runners", sample.Runners);
        command.ExecuteNonQuery();
    }

    /// <summary>Deletes all but the newest <paramref name="keep"/> samples.</summary>
    public void Prune(int keep)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            DELETE FROM portfolio_samples WHERE at < (SELECT at FROM portfolio_samples ORDER BY at DESC LIMIT 1 OFFSET $offset);
            """;
        command.Parameters.AddWithValue("$offset", keep - 1);
        command.ExecuteNonQuery();
    }

    /// <summary>Samples from <paramref name="from"/> to <paramref name="to"/> (Unix ms, both included), oldest first.</summary>
    public IReadOnlyList<PortfolioSample> Samples(long from, long to)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT at, equity, capital, realized_pnl, unrealized_pnl, open_positions, runners FROM portfolio_samples
            WHERE at >= $from AND at <= $to ORDER BY at;
            """;
        command.Parameters.AddWithValue("$from", from);
        command.Parameters.AddWithValue("$to", to);
        using var reader = command.ExecuteReader();
        var samples = new List<PortfolioSample>();
        while (reader.Read())
            samples.Add(new PortfolioSample(reader.GetInt64(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3),
                reader.GetDouble(4), reader.GetInt32(5), reader.GetInt32(6)));
        return samples;
    }

    /// <summary>The newest sample before <paramref name="time"/> (Unix ms), or null.</summary>
    public PortfolioSample? LastBefore(long time) => One("WHERE at < $time ORDER BY at DESC", time);

    /// <summary>The oldest sample at or after <paramref name="time"/> (Unix ms), or null.</summary>
    public PortfolioSample? FirstFrom(long time) => One("WHERE at >= $time ORDER BY at", time);

    private PortfolioSample? One(string where, long time)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT at, equity, capital, realized_pnl, unrealized_pnl, open_positions, runners FROM portfolio_samples {where} LIMIT 1;";
        command.Parameters.AddWithValue("$time", time);
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new PortfolioSample(reader.GetInt64(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4),
                reader.GetInt32(5), reader.GetInt32(6))
            : null;
    }

    /// <summary>
    /// What changes the trade figures: the newest trade id and the runners' rows (a removed runner's trades go with it; a runner
    /// made again under the same id has a new creation time).
    /// </summary>
    public (long LastTradeId, long Runners, long CreatedSum) Version()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT (SELECT COALESCE(MAX(id), 0) FROM trades), COUNT(*), COALESCE(SUM(created_at), 0) FROM runners;
            """;
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>
    /// Every runner's closed-trade figures (<see cref="RunnerTradeStats"/>), realized P&amp;L since <paramref name="since"/> by exit
    /// time; runners without a trade are absent. A runner's initial capital is its account's (<paramref name="defaultCapital"/>
    /// for rows stored before accounts existed).
    /// </summary>
    public IReadOnlyList<RunnerTradeStats> TradeStats(long since, double defaultCapital)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        // Equity after each trade, in trade order; its running peak starts at the initial capital, so a first losing trade
        // is a drawdown from the capital.
        command.CommandText = """
            WITH curve AS (
                SELECT t.runner_id, t.id, t.realized_pnl, t.exit_timestamp,
                       COALESCE(json_extract(r.account, '$.initial_capital'), $capital) AS capital,
                       COALESCE(json_extract(r.account, '$.initial_capital'), $capital)
                           + SUM(t.realized_pnl) OVER (PARTITION BY t.runner_id ORDER BY t.id) AS equity
                FROM trades t JOIN runners r ON r.runner_id = t.runner_id
            ), peaks AS (
                SELECT runner_id, realized_pnl, exit_timestamp, equity,
                       MAX(capital, MAX(equity) OVER (PARTITION BY runner_id ORDER BY id)) AS peak
                FROM curve
            )
            SELECT runner_id, COUNT(*), SUM(realized_pnl > 0), TOTAL(realized_pnl),
                   TOTAL(CASE WHEN exit_timestamp >= $since THEN realized_pnl END),
                   MAX(CASE WHEN peak > 0 THEN (peak - equity) / peak * 100 ELSE 0 END)
            FROM peaks GROUP BY runner_id ORDER BY runner_id;
            """;
        command.Parameters.AddWithValue("$capital", defaultCapital);
        command.Parameters.AddWithValue("$since", since);
        using var reader = command.ExecuteReader();
        var stats = new List<RunnerTradeStats>();
        while (reader.Read())
            stats.Add(new RunnerTradeStats(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetDouble(3), reader.GetDouble(4),
                Math.Max(0, reader.GetDouble(5))));
        return stats;
    }
}
