using Microsoft.Extensions.Options;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Hosting;

/// <summary>The running product: database, catalog, event hub, engine and feed, composed once per process.</summary>
public sealed class TickrunnerRuntime : IAsyncDisposable
{
    /// <summary>Composes everything from the options (nothing runs until <see cref="EngineHostedService"/> starts it).</summary>
    public TickrunnerRuntime(IOptions<TickrunnerOptions> options, ILoggerFactory loggers)
    {
        Options = options.Value;
        Database = new TickrunnerDatabase(Options.DataDirectory);
        Database.Migrate();
        Runners = new RunnerRepository(Database);
        Catalog = new StrategyCatalog(ResolveStrategies(Options.StrategiesDirectory), new SqliteStrategyStore(Database), new LuaSandboxOptions
        {
            InstructionBudget = Options.Sandbox.InstructionBudget,
            MemoryLimitBytes = Options.Sandbox.MemoryLimitMb * 1024L * 1024,
            WallClockLimitMs = Options.Sandbox.WallClockLimitMs,
        });
        Hub = new EventHub(new EventHubOptions { HistorySize = Options.Engine.EventHistorySize, SubscriberQueueSize = Options.WebSockets.QueueSize });
        Feed = FeedFactory.Create(Options.Feed, loggers); // first: a bad feed setting then leaves no runner threads behind
        Engine = new TradingEngine(Catalog, Hub, new EngineOptions { InboxCapacity = Options.Engine.InboxCapacity, BatchSize = Options.Engine.BatchSize, RunnerThreads = Options.Engine.RunnerThreads }, loggers);
    }

    // A relative path is tried against the working directory first, then next to the server binary, where the
    // build copies the shipped strategies.
    private static string ResolveStrategies(string directory)
    {
        if (Path.IsPathRooted(directory) || Directory.Exists(directory)) return directory;
        var besideBinary = Path.Combine(AppContext.BaseDirectory, directory);
        return Directory.Exists(besideBinary) ? besideBinary : directory;
    }

    /// <summary>The options in effect.</summary>
    public TickrunnerOptions Options { get; }

    /// <summary>The SQLite file.</summary>
    public TickrunnerDatabase Database { get; }

    /// <summary>Runner definitions, state and trades.</summary>
    public RunnerRepository Runners { get; }

    /// <summary>Shipped and uploaded strategies.</summary>
    public StrategyCatalog Catalog { get; }

    /// <summary>The event hub.</summary>
    public EventHub Hub { get; }

    /// <summary>The engine.</summary>
    public TradingEngine Engine { get; }

    /// <summary>The market data feed.</summary>
    public IMarketDataFeed Feed { get; }

    /// <summary>
    /// Serializes everything that creates, removes or steers one runner id (and the journal's status writes for
    /// it), so after any interleaving of requests the engine's runners are the database's rows and each
    /// acknowledged status is the stored one.
    /// </summary>
    public KeyedLock RunnerLocks { get; } = new();

    /// <summary>Serializes uploads, replacements and deletions of one strategy name (and creating a runner that uses it).</summary>
    public KeyedLock StrategyLocks { get; } = new();

    /// <summary>Open WebSocket connections.</summary>
    public int WebSocketClients => Volatile.Read(ref _webSocketClients);

    private int _webSocketClients;

    /// <summary>Takes a WebSocket slot; false when the limit is reached.</summary>
    public bool TryAcquireWebSocketSlot()
    {
        while (true)
        {
            var current = Volatile.Read(ref _webSocketClients);
            if (current >= Options.WebSockets.MaxConnections) return false;
            if (Interlocked.CompareExchange(ref _webSocketClients, current + 1, current) == current) return true;
        }
    }

    /// <summary>Gives a WebSocket slot back.</summary>
    public void ReleaseWebSocketSlot() => Interlocked.Decrement(ref _webSocketClients);

    /// <summary>Stops the engine (runners checkpointed by the hosted service first) and the hub.</summary>
    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        await Hub.DisposeAsync();
    }
}
