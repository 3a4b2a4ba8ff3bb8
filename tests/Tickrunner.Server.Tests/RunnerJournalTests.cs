using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tickrunner.Engine;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;
using Tickrunner.Server.Runners;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Tests;

/// <summary>
/// The journal on a real engine and hub without the web server. Each test waits for the event it is about on
/// its own subscription, then for the journal to have written that event, and only then reads the rows.
/// </summary>
public sealed class RunnerJournalTests : IAsyncDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("tickrunner-journal-").FullName;
    private readonly RunnerRepository _rows;
    private readonly StrategyCatalog _catalog;
    private readonly EventHub _hub = new();
    private readonly TradingEngine _engine;
    private readonly RunnerJournal _journal;
    private readonly Task _journaling;
    private long _time = 1_700_000_000_000;

    public RunnerJournalTests()
    {
        var database = new TickrunnerDatabase(_data);
        database.Migrate();
        _rows = new RunnerRepository(database);
        _catalog = new StrategyCatalog(Directory.CreateDirectory(Path.Combine(_data, "shipped")).FullName, new SqliteStrategyStore(database));
        _engine = new TradingEngine(_catalog, _hub);
        _journal = new RunnerJournal(_hub, _engine, _rows, new RunnerLocks(), Options.Create(new JournalOptions()), NullLogger<RunnerJournal>.Instance);
        _journal.Subscribe();
        _journaling = _journal.RunAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _engine.DisposeAsync();
        await _hub.DisposeAsync();
        await _journaling.WaitAsync(TimeSpan.FromSeconds(10)); // the journal ends when the hub completes
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private void Start(string id, string strategy, string code, bool stopOnError = false)
    {
        Assert.DoesNotContain(_catalog.Save(strategy, code), d => d.Severity == DiagnosticSeverity.Error);
        var definition = new RunnerDefinition
        {
            RunnerId = id, Symbol = "BTCUSDT", StrategyName = strategy, WindowSize = 10, Config = new RunnerConfig { StopOnError = stopOnError },
        };
        _rows.Insert(definition); // the row first, as RunnerService does
        _engine.AddRunner(definition);
    }

    // Feeds bars until the event shows up on a subscription of its own, then waits until the journal has written it.
    private async Task<RunnerEvent> JournaledAsync(string id, RunnerEventKind kind)
    {
        using var watch = _hub.Subscribe(new EventFilter([id], [], [kind]));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var next = watch.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        var arrived = next.MoveNextAsync().AsTask();
        while (!arrived.IsCompleted)
        {
            _time += 60_000;
            _engine.Publish(new MarketData("BTCUSDT", _time, 100, 101, 99, 100, 10, 99.9, 100.1));
            await Task.WhenAny(arrived, Task.Delay(5, timeout.Token));
        }
        Assert.True(await arrived, $"no {kind} from {id}");
        var frame = next.Current.Frame!;
        await _journal.WhenJournaledAsync(frame.Seq).WaitAsync(TimeSpan.FromSeconds(10));
        return frame.Event;
    }

    [Fact]
    public async Task An_opened_position_is_written_with_its_state()
    {
        Start("h", "holder", PersistenceTests.Holder);
        var opened = await JournaledAsync("h", RunnerEventKind.PositionOpened);
        var restore = Assert.Single(_rows.List()).Restore;
        Assert.Equal(TradingState.InPosition, restore.State);
        Assert.Equal(opened.Position!.EntryPrice, restore.Position!.EntryPrice);
        Assert.Equal(0.1, restore.Position.Quantity);
    }

    [Fact]
    public async Task A_closed_position_becomes_a_trade_and_clears_the_position()
    {
        Start("f", "flipper", PersistenceTests.Flipper);
        var closed = await JournaledAsync("f", RunnerEventKind.PositionClosed);
        var trade = Assert.Single(_rows.Trades("f", 10));
        Assert.Equal(("f", "BTCUSDT", "flip"), (trade.RunnerId, trade.Symbol, trade.Reason));
        Assert.Equal(closed.Price, trade.ExitPrice);
        // The runner may have entered again since; what the journal wrote for this close is a trade, in order.
        Assert.Contains(Assert.Single(_rows.List()).Restore.State, new[] { TradingState.Idle, TradingState.Analyzing, TradingState.InPosition });
    }

    [Fact]
    public async Task A_runner_that_stops_by_itself_is_stored_stopped_and_one_shut_down_is_not()
    {
        Start("fragile", "fragile", """
            function detect_opportunity(md, ctx, ind) error("boom") end
            function filter_commitment(md, ctx, ind) return nil end
            function manage_position(md, ctx, ind) return nil end
            """, stopOnError: true);
        Start("steady", "holder", PersistenceTests.Holder);
        await JournaledAsync("fragile", RunnerEventKind.RunnerStopped);
        Assert.Equal(RunnerStatus.Stopped, _rows.List().Single(r => r.Definition.RunnerId == "fragile").Restore.Status);

        await _engine.DisposeAsync(); // "engine shutdown": the runner resumes after a restart, so its row stays running
        await _hub.DisposeAsync();
        await _journaling.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(RunnerStatus.Running, _rows.List().Single(r => r.Definition.RunnerId == "steady").Restore.Status);
    }

    [Fact]
    public async Task A_checkpoint_writes_context_of_the_current_runner_only()
    {
        Start("h", "holder", PersistenceTests.Holder);
        await JournaledAsync("h", RunnerEventKind.PositionOpened);
        await _journal.CheckpointAsync(CancellationToken.None);
        var context = Assert.Single(_rows.List()).Restore.Context;
        Assert.True((long)context["calls"] >= 2);
    }
}
