using Tickrunner.Engine.Events;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Server.Hosting;

/// <summary>
/// Brings the engine up and down with the server: restores the stored runners, creates the demo runners on a
/// fresh data directory, pumps the feed, journals state changes, closed trades and runners that stopped by
/// themselves, checkpoints context.
/// </summary>
public sealed partial class EngineHostedService(TickrunnerRuntime runtime, ILogger<EngineHostedService> logger) : BackgroundService
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

    private EventSubscription? _journal;

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Subscribed before any runner exists, so the journal sees every event from the first one.
        _journal = runtime.Hub.Subscribe(
            new EventFilter([], [], [RunnerEventKind.PositionOpened, RunnerEventKind.PositionClosed, RunnerEventKind.StateTransition, RunnerEventKind.RunnerStopped]),
            queueSize: 1 << 16);
        RestoreRunners();
        CreateDemoRunners();
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The journal runs until the hub completes, so what runners emit while stopping is still written.
        var journal = Task.Run(() => JournalAsync(CancellationToken.None), CancellationToken.None);
        var checkpoints = Task.Run(() => CheckpointLoopAsync(stoppingToken), CancellationToken.None);
        try
        {
            await runtime.Engine.RunFeedAsync(runtime.Feed, runtime.Feed.Symbols, stoppingToken);
            LogFeedEnded(runtime.Feed.Kind);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogFeedFailed(e, runtime.Feed.Kind);
        }
        await checkpoints;
        // Shutdown, in an order that loses nothing: the last checkpoint of context, then the runners
        // stop (their last events go to the hub), then the hub publishes what is left and ends the journal.
        await CheckpointAsync(CancellationToken.None);
        await runtime.DisposeAsync();
        await journal;
    }

    private void RestoreRunners()
    {
        foreach (var stored in runtime.Runners.List())
        {
            try
            {
                runtime.Engine.AddRunner(stored.Definition, stored.Restore);
            }
            catch (Exception e)
            {
                // Kept in the database: it comes back once its strategy loads again.
                LogRestoreFailed(e, stored.Definition.RunnerId);
            }
        }
    }

    private void CreateDemoRunners()
    {
        if (!runtime.Options.Demo.Enabled || runtime.Database.GetSetting(DemoSeededKey) is not null) return;
        foreach (var definition in DemoRunners)
        {
            if (!runtime.Feed.Symbols.Contains(definition.Symbol) || !runtime.Catalog.Exists(definition.StrategyName)
                || runtime.Engine.Contains(definition.RunnerId) || runtime.Runners.Exists(definition.RunnerId)) continue;
            try
            {
                runtime.Runners.Insert(definition); // the row first, as for any runner
                runtime.Engine.AddRunner(definition);
            }
            catch (Exception e)
            {
                runtime.Runners.Delete(definition.RunnerId);
                LogRestoreFailed(e, definition.RunnerId);
            }
        }
        runtime.Database.SetSetting(DemoSeededKey, DateTimeOffset.UtcNow.ToString("O"));
    }

    // Positions and trades are written as they happen, in event order, by this one subscriber.
    private async Task JournalAsync(CancellationToken stoppingToken)
    {
        using var subscription = _journal!;
        try
        {
            await foreach (var message in subscription.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await JournalMessageAsync(message, stoppingToken);
                }
                catch (Exception e)
                {
                    LogJournalFailed(e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task JournalMessageAsync(EventMessage message, CancellationToken ct)
    {
        if (message.Frame is not null)
        {
            if (message.Frame.Event.Kind == RunnerEventKind.RunnerStopped) await StoreStoppedAsync(message.Frame.Event, ct);
            else Journal(message);
            return;
        }
        // Events were lost: rebuild state, positions and trades from the runners themselves.
        LogJournalLagged(message.Dropped);
        foreach (var runner in runtime.Engine.Runners)
        {
            try
            {
                var snapshot = await runner.GetSnapshotAsync(ct);
                runtime.Runners.SetState(runner.Id, snapshot.State, snapshot.Position);
                if (snapshot.Status == RunnerStatus.Stopped) await StoreStoppedIfCurrentAsync(runner, ct); // its RunnerStopped may be among the lost
                foreach (var trade in await runner.GetTradesAsync(cancellationToken: ct))
                    runtime.Runners.RecordTrade(runner.Id, runner.Symbol, trade, "recovered after the journal fell behind", clearPosition: false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogJournalFailed(e);
            }
        }
    }

    private void Journal(EventMessage message)
    {
        var frame = message.Frame!;
        var e = frame.Event;
        switch (e.Kind)
        {
            case RunnerEventKind.PositionOpened:
                runtime.Runners.SetState(e.RunnerId, TradingState.InPosition, e.Position);
                break;
            case RunnerEventKind.PositionClosed when e.Position is { } closed:
                runtime.Runners.RecordTrade(e.RunnerId, e.Symbol, closed, e.Text ?? "closed");
                break;
            case RunnerEventKind.StateTransition when e.To != TradingState.InPosition:
                runtime.Runners.SetState(e.RunnerId, e.To, null);
                break;
        }
    }

    // A runner that stopped by itself (stop_on_error, a strategy or internal error, the engine's watchdog) has
    // no request that stores its status, so its RunnerStopped does. Removal and shutdown also stop runners,
    // but those must not be stored as stopped: a removed id may be reused, and a shut-down runner resumes.
    private Task StoreStoppedAsync(in RunnerEvent e, CancellationToken ct) =>
        e.Text is "removed" or "engine shutdown" || !runtime.Engine.TryGetRunner(e.RunnerId, out var runner)
            ? Task.CompletedTask
            : StoreStoppedIfCurrentAsync(runner, ct);

    // Under the id's lock, and only while this very runner is the id's runner and stopped (a stop is final for a
    // runner): an event of an earlier runner with the same id, removed and created again since, changes nothing.
    private async Task StoreStoppedIfCurrentAsync(SymbolRunner runner, CancellationToken ct)
    {
        using var runnerLock = await runtime.RunnerLocks.AcquireAsync(runner.Id, ct);
        if (runtime.Engine.TryGetRunner(runner.Id, out var current) && ReferenceEquals(current, runner) && runner.Status == RunnerStatus.Stopped)
            runtime.Runners.SetStatus(runner.Id, RunnerStatus.Stopped);
    }

    private async Task CheckpointLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, runtime.Options.Engine.CheckpointSeconds)));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await CheckpointAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // Context only (see RunnerRepository.Checkpoint). Each write is made under the id's lock and only while the
    // snapshot's runner is still the id's runner, so the context of a removed runner never lands on the row of a
    // new runner with the same id.
    private async Task CheckpointAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var runner in runtime.Engine.Runners)
            {
                try
                {
                    var snapshot = await runner.GetSnapshotAsync(cancellationToken);
                    using var runnerLock = await runtime.RunnerLocks.AcquireAsync(runner.Id, cancellationToken);
                    if (runtime.Engine.TryGetRunner(runner.Id, out var current) && ReferenceEquals(current, runner))
                        runtime.Runners.Checkpoint(snapshot);
                }
                catch (RunnerNotFoundException)
                {
                    // Removed meanwhile: nothing to checkpoint.
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogJournalFailed(e); // one runner's failure does not stop the others' checkpoints
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogJournalFailed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Runner {RunnerId} could not be restored or created")]
    private partial void LogRestoreFailed(Exception e, string runnerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "The {Kind} feed ended")]
    private partial void LogFeedEnded(string kind);

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Kind} feed failed; runners receive no more bars")]
    private partial void LogFeedFailed(Exception e, string kind);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing runner state to the database failed")]
    private partial void LogJournalFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The journal fell behind and missed {Dropped} events; the next checkpoint repairs state")]
    private partial void LogJournalLagged(long dropped);
}
