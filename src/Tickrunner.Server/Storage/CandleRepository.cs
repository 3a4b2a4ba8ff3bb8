using Microsoft.Data.Sqlite;
using Tickrunner.Server.Candles;

namespace Tickrunner.Server.Storage;

/// <summary>The <c>candles</c> table: one-second candles per symbol, written in batches and read back at start.</summary>
public sealed class CandleRepository(TickrunnerDatabase database)
{
    /// <summary>
    /// Writes <paramref name="candles"/> in one transaction (a candle already stored for its second is replaced: the open one
    /// is written again once it closes), then keeps only the newest <paramref name="keepPerSymbol"/> of each symbol written.
    /// </summary>
    public void Save(IReadOnlyList<(string Symbol, Candle Candle)> candles, int keepPerSymbol)
    {
        if (candles.Count == 0) return;
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT OR REPLACE INTO candles (symbol, time, open, high, low, close, volume)
                VALUES ($symbol, $time, $open, $high, $low, $close, $volume);
                """;
            var symbol = insert.Parameters.Add("$symbol", SqliteType.Text);
            var time = insert.Parameters.Add("$time", SqliteType.Integer);
            var open = insert.Parameters.Add("$open", SqliteType.Real);
            var high = insert.Parameters.Add("$high", SqliteType.Real);
            var low = insert.Parameters.Add("$low", SqliteType.Real);
            var close = insert.Parameters.Add("$close", SqliteType.Real);
            var volume = insert.Parameters.Add("$volume", SqliteType.Real);
            insert.Prepare();
            foreach (var (s, c) in candles)
            {
                symbol.Value = s;
                time.Value = c.Time;
                open.Value = c.Open;
                high.Value = c.High;
                low.Value = c.Low;
                close.Value = c.Close;
                volume.Value = c.Volume;
                insert.ExecuteNonQuery();
            }
        }
        using (var prune = connection.CreateCommand())
        {
            prune.Transaction = transaction;
            // The (symbol, time) key makes both the OFFSET probe and the range delete index walks.
            prune.CommandText = """
                DELETE FROM candles WHERE symbol = $symbol
                    AND time <= (SELECT time FROM candles WHERE symbol = $symbol ORDER BY time DESC LIMIT 1 OFFSET $keep);
                """;
            var symbol = prune.Parameters.Add("$symbol", SqliteType.Text);
            prune.Parameters.AddWithValue("$keep", keepPerSymbol);
            foreach (var s in candles.Select(c => c.Symbol).Distinct(StringComparer.Ordinal))
            {
                symbol.Value = s;
                prune.ExecuteNonQuery();
            }
        }
        transaction.Commit();
    }

    /// <summary>The newest <paramref name="limit"/> candles of every symbol, oldest first per symbol.</summary>
    public Dictionary<string, List<Candle>> LoadNewest(int limit)
    {
        var bySymbol = new Dictionary<string, List<Candle>>(StringComparer.Ordinal);
        using var connection = database.Open();
        var symbols = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT DISTINCT symbol FROM candles;";
            using var reader = list.ExecuteReader();
            while (reader.Read()) symbols.Add(reader.GetString(0));
        }
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT time, open, high, low, close, volume FROM
                (SELECT * FROM candles WHERE symbol = $symbol ORDER BY time DESC LIMIT $limit) ORDER BY time;
            """;
        var symbolParameter = command.Parameters.Add("$symbol", SqliteType.Text);
        command.Parameters.AddWithValue("$limit", limit);
        foreach (var symbol in symbols)
        {
            symbolParameter.Value = symbol;
            using var reader = command.ExecuteReader();
            var candles = new List<Candle>();
            while (reader.Read())
                candles.Add(new Candle(reader.GetInt64(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5)));
            bySymbol[symbol] = candles;
        }
        return bySymbol;
    }
}
