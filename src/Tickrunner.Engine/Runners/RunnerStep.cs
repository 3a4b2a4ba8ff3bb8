using Microsoft.Extensions.Logging;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Runners;

/// <summary>
/// One runner's synchronous work for one bar, shared by live runners and backtests: TickReceived → window →
/// strategy → state machine → stop/target → events, with the runner's stats and closed trades.
/// </summary>
/// <remarks>
/// It knows nothing of inboxes, threads or commands: <see cref="SymbolRunner"/> drives it from its actor loop,
/// and a backtest drives it in a plain loop, bar after bar, with no channel and nothing dropped. Events go to
/// the sink (none are built without one), stamped by the clock. Not thread-safe: one caller at a time.
/// </remarks>
public sealed partial class RunnerStep
{
    private readonly IEventSink? _events;
    private readonly IEngineClock _clock;
    private readonly ILogger _logger;
    private readonly RunnerConfig _config;
    private readonly string _id, _symbol;
    private ErrorThrottle _errorThrottle;
    private long _ticks, _executed, _rejected, _errors;
    // For the engine's totals (monitoring): actions by kind, executed at [kind] and rejected at [kinds + kind], and the
    // errors that stopped the runner. Touched only when an action or an error happens, never on a plain tick.
    private static readonly int ActionKinds = Enum.GetValues<ActionKind>().Length;
    private readonly long[] _actions = new long[2 * ActionKinds];
    private long _critical;
    private long _tickTicksTotal, _tickTicksMin = long.MaxValue, _tickTicksMax;

    /// <summary>A step for <paramref name="definition"/>'s runner over <paramref name="strategy"/>.</summary>
    /// <remarks><paramref name="global"/> is the engine's kill switch and limits across runners (null in a backtest).</remarks>
    public RunnerStep(RunnerDefinition definition, LuaStrategy strategy, IEventSink? events, IEngineClock clock, ILogger logger,
        int tradeHistorySize = 1000, GlobalRisk? global = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        Definition = definition;
        _id = definition.RunnerId;
        _symbol = definition.Symbol;
        _config = definition.Config;
        _events = events;
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        Processor = new TickProcessor(strategy, definition.WindowSize, definition.Account, definition.Risk, global) { DetailedRejections = events is not null };
        Trades = new BoundedHistory<ClosedPositionRecord>(tradeHistorySize);
    }

    /// <summary>What the runner is.</summary>
    public RunnerDefinition Definition { get; }

    /// <summary>The window, the state machine and the strategy.</summary>
    public TickProcessor Processor { get; }

    /// <summary>The newest closed trades.</summary>
    public BoundedHistory<ClosedPositionRecord> Trades { get; }

    /// <summary>Why the newest trade of <see cref="Trades"/> closed (the reason its PositionClosed event gave), or null before the first.</summary>
    public string? LastCloseReason { get; private set; }

    /// <summary>What the last bar did (a backtest reads its fills and closes from here).</summary>
    public TickOutcome LastOutcome { get; private set; }

    /// <summary>Resumes from <paramref name="restore"/> before the first bar: the context, then the state, position, account and risk guard (the caller keeps the status).</summary>
    public void Restore(RunnerRestore restore)
    {
        ArgumentNullException.ThrowIfNull(restore);
        // The context first: it can refuse what it is given, and the processor's restore counts the open position across runners,
        // which a runner that was never built would not give back.
        Processor.Strategy.SetContext(restore.Context);
        Processor.Restore(restore);
    }

    /// <summary>What a new instance resumes with (<see cref="Restore"/>): state, open position, context, closed-trade totals, risk state and the order waiting for the next open, with <paramref name="status"/>.</summary>
    public RunnerRestore Capture(RunnerStatus status)
    {
        var machine = Processor.Machine;
        var account = Processor.Account;
        return new RunnerRestore(status, machine.State, machine.Position?.Clone(), Processor.Strategy.ContextScalars(),
            account.RealizedPnl, account.FeesPaid - account.OpenEntryFee, Processor.Risk?.Capture(), Processor.QueuedAction);
    }

    /// <summary>
    /// Everything the dashboard shows about the runner now, with <paramref name="status"/>, <paramref name="uptimeMs"/> and
    /// <paramref name="ticksDropped"/> from its host and its newest <paramref name="transitions"/>: one shape wherever it runs.
    /// <paramref name="definition"/> is the host's, whose risk limits may have changed since this step was built.
    /// </summary>
    public RunnerSnapshot Snapshot(RunnerDefinition definition, RunnerStatus status, long uptimeMs, long ticksDropped, int transitions)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var machine = Processor.Machine;
        return new RunnerSnapshot(
            _id, _symbol, definition.StrategyName, status, machine.State, machine.Position?.Clone(),
            Processor.Strategy.ContextScalars(), Stats(ticksDropped), uptimeMs,
            definition.WindowSize, Processor.Window.Count,
            machine.RecentTransitions(transitions), definition.Config,
            AccountSnapshot.Of(Processor.Account, machine.Position), Processor.Strategy.ParameterValues)
        {
            Risk = RiskSnapshot.Of(definition.Risk, Processor.Risk),
            RiskState = Processor.Risk?.Capture(),
            ManualAction = Processor.ManualAction?.Name,
        };
    }

    /// <summary>Errors the strategy raised.</summary>
    public long Errors => _errors;

    /// <summary>Bars processed.</summary>
    public long TicksProcessed => _ticks;

    /// <summary>
    /// Processes one bar that reached the runner at <paramref name="receivedAt"/> (the clock's timestamp). Returns
    /// why the runner must stop now (stop_on_error, a call the watchdog stopped, or the maximum drawdown), or null.
    /// </summary>
    public string? Process(in MarketData bar, long receivedAt)
    {
        var started = _config.CollectMetrics ? _clock.GetTimestamp() : 0;
        var sink = _events;
        var at = _clock.StampOf(bar, receivedAt);
        sink?.Emit(RunnerEvent.TickReceived(_id, bar, receivedAt, at));
        var outcome = Processor.Process(bar);
        LastOutcome = outcome;
        _ticks++;
        // The risk guard's hits of this bar, in order: each refusal's goes with its Warning, the close's come last.
        var hits = 0;

        // An entry or exit queued on the previous bar filled (or was refused) at this open; then intrabar exits.
        if (outcome.Queued.Executed || outcome.Queued.IsRejected)
        {
            var queued = outcome.Queued;
            if (queued.IsRejected)
            {
                _rejected++;
                _actions[ActionKinds + (int)outcome.QueuedAction.Kind]++;
                sink?.Emit(RunnerEvent.Error(_id, _symbol, $"{outcome.QueuedAction.Name} rejected at the open: {queued.Rejection}", ErrorSeverity.Warning, receivedAt, at));
                if (queued.RiskRefused) EmitRiskHit(ref hits, receivedAt, at);
            }
            else if (queued.Executed)
            {
                _executed++;
                _actions[(int)outcome.QueuedAction.Kind]++;
                if (_config.LogActions) LogAction(_id, outcome.QueuedAction.Name, bar.Open);
                sink?.Emit(RunnerEvent.ActionExecuted(_id, _symbol, outcome.QueuedAction, receivedAt, at));
                Report(queued, receivedAt, at);
            }
        }
        Report(outcome.Early, receivedAt, at);

        // A manual entry or exit, carried out before the strategy as if it had returned it.
        var manual = outcome.Manual;
        if (manual.IsRejected)
        {
            _rejected++;
            _actions[ActionKinds + (int)outcome.ManualAction.Kind]++;
            sink?.Emit(RunnerEvent.Error(_id, _symbol, $"manual {outcome.ManualAction.Name} rejected: {manual.Rejection}", ErrorSeverity.Warning, receivedAt, at));
            if (manual.RiskRefused) EmitRiskHit(ref hits, receivedAt, at);
        }
        else if (manual.Executed && !manual.Queued)
        {
            _executed++;
            _actions[(int)outcome.ManualAction.Kind]++;
            if (_config.LogActions) LogAction(_id, "manual " + outcome.ManualAction.Name, bar.Close);
            sink?.Emit(RunnerEvent.ActionExecuted(_id, _symbol, outcome.ManualAction, receivedAt, at));
            Report(manual, receivedAt, at);
        }

        var strategyError = outcome.Strategy.Error;
        // A call the watchdog had to stop would most likely run as long on the next tick: the runner stops.
        var fatal = strategyError is not null && (_config.StopOnError || Processor.Strategy.LastCallTimedOut);
        if (strategyError is not null)
        {
            if (fatal) _critical++; // before _errors: a reader that takes _errors first never counts a critical error as a plain one
            _errors++;
            var severity = fatal ? ErrorSeverity.Critical : ErrorSeverity.Error;
            // The same error on every tick is reported once per window, with the count of repeats since.
            // Timed by the clock's stamp, so a backtest reports the same errors however fast it runs.
            if (_errorThrottle.ShouldReport(strategyError, at, fatal, out var reported))
            {
                LogStrategyError(_id, reported);
                sink?.Emit(RunnerEvent.Error(_id, _symbol, reported, severity, receivedAt, at));
            }
        }

        var step = outcome.Action;
        if (step.IsRejected)
        {
            _rejected++;
            _actions[ActionKinds + (int)outcome.Strategy.Action.Kind]++;
            sink?.Emit(RunnerEvent.Error(_id, _symbol, $"{outcome.Strategy.Action.Name} rejected: {step.Rejection}", ErrorSeverity.Warning, receivedAt, at));
            if (step.RiskRefused) EmitRiskHit(ref hits, receivedAt, at);
        }
        else if (step.Executed && !step.Queued)
        {
            if (outcome.Strategy.Signal == StrategySignal.Action)
            {
                _executed++;
                _actions[(int)outcome.Strategy.Action.Kind]++;
                if (_config.LogActions) LogAction(_id, outcome.Strategy.Action.Name, bar.Close);
                sink?.Emit(RunnerEvent.ActionExecuted(_id, _symbol, outcome.Strategy.Action, receivedAt, at));
            }
            Report(step, receivedAt, at);
        }
        Report(outcome.Exit, receivedAt, at);
        string? riskStop = null;
        if (Processor.Risk is { } risk)
        {
            // What the close did: blocked entries, flattened, or reached the maximum drawdown.
            while (hits < risk.Hits.Length) EmitRiskHit(ref hits, receivedAt, at);
            if (outcome.RiskStop) riskStop = StopReason(risk);
        }

        if (sink is not null && Processor.Machine.Position is { } open)
            sink.Emit(RunnerEvent.PositionUpdated(_id, _symbol, open.CurrentPrice, open.UnrealizedPnl, receivedAt, at));

        // What the strategy plotted on this bar, as one event, last. A backtest has no sink: plots cost it nothing beyond the calls.
        var strategy = Processor.Strategy;
        if (sink is not null && strategy.PlotMask != 0)
            sink.Emit(RunnerEvent.Plot(_id, _symbol, bar.Timestamp, strategy.PlotLayout!, strategy.PlotMask, strategy.PlotValues, receivedAt, at));

        if (started != 0)
        {
            var elapsed = _clock.GetTimestamp() - started;
            _tickTicksTotal += elapsed;
            if (elapsed < _tickTicksMin) _tickTicksMin = elapsed;
            if (elapsed > _tickTicksMax) _tickTicksMax = elapsed;
        }
        return fatal ? $"strategy error: {strategyError}" : riskStop;
    }

    private void EmitRiskHit(ref int index, long receivedAt, long at)
    {
        var hits = Processor.Risk!.Hits;
        if (index >= hits.Length) return;
        var hit = hits[index++];
        // A refusal can come on every bar and is in the events; what the limits do to the position is logged always.
        if (hit.Action >= RiskAction.BlockEntries) LogRiskHit(_id, hit.LimitName, hit.Value, hit.Threshold, hit.ActionName);
        _events?.Emit(RunnerEvent.RiskLimitHit(_id, _symbol, hit, receivedAt, at));
    }

    // RunnerStopped's reason after the maximum drawdown, e.g. "max drawdown: 12.5 % from the peak of 10400, the limit is 10 %".
    private static string StopReason(RiskGuard risk)
    {
        foreach (var hit in risk.Hits)
            if (hit.Limit == RiskLimit.MaxDrawdownPct)
                return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"max drawdown: {hit.Value:0.##} % from the peak of {risk.PeakEquity:0.########}, the limit is {hit.Threshold:0.##} %");
        return "max drawdown";
    }

    // Events of one state-machine step, in the documented order: PositionOpened, StateTransition, PositionClosed.
    private void Report(in ActionResult step, long receivedAt, long at)
    {
        var sink = _events;
        if (step.Opened is { } opened)
        {
            if (_config.LogPositions) LogOpened(_id, opened.Side, opened.Quantity, opened.EntryPrice);
            sink?.Emit(RunnerEvent.PositionOpened(_id, _symbol, opened, receivedAt, at));
        }
        if (step.Transition is { } transition) sink?.Emit(RunnerEvent.StateTransition(_id, _symbol, transition, receivedAt, at));
        if (step.Closed is { } closed)
        {
            Trades.Add(new ClosedPositionRecord(closed));
            var reason = step.Transition?.Reason ?? "closed";
            LastCloseReason = reason;
            if (_config.LogPositions) LogClosed(_id, closed.ExitPrice ?? 0, closed.RealizedPnl ?? 0, reason);
            var account = Processor.Account;
            sink?.Emit(RunnerEvent.PositionClosed(_id, _symbol, closed, reason, account.Equity(null), account.Cash(null), receivedAt, at));
        }
    }

    /// <summary>The runner's counters; <paramref name="dropped"/> is what the caller's inbox dropped (0 in a backtest).</summary>
    public RunnerStats Stats(long dropped)
    {
        var toMicros = 1_000_000.0 / _clock.TimestampFrequency;
        return new RunnerStats(
            _ticks, _executed, _rejected, _errors,
            _ticks == 0 ? 0 : (double)_errors / _ticks,
            _ticks == 0 ? 0 : _tickTicksTotal * toMicros / _ticks,
            _tickTicksMin == long.MaxValue ? 0 : _tickTicksMin * toMicros,
            _tickTicksMax * toMicros,
            dropped);
    }

    /// <summary>
    /// Adds this step's counters to <paramref name="totals"/>, with <paramref name="dropped"/> for the caller's inbox. Called from
    /// another thread than the one processing (a monitoring read): each counter is read whole, the set of them not at one instant.
    /// </summary>
    internal void AddCountsTo(EngineTotals totals, long dropped)
    {
        totals.AddTicks(Volatile.Read(ref _ticks), dropped);
        for (var kind = 0; kind < ActionKinds; kind++)
            totals.AddAction(kind, Volatile.Read(ref _actions[kind]), Volatile.Read(ref _actions[ActionKinds + kind]));
        var errors = Volatile.Read(ref _errors); // first: see Process
        var critical = Volatile.Read(ref _critical);
        totals.AddErrors(Volatile.Read(ref _rejected), Math.Max(0, errors - critical), critical);
    }

    /// <summary>Records an error of the host (not the strategy) on this bar: Critical; the caller stops the runner.</summary>
    public string Fail(in MarketData bar, long receivedAt, Exception e)
    {
        _critical++;
        _errors++;
        var message = $"internal error: {e.Message}";
        _events?.Emit(RunnerEvent.Error(_id, _symbol, message, ErrorSeverity.Critical, receivedAt, _clock.StampOf(bar, receivedAt)));
        return message;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{RunnerId}: {Action} at {Price}")]
    private partial void LogAction(string runnerId, string action, double price);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RunnerId}: opened {Side} {Quantity} at {Price}")]
    private partial void LogOpened(string runnerId, PositionSide side, double quantity, double price);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RunnerId}: closed at {Price}, P&L {Pnl} ({Reason})")]
    private partial void LogClosed(string runnerId, double price, double pnl, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{RunnerId}: risk limit {Limit} hit ({Value}, threshold {Threshold}): {Action}")]
    private partial void LogRiskHit(string runnerId, string limit, double value, double threshold, string action);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{RunnerId}: strategy error: {Error}")]
    private partial void LogStrategyError(string runnerId, string error);
}
