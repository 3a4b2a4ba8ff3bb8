using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Storage;
using Tickrunner.Cluster.Events;
using Tickrunner.Cluster.Feeds;
using Tickrunner.Cluster.Risk;
using Tickrunner.Cluster.Storage;
using Tickrunner.Engine;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;
using Tickrunner.Engine.Wire;

namespace Tickrunner.Cluster.Runners;

/// <summary>
/// A runner on the cluster: the engine's <see cref="RunnerStep"/> driven bar by bar from its silo's feed, with its definition,
/// status, position, context and trades in grain storage so that an activation on any silo continues where the last one stopped.
/// </summary>
/// <remarks>
/// Orleans runs one call at a time on an activation, so bars and commands never overlap, as on the single-process runner's
/// loop. The state is written when something that must survive changes (the definition, a command, a position opened or
/// closed, a stop), not on every bar: a bar that only moved the price or the context costs no write, and a new activation
/// rebuilds the window from the feed. Random placement spreads runners over the silos; the keep-alive pings come from
/// whichever silo's share a runner is in, and preferring the caller's silo would pile a dead silo's runners on the first
/// one to ping them. A call's events are published once its write has succeeded, so no client hears of a trade that was
/// not stored.
/// </remarks>
[GrainType(GrainTypeName)]
[RandomPlacement]
public sealed partial class RunnerGrain(
    [PersistentState(RunnerGrain.StateName, TickrunnerClusterServices.StorageName)] IPersistentState<RunnerGrainState> state,
    SqliteGrainStorage storage, RunnerStrategyLoader strategies, LocalRunnerRegistry registry, ClusterEvents events, ClusterRisk risk, ILocalSiloDetails silo,
    IOptions<TickrunnerClusterOptions> options, ILogger<RunnerGrain> logger) : Grain, IRunnerGrain
{
    /// <summary>The grain type, also the <c>grain_type</c> of runner rows in the storage table.</summary>
    public const string GrainTypeName = "tickrunner-runner";

    /// <summary>The name of the runner's stored state.</summary>
    public const string StateName = "runner";

    private const string StoppedByRequest = "stopped by request";
    private const int SnapshotTransitions = 20; // as many as the single-process engine's snapshot shows by default

    private RunnerStep? _step;
    private RunnerStatus _status;
    private long _lastBar;
    private readonly long _activatedAt = EngineClock.System.GetTimestamp(); // the snapshot's uptime counts from this activation
    private string? _restoreError; // a stored definition that no longer loads here (e.g. its strategy file was deleted)
    private LocalRunner? _inbox; // this silo's queue of bars for the runner, while it is on the feed
    private MarketData[]? _bars; // what one call takes from the queue
    private EventBuffer? _events; // the step's events of one call, published together at its end
    private readonly List<TradeView> _closed = []; // the trades the current call closed, with their reasons, for the next write

    private string Id => this.GetPrimaryKeyString();

    private RunnerGrainState Stored => state.State;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!state.RecordExists || Stored.Spec is not { } spec) return;
        var status = Enum.Parse<RunnerStatus>(Stored.Status);
        var restore = StoredRestore(status);
        try
        {
            _step = Build(spec, restore);
        }
        catch (Exception e) when (IsDefinitionError(e))
        {
            _restoreError = $"the stored definition no longer loads: {e.Message}";
            LogRestoreFailed(e, Id);
            return;
        }
        _status = status;
        _lastBar = Stored.LastBarTimestamp;
        // Queued before the move and not yet carried out: it waits for this activation's next bar instead.
        if (Stored.PendingManual is { } manual) _step.Processor.QueueManual(manual.ToAction());
        Stored.Activations++;
        // Written now: it counts the move, and an older activation still running somewhere can no longer write over this one.
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            Retire(); // the activation fails: its Lua state and its share of the silo's open positions go now
            throw;
        }
        Register();
        // As the single-process engine announces a runner it restores after a restart.
        if (_status != RunnerStatus.Stopped) EmitNow(RunnerEvent.RunnerStarted(Id, spec.Symbol, EngineClock.System.NowUnixMs()));
        LogActivated(Id, silo.SiloAddress.ToString(), Stored.State, Stored.ClosedTradeCount);
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_step is not null && state.RecordExists)
        {
            try
            {
                // The context of the bars since the last write, for the next activation (a dead silo never gets here).
                await SaveAsync();
            }
            catch (Exception e)
            {
                LogDeactivationWriteFailed(e, Id);
            }
        }
        Retire();
    }

    /// <inheritdoc />
    public async Task<RunnerView> DefineAsync(RunnerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        RunnerStep step;
        try
        {
            step = Build(spec, restore: null);
        }
        catch (Exception e) when (IsDefinitionError(e))
        {
            throw new ClusterRunnerException($"Runner '{Id}' was not defined: {e.Message}", ClusterRunnerRefusal.Invalid);
        }
        Retire();
        state.State = new RunnerGrainState { Spec = spec, Activations = Math.Max(1, Stored.Activations), JournalRestart = true };
        _step = step;
        _status = RunnerStatus.Running;
        _lastBar = 0;
        _restoreError = null;
        await SaveAsync();
        Register();
        EmitNow(RunnerEvent.RunnerStarted(Id, spec.Symbol, EngineClock.System.NowUnixMs()));
        return View();
    }

    /// <inheritdoc />
    public Task<RunnerView> CreateAsync(RunnerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (state.RecordExists && Stored.Spec is not null)
            throw new ClusterRunnerException($"A runner with id '{Id}' already exists; remove it first or choose another id.", ClusterRunnerRefusal.Exists);
        return DefineAsync(spec);
    }

    /// <inheritdoc />
    public Task<byte[]> GetWireSnapshotAsync()
    {
        EnsureDefined();
        var snapshot = _step is { } step
            ? step.Snapshot(Stored.Spec!.ToDefinition(Id), _status, (long)EngineClock.System.ElapsedMs(_activatedAt, EngineClock.System.GetTimestamp()), _inbox?.BarsDropped ?? 0,
                SnapshotTransitions)
            : StoredSnapshot();
        return Task.FromResult(JsonSerializer.SerializeToUtf8Bytes(snapshot, WireJson.Options));
    }

    /// <inheritdoc />
    public Task<byte[]> GetWireHistoryAsync(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Task.FromResult(JsonSerializer.SerializeToUtf8Bytes(EnsureLoaded().Processor.Window.ToArray(count), WireJson.Options));
    }

    // A runner whose stored definition no longer loads here: what was stored, stopped, with no counters.
    private RunnerSnapshot StoredSnapshot()
    {
        var stored = Stored;
        var spec = stored.Spec!;
        var definition = spec.ToDefinition(Id);
        var position = stored.Position?.ToPosition();
        var account = new PaperAccount(definition.Account);
        account.Restore(stored.RealizedPnl, stored.ClosedFees + (position?.EntryFee ?? 0), position?.EntryFee ?? 0);
        return new RunnerSnapshot(Id, spec.Symbol, definition.StrategyName, RunnerStatus.Stopped, Enum.Parse<TradingState>(stored.State), position,
            ScalarValue.ToObjects(stored.Context), new RunnerStats(0, 0, 0, 0, 0, 0, 0, 0, 0), 0, spec.WindowSize, 0, [], definition.Config,
            AccountSnapshot.Of(account, position), definition.Params ?? new Dictionary<string, object>());
    }

    /// <inheritdoc />
    public Task<RunnerView> GetSnapshotAsync()
    {
        EnsureDefined();
        return Task.FromResult(View());
    }

    /// <inheritdoc />
    public async Task<TradeView[]> GetTradesAsync(int count = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        EnsureDefined();
        var trades = await storage.ReadJournalAsync<TradeView>(StateName, this.GetGrainId(), Math.Min(count, options.Value.TradeHistorySize));
        return [.. trades];
    }

    /// <inheritdoc />
    public async Task<TradeHistoryView> GetTradeHistoryAsync()
    {
        EnsureDefined();
        var count = Stored.ClosedTradeCount; // read with the journal in this one call: no bar runs in between
        var trades = await storage.ReadJournalAsync<TradeView>(StateName, this.GetGrainId(), options.Value.TradeHistorySize);
        return new TradeHistoryView(Stored.Spec!.Symbol, count, [.. trades]);
    }

    /// <inheritdoc />
    public Task<string> PauseAsync() => ChangeAsync(RunnerStatus.Running, RunnerStatus.Paused);

    /// <inheritdoc />
    public Task<string> ResumeAsync() => ChangeAsync(RunnerStatus.Paused, RunnerStatus.Running);

    /// <inheritdoc />
    public async Task<string> StopAsync()
    {
        EnsureLoaded();
        if (_status != RunnerStatus.Stopped)
        {
            _status = RunnerStatus.Stopped;
            Stored.StopReason = StoppedByRequest;
            await SaveAsync();
            Unlist();
            EmitStopped(StoppedByRequest);
            LogStopped(Id, StoppedByRequest);
        }
        return StatusName(_status);
    }

    private async Task<string> ChangeAsync(RunnerStatus from, RunnerStatus to)
    {
        EnsureLoaded();
        if (_status == from)
        {
            _status = to;
            await SaveAsync();
            EmitNow(RunnerEvent.RunnerStatusChanged(Id, Stored.Spec!.Symbol, StatusName(to), EngineClock.System.NowUnixMs()));
        }
        return StatusName(_status);
    }

    /// <inheritdoc />
    public async Task<RunnerView> RestartAsync(string? code, bool reload)
    {
        EnsureDefined();
        var status = _step is null ? RunnerStatus.Stopped : _status;
        if (!reload && status != RunnerStatus.Stopped)
            throw new ClusterRunnerException($"Runner '{Id}' is {StatusName(status)}; only a stopped runner is started again."
                + (status == RunnerStatus.Paused ? " Use resume for a paused runner." : ""), ClusterRunnerRefusal.Conflict);
        if (reload && status == RunnerStatus.Stopped)
            throw new ClusterRunnerException($"Runner '{Id}' is stopped; start it, and it runs the current code.", ClusterRunnerRefusal.Conflict);
        var spec = code is null ? Stored.Spec! : Stored.Spec! with { StrategyCode = code };
        // A reload carries the order for the next open over (acknowledged a bar ago); a start after a stop does not: its open is gone.
        var restore = _step is { } old ? old.Capture(reload ? _status : RunnerStatus.Running) : StoredRestore(RunnerStatus.Running);
        if (!reload) restore = restore with { QueuedAction = null };
        var manual = reload ? _step!.Processor.ManualAction : null;
        RunnerStep next;
        try
        {
            next = Build(spec, restore);
        }
        catch (Exception e) when (IsDefinitionError(e))
        {
            throw new ClusterRunnerException($"Runner '{Id}' was not {(reload ? "reloaded" : "started")}: {e.Message}", ClusterRunnerRefusal.Invalid);
        }
        Retire(); // after the new step counted the open position, so the silo's count never drops to nothing between them
        _step = next;
        if (manual is { } pending) next.Processor.QueueManual(pending);
        _status = reload ? status : RunnerStatus.Running;
        _restoreError = null;
        Stored.Spec = spec;
        if (!reload) Stored.StopReason = null;
        // On the feed before the write: the new step runs either way, and a write that fails must not leave it without bars.
        Register();
        await SaveAsync();
        // As the single-process engine announces a started or reloaded runner's new instance.
        EmitNow(RunnerEvent.RunnerStarted(Id, spec.Symbol, EngineClock.System.NowUnixMs()));
        return View();
    }

    /// <inheritdoc />
    public async Task<RunnerView> ChangeRiskAsync(RiskSpec? risk)
    {
        var step = EnsureLoaded();
        var previous = Stored.Spec!;
        step.Processor.ChangeRisk(risk?.ToLimits());
        Stored.Spec = previous with { Risk = risk };
        try
        {
            await SaveAsync();
        }
        catch
        {
            // Not stored, so not made: the runner goes on under the limits it had (the guard's state kept).
            Stored.Spec = previous;
            _step?.Processor.ChangeRisk(previous.Risk?.ToLimits());
            throw;
        }
        return View();
    }

    // What the stored state resumes with, as an activation restores it.
    private RunnerRestore StoredRestore(RunnerStatus status) =>
        new(status, Enum.Parse<TradingState>(Stored.State), Stored.Position?.ToPosition(), ScalarValue.ToObjects(Stored.Context), Stored.RealizedPnl,
            Stored.ClosedFees, Stored.Risk?.ToState(), Stored.QueuedAction?.ToAction());

    /// <inheritdoc />
    public async Task RemoveAsync()
    {
        Retire();
        var symbol = Stored.Spec?.Symbol;
        if (state.RecordExists) await state.ClearStateAsync();
        if (symbol is not null) EmitNow(RunnerEvent.RunnerStopped(Id, symbol, "removed", EngineClock.System.NowUnixMs()));
        state.State = new RunnerGrainState();
        _restoreError = null;
        DeactivateOnIdle();
    }

    /// <inheritdoc />
    public Task<string?> EnterAsync(string side, double quantity, double? stopLoss = null, double? takeProfit = null)
    {
        var problems = new List<string>();
        var normalized = side?.Trim().ToLowerInvariant();
        if (normalized is not ("long" or "short")) problems.Add($"side must be long or short, got '{side}'.");
        if (!double.IsFinite(quantity) || quantity <= 0) problems.Add("quantity must be a finite number > 0.");
        if (stopLoss is { } stop && !(double.IsFinite(stop) && stop > 0)) problems.Add("stop_loss must be a finite number > 0.");
        if (takeProfit is { } target && !(double.IsFinite(target) && target > 0)) problems.Add("take_profit must be a finite number > 0.");
        if (problems.Count > 0) throw new ClusterRunnerException(string.Join(" ", problems));
        // The price is the next bar's: the step fills a manual action there, as if the strategy had returned it.
        return QueueManual(normalized == "long"
            ? TradingAction.EnterLong(0, quantity, stopLoss, takeProfit)
            : TradingAction.EnterShort(0, quantity, stopLoss, takeProfit));
    }

    /// <inheritdoc />
    public Task<string?> ExitAsync() => QueueManual(TradingAction.Exit(0, TickProcessor.ManualReason));

    // Stored before the answer: an acknowledged manual action is carried out even if the runner moves before its bar.
    private async Task<string?> QueueManual(TradingAction action)
    {
        var step = EnsureLoaded();
        var refusal = _status switch
        {
            RunnerStatus.Paused => $"runner '{Id}' is paused; resume it first",
            RunnerStatus.Stopped => $"runner '{Id}' is stopped",
            _ => step.Processor.QueueManual(action),
        };
        if (refusal is null) await SaveAsync();
        return refusal;
    }

    /// <inheritdoc />
    public async Task ProcessQueuedBarsAsync()
    {
        if (_step is not { } step || _inbox is not { } inbox) return;
        _bars ??= new MarketData[options.Value.MaxBarsPerCall];
        var count = inbox.Take(_bars);
        if (count == 0) return;
        _closed.Clear();
        var machine = step.Processor.Machine;
        var position = machine.Position;
        string? stop = null;
        for (var i = 0; i < count; i++)
        {
            ref readonly var data = ref _bars[i];
            // Bars at or before the newest processed one come from a feed behind this one (another silo's, before a move): skipped.
            if (_status != RunnerStatus.Running || data.Timestamp <= _lastBar) continue;
            _lastBar = data.Timestamp;
            var receivedAt = EngineClock.System.GetTimestamp();
            var tradesBefore = step.Trades.TotalAdded;
            try
            {
                stop = step.Process(data, receivedAt);
            }
            catch (Exception e)
            {
                // A bug in the host, not the strategy: this runner stops, the others go on.
                stop = step.Fail(data, receivedAt, e);
            }
            // A bar closes at most one trade; its reason is the one its PositionClosed event gave.
            if (step.Trades.TotalAdded != tradesBefore)
                _closed.Add(TradeView.Of(step.Trades.ToArray(1)[0].ToPosition()) with { Reason = step.LastCloseReason ?? "closed" });
            if (stop is not null) break;
        }
        if (stop is not null)
        {
            _status = RunnerStatus.Stopped;
            Stored.StopReason = stop;
            Unlist();
            LogStopped(Id, stop);
        }
        // One write for the whole call: what must survive (a trade, a position opened or closed, a stop) is stored before the
        // call returns, and a queue of bars costs one write, not one per bar that traded.
        var manualDone = Stored.PendingManual is not null && step.Processor.ManualAction is null; // carried out or refused
        // An order for the next open is acknowledged once queued: stored, so that it fills after a move too.
        var queuedChanged = (Stored.QueuedAction is not null) != step.Processor.QueuedAction.HasValue;
        if (stop is not null || _closed.Count > 0 || !ReferenceEquals(position, machine.Position) || manualDone || queuedChanged)
        {
            try
            {
                await SaveAsync();
            }
            catch
            {
                _events?.Discard(); // not stored: what the call did is not announced either
                throw;
            }
        }
        _events?.Flush();
        if (stop is not null) EmitStopped(stop);
    }

    /// <inheritdoc />
    public Task KeepAliveAsync() => Task.CompletedTask;

    // A new step over spec's strategy, restored from restore when given; the Lua state is closed again if anything fails.
    private RunnerStep Build(RunnerSpec spec, RunnerRestore? restore)
    {
        if (spec.StrategyName is null && spec.StrategyCode is null)
            throw new ArgumentException("A runner needs a strategy_name or strategy_code.", nameof(spec));
        var definition = spec.ToDefinition(Id);
        if (definition.Problems() is { Count: > 0 } problems) throw new InvalidRunnerDefinitionException(problems);
        var id = Id;
        var strategy = strategies.Load(spec, line => LogPrinted(id, line));
        try
        {
            strategy.SetParameters(definition.Params);
            var step = new RunnerStep(definition, strategy, _events ??= new EventBuffer(events), EngineClock.System, logger, options.Value.TradeHistorySize,
                risk.Global);
            if (restore is not null) step.Restore(restore);
            return step;
        }
        catch
        {
            strategy.Dispose();
            throw;
        }
    }

    private static bool IsDefinitionError(Exception e) =>
        e is ArgumentException or StrategyNotFoundException or StrategyLoadException or StrategyParameterException;

    // Writes what the step holds now, with the trades the current call closed appended to the stored history.
    private async Task SaveAsync()
    {
        var step = _step!;
        var captured = step.Capture(_status);
        var stored = Stored;
        stored.Status = _status.ToString();
        stored.State = captured.State.ToString();
        stored.Position = captured.Position is { } open ? PositionView.Of(open) : null;
        stored.Context = ScalarValue.Of(captured.Context);
        stored.RealizedPnl = captured.RealizedPnl;
        stored.ClosedFees = captured.ClosedFees;
        stored.LastBarTimestamp = _lastBar;
        stored.Risk = RiskStateView.Of(captured.Risk);
        stored.PendingManual = step.Processor.ManualAction is { } manual ? PendingActionView.Of(manual) : null;
        stored.QueuedAction = step.Processor.QueuedAction is { } queued ? PendingActionView.Of(queued) : null;
        // The trades the last bars closed, appended to the stored history once (a failed write drops them, as before a move).
        stored.JournalPending.AddRange(_closed);
        stored.ClosedTradeCount += _closed.Count;
        _closed.Clear();
        stored.JournalCapacity = options.Value.TradeHistorySize;
        try
        {
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException e)
        {
            // Another activation of this runner wrote after this one read: it is the runner now, this one goes away.
            LogSuperseded(e, Id);
            Retire();
            DeactivateOnIdle();
            throw;
        }
    }

    // A stopped runner takes no bars: it stays off the feed (a paused one stays on, to resume without a wait).
    private void Register()
    {
        if (Stored.Spec is { } spec && _status != RunnerStatus.Stopped) _inbox = registry.Register(Id, spec.Symbol, this.AsReference<IRunnerGrain>());
    }

    // Off the feed: the silo's queue of bars for the runner goes.
    private void Unlist()
    {
        registry.Unregister(Id);
        _inbox = null;
    }

    // Off the feed, and the Lua state closed: this activation processes no more bars.
    private void Retire()
    {
        Unlist();
        _step?.Processor.ReleaseGlobal(); // the silo's count of open positions: this activation's goes with it
        _step?.Processor.Strategy.Dispose();
        _step = null;
    }

    private void EnsureDefined()
    {
        if (state.RecordExists && Stored.Spec is not null) return;
        DeactivateOnIdle(); // nothing to keep: a lookup of an unknown id leaves no activation behind
        throw new ClusterRunnerException($"There is no runner '{Id}' on the cluster.", ClusterRunnerRefusal.NotDefined);
    }

    private RunnerStep EnsureLoaded()
    {
        EnsureDefined();
        return _step ?? throw new ClusterRunnerException($"Runner '{Id}' cannot run here: {_restoreError}", ClusterRunnerRefusal.Conflict);
    }

    private RunnerView View()
    {
        var stored = Stored;
        var step = _step;
        var account = step?.Processor.Account;
        var position = step is null ? stored.Position : step.Processor.Machine.Position is { } open ? PositionView.Of(open) : null;
        return new RunnerView
        {
            RunnerId = Id,
            Spec = stored.Spec!,
            Status = step is null ? StatusName(RunnerStatus.Stopped) : StatusName(_status),
            State = step?.Processor.Machine.State.ToString() ?? stored.State,
            Position = position,
            Context = step is null ? stored.Context : ScalarValue.Of(step.Processor.Strategy.ContextScalars()),
            RealizedPnl = account?.RealizedPnl ?? stored.RealizedPnl,
            FeesPaid = account?.FeesPaid ?? stored.ClosedFees + (stored.Position?.EntryFee ?? 0),
            ClosedTrades = stored.ClosedTradeCount,
            TicksProcessed = step?.TicksProcessed ?? 0,
            Errors = step?.Errors ?? 0,
            StopReason = step is null ? _restoreError : stored.StopReason,
            Silo = silo.SiloAddress.ToString(),
            Activations = stored.Activations,
            PendingManual = step is null ? stored.PendingManual?.Action : step.Processor.ManualAction?.Name,
            QueuedAction = step is null ? stored.QueuedAction?.Action : step.Processor.QueuedAction?.Name,
            RiskRefusals = step is null ? stored.Risk?.Rejections.Sum() ?? 0 : RiskRefusals(step),
            EntriesBlocked = step?.Processor.Risk?.EntriesBlocked ?? stored.Risk?.EntriesBlocked ?? false,
        };
    }

    // A lifecycle event, after whatever the step emitted before it.
    private void EmitNow(in RunnerEvent runnerEvent)
    {
        _events?.Flush();
        events.Emit(runnerEvent);
    }

    private void EmitStopped(string reason) => EmitNow(RunnerEvent.RunnerStopped(Id, Stored.Spec!.Symbol, reason, EngineClock.System.NowUnixMs()));

    private static long RiskRefusals(RunnerStep step)
    {
        if (step.Processor.Risk is not { } risk) return 0;
        long sum = 0;
        foreach (var limit in RiskNames.AllLimits) sum += risk.Rejections(limit);
        return sum;
    }

    private static string StatusName(RunnerStatus status) => status.ToString().ToLowerInvariant();

    [LoggerMessage(Level = LogLevel.Information, Message = "{RunnerId}: active on {Silo} ({State}, {ClosedTrades} closed trades)")]
    private partial void LogActivated(string runnerId, string silo, string state, long closedTrades);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RunnerId}: stopped ({Reason})")]
    private partial void LogStopped(string runnerId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RunnerId} print: {Line}")]
    private partial void LogPrinted(string runnerId, string line);

    [LoggerMessage(Level = LogLevel.Error, Message = "{RunnerId}: the stored definition does not load; the runner stays stopped")]
    private partial void LogRestoreFailed(Exception e, string runnerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{RunnerId}: another activation wrote its state; this one deactivates")]
    private partial void LogSuperseded(Exception e, string runnerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{RunnerId}: the state could not be written on deactivation")]
    private partial void LogDeactivationWriteFailed(Exception e, string runnerId);
}
