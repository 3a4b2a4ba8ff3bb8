using Microsoft.Extensions.Options;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Trading;
using Tickrunner.Server.Runners;

namespace Tickrunner.Server.Storage;

/// <summary>
/// Writes what runners do to their rows, in event order, from one hub subscription: positions opened, trades
/// closed, state changes, and the status of runners that stopped by themselves. Checkpoints their context
/// periodically and once more before the engine stops.
/// </summary>
/// <remarks>
/// Shutdown loses nothing when the host keeps this order: <see cref="Subscribe"/> before any runner exists,
/// the last <see cref="CheckpointAsync"/> before the engine is disposed, and <see cref="RunAsync"/> awaited after
/// the hub is, as it drains until the hub completes.
/// </remarks>
public sealed partial class RunnerJournal(EventHub hub, TradingEngine engine, RunnerRepository rows, RunnerLocks locks,
    IOptions<JournalOptions> options, ILogger<RunnerJournal> logger)
{
    private static readonly EventFilter JournaledKinds =
        new([], [], [RunnerEventKind.PositionOpened, RunnerEventKind.PositionClosed, RunnerEventKind.StateTransition, RunnerEventKind.RunnerStopped]);

    private EventSubscription? _subscription;
    private long _journaledSeq;
    private bool _ended;
    private readonly List<(long Seq, TaskCompletionSource Done)> _waiters = [];

    /// <summary>Subscribes to the hub; call it before any runner is added, so the journal sees every event from the first one.</summary>
    public void Subscribe() => _subscription ??= hub.Subscribe(JournaledKinds, queueSize: 1 << 16);

    /// <summary>Journals until the hub completes (not cancellable: what runners emit while stopping is still written).</summary>
    public async Task RunAsync()
    {
        using var subscription = _subscription ?? throw new InvalidOperationException("Subscribe first.");
        try
        {
            await foreach (var message in subscription.ReadAllAsync(CancellationToken.None))
            {
                try
                {
                    await JournalMessageAsync(message, CancellationToken.None);
                }
                catch (Exception e)
                {
                    LogJournalFailed(e);
                }
                if (message.Frame is { } frame) Journaled(frame.Seq);
            }
        }
        finally
        {
            End();
        }
    }

    /// <summary>
    /// Completes once the event with <paramref name="seq"/> (one the journal subscribes to) or a later one has been
    /// written, or the journal has ended: what tests wait for instead of sleeping.
    /// </summary>
    internal Task WhenJournaledAsync(long seq)
    {
        lock (_waiters)
        {
            if (_ended || _journaledSeq >= seq) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((seq, done));
            return done.Task;
        }
    }

    private void Journaled(long seq)
    {
        lock (_waiters)
        {
            _journaledSeq = seq;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Seq > seq) continue;
                _waiters[i].Done.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }

    private void End()
    {
        lock (_waiters)
        {
            _ended = true;
            foreach (var (_, done) in _waiters) done.TrySetResult();
            _waiters.Clear();
        }
    }

    private async Task JournalMessageAsync(EventMessage message, CancellationToken ct)
    {
        if (message.Frame is not null)
        {
            if (message.Frame.Event.Kind == RunnerEventKind.RunnerStopped) await StoreStoppedAsync(message.Frame.Event, ct);
            else Journal(message.Frame.Event);
            return;
        }
        // Events were lost: rebuild state, positions and trades from the runners themselves.
        LogJournalLagged(message.Dropped);
        foreach (var runner in engine.Runners)
        {
            try
            {
                var snapshot = await runner.GetSnapshotAsync(ct);
                rows.SetState(runner.Id, snapshot.State, snapshot.Position);
                if (snapshot.Status == RunnerStatus.Stopped) await StoreStoppedIfCurrentAsync(runner, ct); // its RunnerStopped may be among the lost
                foreach (var trade in await runner.GetTradesAsync(cancellationToken: ct))
                    rows.RecordTrade(runner.Id, runner.Symbol, trade, "recovered after the journal fell behind", clearPosition: false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogJournalFailed(e);
            }
        }
    }

    private void Journal(in RunnerEvent e)
    {
        switch (e.Kind)
        {
            case RunnerEventKind.PositionOpened:
                rows.SetState(e.RunnerId, TradingState.InPosition, e.Position);
                break;
            case RunnerEventKind.PositionClosed when e.Position is { } closed:
                rows.RecordTrade(e.RunnerId, e.Symbol, closed, e.Text ?? "closed");
                break;
            case RunnerEventKind.StateTransition when e.To != TradingState.InPosition:
                rows.SetState(e.RunnerId, e.To, null);
                break;
        }
    }

    // A runner that stopped by itself (stop_on_error, a strategy or internal error, the engine's watchdog) has
    // no request that stores its status, so its RunnerStopped does. Removal and shutdown also stop runners,
    // but those must not be stored as stopped: a removed id may be reused, and a shut-down runner resumes.
    private Task StoreStoppedAsync(in RunnerEvent e, CancellationToken ct) =>
        e.Text is "removed" or "engine shutdown" || !engine.TryGetRunner(e.RunnerId, out var runner)
            ? Task.CompletedTask
            : StoreStoppedIfCurrentAsync(runner, ct);

    // Under the id's lock, and only while this very runner is the id's runner and stopped (a stop is final for a
    // runner): an event of an earlier runner with the same id, removed and created again since, changes nothing.
    private async Task StoreStoppedIfCurrentAsync(SymbolRunner runner, CancellationToken ct)
    {
        using var runnerLock = await locks.AcquireAsync(runner.Id, ct);
        if (engine.TryGetRunner(runner.Id, out var current) && ReferenceEquals(current, runner) && runner.Status == RunnerStatus.Stopped)
            rows.SetStatus(runner.Id, RunnerStatus.Stopped);
    }

    /// <summary>Checkpoints every <c>Tickrunner:Engine:CheckpointSeconds</c> until <paramref name="stoppingToken"/> is cancelled.</summary>
    public async Task RunCheckpointsAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.CheckpointSeconds)));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await CheckpointAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Writes every runner's context (see <see cref="RunnerRepository.Checkpoint"/>). Each write is made under the
    /// id's lock and only while the snapshot's runner is still the id's runner, so the context of a removed runner
    /// never lands on the row of a new runner with the same id. Failures are logged, never thrown.
    /// </summary>
    public async Task CheckpointAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var runner in engine.Runners)
            {
                try
                {
                    var snapshot = await runner.GetSnapshotAsync(cancellationToken);
                    using var runnerLock = await locks.AcquireAsync(runner.Id, cancellationToken);
                    if (engine.TryGetRunner(runner.Id, out var current) && ReferenceEquals(current, runner))
                        rows.Checkpoint(snapshot);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing runner state to the database failed")]
    private partial void LogJournalFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The journal fell behind and missed {Dropped} events; the next checkpoint repairs state")]
    private partial void LogJournalLagged(long dropped);
}
