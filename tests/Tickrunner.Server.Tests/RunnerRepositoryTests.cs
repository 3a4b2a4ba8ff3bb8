using Microsoft.Data.Sqlite;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Trading;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Tests;

/// <summary>The runner rows on their own: what is written, what an older database holds, what reads back.</summary>
public sealed class RunnerRepositoryTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("tickrunner-repo-").FullName;
    private readonly TickrunnerDatabase _database;
    private readonly RunnerRepository _runners;

    public RunnerRepositoryTests()
    {
        _database = new TickrunnerDatabase(_data);
        _database.Migrate();
        _runners = new RunnerRepository(_database);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private static RunnerDefinition Definition(string id, RunnerConfig? config = null) =>
        new() { RunnerId = id, Symbol = "BTCUSDT", StrategyName = "ema_crossover", WindowSize = 50, Config = config ?? new RunnerConfig() };

    private string StoredConfig(string id)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT config FROM runners WHERE runner_id = $id;";
        command.Parameters.AddWithValue("$id", id);
        return (string)command.ExecuteScalar()!;
    }

    [Fact]
    public void A_config_is_stored_with_its_wire_keys()
    {
        _runners.Insert(Definition("r", new RunnerConfig { StopOnError = true, LogActions = false, LogPositions = true, CollectMetrics = false }));
        Assert.Equal("""{"stop_on_error":true,"log_actions":false,"log_positions":true,"collect_metrics":false}""", StoredConfig("r"));
    }

    [Fact]
    public void A_config_row_written_by_an_earlier_server_still_reads()
    {
        // Exactly what servers wrote while RunnerConfig carried [JsonPropertyName] attributes and was stored with
        // the serializer's defaults.
        using (var connection = _database.Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                INSERT INTO runners (runner_id, symbol, strategy_name, window_size, config, created_at, status, state, position, context, updated_at)
                VALUES ('old', 'ETHUSDT', 'rsi_mean_reversion', 30,
                        '{"stop_on_error":true,"log_actions":false,"log_positions":true,"collect_metrics":false}',
                        1, 'paused', 'Idle', NULL, '{"n":["i",3]}', 1);
                """;
            command.ExecuteNonQuery();
        }
        var stored = Assert.Single(_runners.List());
        Assert.Equal("old", stored.Definition.RunnerId);
        Assert.Equal(30, stored.Definition.WindowSize);
        Assert.Equal(new RunnerConfig { StopOnError = true, LogActions = false, LogPositions = true, CollectMetrics = false }, stored.Definition.Config);
        Assert.Equal(RunnerStatus.Paused, stored.Restore.Status);
        Assert.Equal(3L, stored.Restore.Context["n"]);
    }

    [Fact]
    public void Inserting_a_stored_id_again_is_a_storage_error_of_its_own()
    {
        _runners.Insert(Definition("twice"));
        var e = Assert.Throws<RunnerAlreadyStoredException>(() => _runners.Insert(Definition("twice")));
        Assert.Equal("twice", e.RunnerId);
        Assert.Single(_runners.List());
    }

    [Fact]
    public void State_position_and_status_read_back_and_delete_removes_the_row()
    {
        _runners.Insert(Definition("r"));
        var position = new Position(PositionSide.Long, 100, 2, 1_000, 90, 120);
        _runners.SetState("r", TradingState.InPosition, position);
        _runners.SetStatus("r", RunnerStatus.Stopped);
        var restored = Assert.Single(_runners.List()).Restore;
        Assert.Equal((RunnerStatus.Stopped, TradingState.InPosition), (restored.Status, restored.State));
        Assert.Equal((100.0, 2.0, 90.0, 120.0), (restored.Position!.EntryPrice, restored.Position.Quantity, restored.Position.StopLoss!.Value, restored.Position.TakeProfit!.Value));

        _runners.Delete("r");
        Assert.Empty(_runners.List());
        Assert.Empty(_runners.Trades("r", 10));
    }
}
