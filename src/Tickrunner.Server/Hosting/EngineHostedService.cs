using Microsoft.Extensions.Options;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Server.Candles;
using Tickrunner.Server.Runners;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Hosting;

/// <summary>
/// Brings the engine up and down with the server: restores the stored runners, creates the demo runners and the sample
/// dataset on a fresh data directory, pumps the feed, and runs the journal around them in the order that loses nothing.
/// </summary>
public sealed partial class EngineHostedService(TradingEngine engine, EventHub hub, IMarketDataFeed feed, StrategyCatalog catalog,
    TickrunnerDatabase database, RunnerRepository rows, RunnerService runners, RunnerJournal journal, DatasetStore datasets, EngineControl control,
    SimulatedMarketState market, CandleStore candles, IOptions<JournalOptions> journalOptions, IOptions<TickrunnerOptions> options, ILogger<EngineHostedService> logger) : BackgroundService
{
    private const string DemoSeededKey = "demo_runners_created";

    /// <summary>The demo runners: one per shipped strategy on the default symbols.</summary>
    public static IReadOnlyList<RunnerDefinition> DemoRunners { get; } =
    [
        new() { RunnerId = "btc_ema", Symbol = "BTCUSDT", StrategyName = "ema_crossover" },
        new() { RunnerId = "eth_rsi", Symbol = "ETHUSDT", StrategyName = "rsi_mean_reversion" },
        new() { RunnerId = "sol_breakout", Symbol = "SOLUSDT", StrategyName = "range_breakout" },
        new() { RunnerId = "bnb_ema", Symbol = "BNBUSDT", StrategyName = "ema_crossover" },
    ];

    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        journal.Subscribe(); // before any runner exists, so the journal sees every event from the first one
        control.RestoreHalt(); // before the runners: a halted engine must not let a restored runner enter on its first bar
        RestoreRunners();
        await CreateDemoRunnersAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The journal runs until the hub completes, so what runners emit while stopping is still written.
        var journaling = Task.Run(journal.RunAsync, CancellationToken.None);
        var checkpoints = Task.Run(() => journal.RunCheckpointsAsync(stoppingToken), CancellationToken.None);
        var prices = Task.Run(() => SaveMarketAsync(stoppingToken), CancellationToken.None);
        try
        {
            // Each valid bar goes to the runners, then to the candle history (a queue write that never waits).
            await foreach (var bar in feed.SubscribeAsync(feed.Symbols, stoppingToken))
                if (engine.Publish(bar)) candles.Offer(bar);
            LogFeedEnded(feed.Kind);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogFeedFailed(e, feed.Kind);
        }
        await checkpoints;
        await prices;
        SaveMarket(); // where the simulated market stands, for the next start
        // Shutdown, in an order that loses nothing: the last checkpoint of context, then the runners
        // stop (their last events go to the hub), then the hub publishes what is left and ends the journal.
        await journal.CheckpointAsync(CancellationToken.None);
        await engine.DisposeAsync();
        await hub.DisposeAsync();
        await journaling;
    }

    // Every few seconds, so a crash loses only the last moments of the simulated market's path.
    private async Task SaveMarketAsync(CancellationToken ct)
    {
        if (!market.Enabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, journalOptions.Value.CheckpointSeconds)));
        try
        {
            while (await timer.WaitForNextTickAsync(ct)) SaveMarket();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    // A failed save (a busy database) costs only where the next start begins: it must not break the shutdown sequence.
    private void SaveMarket()
    {
        try
        {
            market.Save(feed);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or InvalidOperationException)
        {
            LogMarketNotSaved(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The simulated market's last prices could not be stored")]
    private partial void LogMarketNotSaved(Exception e);

    private void RestoreRunners()
    {
        foreach (var stored in rows.List())
        {
            try
            {
                engine.AddRunner(stored.Definition, stored.Restore);
            }
            catch (Exception e)
            {
                // Kept in the database: it comes back once its strategy loads again.
                LogRestoreFailed(e, stored.Definition.RunnerId);
            }
        }
    }

    private async Task CreateDemoRunnersAsync(CancellationToken ct)
    {
        if (!options.Value.Demo.Enabled || database.GetSetting(DemoSeededKey) is not null) return;
        foreach (var definition in DemoRunners)
        {
            if (!feed.Symbols.Contains(definition.Symbol) || !catalog.Exists(definition.StrategyName)
                || engine.Contains(definition.RunnerId) || rows.Exists(definition.RunnerId)) continue;
            try
            {
                await runners.CreateAsync(definition, ct); // the row first and rolled back on failure, as for any runner
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRestoreFailed(e, definition.RunnerId);
            }
        }
        try
        {
            SampleDataset.Ensure(datasets); // only when missing: the CLI may have made it already
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogSampleFailed(e, datasets.Directory);
        }
        database.SetSetting(DemoSeededKey, DateTimeOffset.UtcNow.ToString("O"));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The sample dataset could not be written to {Directory}")]
    private partial void LogSampleFailed(Exception e, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Runner {RunnerId} could not be restored or created")]
    private partial void LogRestoreFailed(Exception e, string runnerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "The {Kind} feed ended")]
    private partial void LogFeedEnded(string kind);

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Kind} feed failed; runners receive no more bars")]
    private partial void LogFeedFailed(Exception e, string kind);
}
