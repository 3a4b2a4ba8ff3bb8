using Orleans.Storage;
using Tickrunner.Cluster.Runners;
using Tickrunner.Cluster.Storage;

namespace Tickrunner.Cluster.Tests;

public sealed class SqliteGrainStorageTests : IDisposable
{
    private readonly TempDirectory _directory = new("tickrunner-grain-storage-");

    private string DatabasePath => Path.Combine(_directory.Path, "state.db");

    private static readonly GrainId Runner = GrainId.Create(RunnerGrain.GrainTypeName, "r1");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_written_state_is_read_back_by_another_storage_on_the_same_file()
    {
        await using var writer = new SqliteGrainStorage(DatabasePath);
        var state = new GrainState<RunnerGrainState>(new RunnerGrainState
        {
            Spec = new RunnerSpec { Symbol = "BTCUSDT", StrategyName = "ema_crossover", Params = new() { ["fast"] = 5L, ["side"] = "long" } },
            State = "InPosition",
            Position = new PositionView { Side = "short", EntryPrice = 101.5, Quantity = 0.25, EntryTimestamp = 1234, StopLoss = 110, EntryFee = 0.02 },
            Context = new() { ["held"] = 3L, ["ratio"] = 0.5, ["flag"] = true, ["note"] = "x" },
            ClosedTradeCount = 1,
        });
        var trade = Trade(1);
        state.State!.JournalPending.Add(trade);
        await writer.WriteStateAsync(RunnerGrain.StateName, Runner, state);
        Assert.Matches("^[0-9a-f]{32}$", state.ETag);

        // A second silo's storage over the same file.
        var read = new GrainState<RunnerGrainState>(new RunnerGrainState());
        await new SqliteGrainStorage(DatabasePath).ReadStateAsync(RunnerGrain.StateName, Runner, read);
        Assert.True(read.RecordExists);
        Assert.Equal(state.ETag, read.ETag);
        Assert.Equal(state.State!.Spec, read.State!.Spec! with { Params = state.State!.Spec!.Params });
        Assert.Equal(5L, read.State!.Spec!.Params!["fast"].ToObject());
        Assert.Equal("long", read.State!.Spec.Params["side"].ToObject());
        Assert.Equal(state.State!.Position, read.State!.Position);
        // Each context value comes back as the kind it was: Lua keeps integers apart from floats.
        Assert.Equal(3L, read.State!.Context["held"].ToObject());
        Assert.Equal(0.5, read.State!.Context["ratio"].ToObject());
        Assert.Equal(true, read.State!.Context["flag"].ToObject());
        Assert.Equal("x", read.State!.Context["note"].ToObject());
        Assert.Empty(state.State!.JournalPending); // committed with the row
        Assert.Equal([trade], await new SqliteGrainStorage(DatabasePath).ReadJournalAsync<TradeView>(RunnerGrain.StateName, Runner, 10));
        Assert.Equal(["r1"], await writer.ListKeysAsync(RunnerGrain.GrainTypeName));
        Assert.Empty(await writer.ListKeysAsync("other-type"));
    }

    [Fact]
    public async Task A_write_or_clear_from_a_stale_version_is_refused_and_changes_nothing()
    {
        await using var storage = new SqliteGrainStorage(DatabasePath);
        var first = new GrainState<RunnerGrainState>(new RunnerGrainState { Status = "Running" });
        await storage.WriteStateAsync(RunnerGrain.StateName, Runner, first);

        // Two activations read version 1; the first to write wins.
        var stale = new GrainState<RunnerGrainState>(new RunnerGrainState());
        await storage.ReadStateAsync(RunnerGrain.StateName, Runner, stale);
        first.State!.Status = "Paused";
        await storage.WriteStateAsync(RunnerGrain.StateName, Runner, first);
        Assert.NotEqual(stale.ETag, first.ETag);

        stale.State!.Status = "Stopped";
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(RunnerGrain.StateName, Runner, stale));
        Assert.Contains($"has ETag {first.ETag}, not {stale.ETag}", conflict.Message);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(RunnerGrain.StateName, Runner, stale));
        // A new record where one exists is a conflict too (an activation that read nothing).
        var blind = new GrainState<RunnerGrainState>(new RunnerGrainState());
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(RunnerGrain.StateName, Runner, blind));

        var read = new GrainState<RunnerGrainState>(new RunnerGrainState());
        await storage.ReadStateAsync(RunnerGrain.StateName, Runner, read);
        Assert.Equal("Paused", read.State!.Status);

        var beforeRemoval = new GrainState<RunnerGrainState>(new RunnerGrainState()) { ETag = first.ETag, RecordExists = true };
        await storage.ClearStateAsync(RunnerGrain.StateName, Runner, first);
        Assert.False(first.RecordExists);
        Assert.Empty(await storage.ListKeysAsync(RunnerGrain.GrainTypeName));
        var gone = new GrainState<RunnerGrainState>(new RunnerGrainState());
        await storage.ReadStateAsync(RunnerGrain.StateName, Runner, gone);
        Assert.False(gone.RecordExists);
        Assert.Null(gone.ETag);

        // Removed and defined again: an activation that still holds an ETag from before the removal cannot write over it.
        await storage.WriteStateAsync(RunnerGrain.StateName, Runner, gone);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(RunnerGrain.StateName, Runner, beforeRemoval));
    }

    [Fact]
    public async Task The_journal_keeps_its_newest_entries_in_order_restarts_on_request_and_takes_nothing_from_a_refused_write()
    {
        await using var storage = new SqliteGrainStorage(DatabasePath);
        var state = new GrainState<RunnerGrainState>(new RunnerGrainState { JournalCapacity = 3 });
        for (var i = 1; i <= 5; i++)
        {
            state.State!.JournalPending.Add(Trade(i));
            if (i % 2 == 1) await storage.WriteStateAsync(RunnerGrain.StateName, Runner, state); // two entries in one write, too
        }
        await storage.WriteStateAsync(RunnerGrain.StateName, Runner, state);
        Assert.Equal([Trade(3), Trade(4), Trade(5)], await storage.ReadJournalAsync<TradeView>(RunnerGrain.StateName, Runner, 10));
        Assert.Equal([Trade(4), Trade(5)], await storage.ReadJournalAsync<TradeView>(RunnerGrain.StateName, Runner, 2));
        // A write without new entries leaves the journal as it is.
        await storage.WriteStateAsync(RunnerGrain.StateName, Runner, state);
        Assert.Equal(3, (await storage.ReadJournalAsync<TradeView>(RunnerGrain.StateName, Runner, 10)).Count);

        // A stale activation's write is refused whole: neither its row nor its entries land, and they stay pending.
        var stale = new GrainState<RunnerGrainState>(new RunnerGrainState()) { ETag = "1", RecordExists = true };
        stale.State!.JournalPending.Add(Trade(99));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(RunnerGrain.StateName, Runner, stale));
        Assert.Single(stale.State!.JournalPending);
        Assert.DoesNotContain(Trade(99), await storage.ReadJournalAsync<TradeView>(RunnerGrain.StateName, Runner, 10));

        // A new start empties the journal before its own entries go in.
        state.State!.JournalRestart = true;
        state.State.JournalPending.Add(Trade(6));
        await storage.WriteStateAsync(RunnerGrain.StateName, Runner, state);
        Assert.False(state.State.JournalRestart);
        Assert.Equal([Trade(6)], await storage.ReadJournalAsync<TradeView>(RunnerGrain.StateName, Runner, 10));

        // Clearing the state clears its journal.
        await storage.ClearStateAsync(RunnerGrain.StateName, Runner, state);
        Assert.Empty(await storage.ReadJournalAsync<TradeView>(RunnerGrain.StateName, Runner, 10));
    }

    private static TradeView Trade(int n) => new()
    {
        Side = n % 2 == 0 ? "short" : "long", EntryPrice = 100 + n, Quantity = 1, EntryTimestamp = n * 10, ExitPrice = 101.25 + n,
        ExitTimestamp = n * 10 + 5, RealizedPnl = 1.25, Fees = 0.01 * n,
    };

    [Fact]
    public void Options_with_a_problem_name_it()
    {
        Assert.Empty(new TickrunnerClusterOptions().Problems());
        Assert.False(new TickrunnerClusterOptions().Enabled);
        var problems = new TickrunnerClusterOptions { KeepAliveIntervalMs = 10, StoragePath = " ", TradeHistorySize = 0 }.Problems();
        Assert.Contains(problems, p => p.Contains("KeepAliveIntervalMs", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("StoragePath", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("TradeHistorySize", StringComparison.Ordinal));
    }
}
