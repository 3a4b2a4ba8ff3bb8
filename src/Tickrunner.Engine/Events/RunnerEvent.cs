using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Events;

/// <summary>The variants of <see cref="RunnerEvent"/>; their names are the wire tags.</summary>
public enum RunnerEventKind : byte
{
    /// <summary>A bar reached the runner.</summary>
    TickReceived,
    /// <summary>The state machine changed state.</summary>
    StateTransition,
    /// <summary>The state machine carried out a strategy action.</summary>
    ActionExecuted,
    /// <summary>A position was opened.</summary>
    PositionOpened,
    /// <summary>The open position was marked to the close.</summary>
    PositionUpdated,
    /// <summary>The position was closed (by the strategy, the stop or the target).</summary>
    PositionClosed,
    /// <summary>A strategy error or a rejected action.</summary>
    Error,
    /// <summary>A runner was added and started.</summary>
    RunnerStarted,
    /// <summary>A runner stopped (stop command, stop_on_error, removal, shutdown).</summary>
    RunnerStopped,
    /// <summary>A backtest job came further (its id is <see cref="RunnerEvent.RunnerId"/>, on the wire <c>backtest_id</c>).</summary>
    BacktestProgress,
    /// <summary>A backtest job ended: done, failed or cancelled.</summary>
    BacktestFinished,
    /// <summary>A runner was paused or resumed (stopping is <see cref="RunnerStopped"/>): every client shows the change at once.</summary>
    RunnerStatusChanged,
    /// <summary>An optimization job came further (its id is <see cref="RunnerEvent.RunnerId"/>, on the wire <c>optimization_id</c>).</summary>
    OptimizationProgress,
    /// <summary>An optimization job ended: done, failed or cancelled.</summary>
    OptimizationFinished,
    /// <summary>A risk limit refused an entry, blocked entries for the day, flattened the position or stopped the runner.</summary>
    RiskLimitHit,
    /// <summary>The engine's kill switch was turned on (no runner id or symbol).</summary>
    EngineHalted,
    /// <summary>The engine's kill switch was turned off (no runner id or symbol).</summary>
    EngineResumed,
    /// <summary>The values a strategy plotted on a bar (<c>plot()</c>), at most one event per bar.</summary>
    Plot,
}

/// <summary>How serious an <see cref="RunnerEventKind.Error"/> event is.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<ErrorSeverity>))]
public enum ErrorSeverity : byte
{
    /// <summary>An action was rejected; the runner goes on.</summary>
    Warning,
    /// <summary>A strategy error; the tick was skipped.</summary>
    Error,
    /// <summary>A strategy error that stopped the runner (stop_on_error).</summary>
    Critical,
}

/// <summary>
/// One thing that happened in a runner. A value type holding references the runner already has, so emitting
/// one on the per-tick path allocates nothing; the hub gives it a sequence number and serializes it once.
/// </summary>
/// <remarks>Which fields are meaningful depends on <see cref="Kind"/>; the factory methods set exactly those.</remarks>
public readonly struct RunnerEvent
{
    // Kept small and with few references: copying a struct with references costs a GC write barrier per
    // reference. The symbol lives in Data (only TickReceived fills the rest of it), and the reason/message,
    // the boxed action and the position share one field; each kind uses at most one of them.
    private readonly object? _payload;

    private RunnerEvent(RunnerEventKind kind, string runnerId, string symbol, long receivedAt, long timestamp, in MarketData data = default,
        TradingState from = default, TradingState to = default, object? payload = null,
        double price = 0, double pnl = 0, ErrorSeverity severity = default)
    {
        Kind = kind;
        RunnerId = runnerId;
        ReceivedAt = receivedAt;
        Timestamp = timestamp;
        Data = kind is RunnerEventKind.TickReceived or RunnerEventKind.Plot ? data : new MarketData { Symbol = symbol };
        From = from;
        To = to;
        _payload = payload;
        Price = price;
        Pnl = pnl;
        Severity = severity;
    }

    /// <summary>The variant.</summary>
    public RunnerEventKind Kind { get; }
    /// <summary>The runner it happened in.</summary>
    public string RunnerId { get; }
    /// <summary>The runner's symbol (all variants carry it, for filtering; only some put it on the wire).</summary>
    public string Symbol => Data.Symbol;
    /// <summary>When it happened (Unix ms), as the engine's clock stamped it: live, when the bar that caused it reached the runner; in a backtest, that bar's time.</summary>
    public long Timestamp { get; }
    /// <summary>When the bar that caused it reached the runner (the clock's monotonic timestamp), for latency measurements; 0 for events no bar caused.</summary>
    public long ReceivedAt { get; }
    /// <summary>TickReceived: the bar.</summary>
    public MarketData Data { get; }
    /// <summary>StateTransition: the state left.</summary>
    public TradingState From { get; }
    /// <summary>StateTransition: the state entered.</summary>
    public TradingState To { get; }
    /// <summary>StateTransition/PositionClosed/RunnerStopped: the reason; Error: the message; BacktestFinished, OptimizationFinished, RunnerStatusChanged: the status.</summary>
    public string? Text => _payload as string ?? (_payload as ClosedTrade)?.Reason;
    /// <summary>ActionExecuted: the action.</summary>
    public TradingAction Action => _payload is TradingAction action ? action : default;
    /// <summary>PositionOpened: a detached copy of the position; PositionClosed: the closed position.</summary>
    public Position? Position => _payload as Position ?? (_payload as ClosedTrade)?.Position;
    /// <summary>PositionUpdated: current price; PositionClosed: exit price; BacktestProgress, OptimizationProgress: progress 0..1.</summary>
    public double Price { get; }
    /// <summary>PositionUpdated: unrealized P&amp;L; PositionClosed: realized P&amp;L net of fees; BacktestProgress: bars per second.</summary>
    public double Pnl { get; }
    /// <summary>PositionClosed: the account after the close.</summary>
    public ClosedTrade? Trade => _payload as ClosedTrade;
    /// <summary>Error: how serious.</summary>
    public ErrorSeverity Severity { get; }

    /// <summary>TickReceived.</summary>
    public static RunnerEvent TickReceived(string runnerId, in MarketData bar, long receivedAt, long timestamp) =>
        new(RunnerEventKind.TickReceived, runnerId, bar.Symbol, receivedAt, timestamp, bar);

    /// <summary>StateTransition.</summary>
    public static RunnerEvent StateTransition(string runnerId, string symbol, in Transition t, long receivedAt, long timestamp) =>
        new(RunnerEventKind.StateTransition, runnerId, symbol, receivedAt, timestamp, from: t.From, to: t.To, payload: t.Reason);

    /// <summary>ActionExecuted.</summary>
    public static RunnerEvent ActionExecuted(string runnerId, string symbol, in TradingAction action, long receivedAt, long timestamp) =>
        new(RunnerEventKind.ActionExecuted, runnerId, symbol, receivedAt, timestamp, payload: action);

    /// <summary>PositionOpened (the position is copied).</summary>
    public static RunnerEvent PositionOpened(string runnerId, string symbol, Position position, long receivedAt, long timestamp) =>
        new(RunnerEventKind.PositionOpened, runnerId, symbol, receivedAt, timestamp, payload: position.Clone());

    /// <summary>PositionUpdated.</summary>
    public static RunnerEvent PositionUpdated(string runnerId, string symbol, double currentPrice, double unrealizedPnl, long receivedAt, long timestamp) =>
        new(RunnerEventKind.PositionUpdated, runnerId, symbol, receivedAt, timestamp, price: currentPrice, pnl: unrealizedPnl);

    /// <summary>PositionClosed; <paramref name="closed"/> must have its exit fields set (it is not copied: closed positions no longer change).</summary>
    /// <remarks>Its P&amp;L is net of both fees; <paramref name="equity"/> and <paramref name="cash"/> are the account's after the close.</remarks>
    public static RunnerEvent PositionClosed(string runnerId, string symbol, Position closed, string reason, double equity, double cash,
        long receivedAt, long timestamp) =>
        new(RunnerEventKind.PositionClosed, runnerId, symbol, receivedAt, timestamp, payload: new ClosedTrade(closed, reason, equity, cash),
            price: closed.ExitPrice ?? closed.CurrentPrice, pnl: closed.NetPnl ?? 0);

    /// <summary>Error.</summary>
    public static RunnerEvent Error(string runnerId, string symbol, string error, ErrorSeverity severity, long receivedAt, long timestamp) =>
        new(RunnerEventKind.Error, runnerId, symbol, receivedAt, timestamp, payload: error, severity: severity);

    /// <summary>RunnerStarted.</summary>
    public static RunnerEvent RunnerStarted(string runnerId, string symbol, long timestamp) =>
        new(RunnerEventKind.RunnerStarted, runnerId, symbol, 0, timestamp);

    /// <summary>RunnerStatusChanged to <paramref name="status"/> (<c>paused</c> or <c>running</c>).</summary>
    public static RunnerEvent RunnerStatusChanged(string runnerId, string symbol, string status, long timestamp) =>
        new(RunnerEventKind.RunnerStatusChanged, runnerId, symbol, 0, timestamp, payload: status);

    /// <summary>RunnerStopped.</summary>
    public static RunnerEvent RunnerStopped(string runnerId, string symbol, string reason, long timestamp) =>
        new(RunnerEventKind.RunnerStopped, runnerId, symbol, 0, timestamp, payload: reason);

    // Backtest events carry no symbol (""), so a subscriber filtering by symbol never receives them; the id sits in
    // RunnerId, so a runner_id filter passes them only when it names the backtest's id.

    /// <summary>BacktestProgress of job <paramref name="backtestId"/>: <paramref name="progress"/> 0..1, bars done, bars per second.</summary>
    public static RunnerEvent BacktestProgress(string backtestId, double progress, long barsDone, double barsPerSecond, long timestamp) =>
        new(RunnerEventKind.BacktestProgress, backtestId, "", 0, timestamp, payload: new BacktestProgressInfo(barsDone), price: progress, pnl: barsPerSecond);

    /// <summary>BacktestFinished of job <paramref name="backtestId"/> with its final status (<c>done</c>, <c>failed</c>, <c>cancelled</c>).</summary>
    public static RunnerEvent BacktestFinished(string backtestId, string status, long timestamp) =>
        new(RunnerEventKind.BacktestFinished, backtestId, "", 0, timestamp, payload: status);

    /// <summary>BacktestProgress: bars processed so far.</summary>
    public long BarsDone => (_payload as BacktestProgressInfo)?.BarsDone ?? 0;

    // Optimization events, like backtest events, carry no symbol and put the job's id in RunnerId.

    /// <summary>
    /// OptimizationProgress of job <paramref name="optimizationId"/>: <paramref name="progress"/> 0..1 over all windows, the
    /// current window's trials done and planned, the window (from 0) of how many, and the best objective so far with its trial.
    /// </summary>
    public static RunnerEvent OptimizationProgress(string optimizationId, double progress, int trialsDone, int trialsPlanned, int window,
        int windows, double? bestObjective, int? bestTrial, long timestamp) =>
        new(RunnerEventKind.OptimizationProgress, optimizationId, "", 0, timestamp,
            payload: new OptimizationProgressInfo(trialsDone, trialsPlanned, window, windows, bestObjective, bestTrial), price: progress);

    /// <summary>OptimizationFinished of job <paramref name="optimizationId"/> with its final status (<c>done</c>, <c>failed</c>, <c>cancelled</c>).</summary>
    public static RunnerEvent OptimizationFinished(string optimizationId, string status, long timestamp) =>
        new(RunnerEventKind.OptimizationFinished, optimizationId, "", 0, timestamp, payload: status);

    /// <summary>OptimizationProgress: the counts besides the progress; null for other kinds.</summary>
    internal OptimizationProgressInfo? Optimization => _payload as OptimizationProgressInfo;

    /// <summary>RiskLimitHit: the limit, the value that hit it (in <see cref="Price"/>), its threshold (in <see cref="Pnl"/>) and what it did.</summary>
    public static RunnerEvent RiskLimitHit(string runnerId, string symbol, in RiskHit hit, long receivedAt, long timestamp) =>
        new(RunnerEventKind.RiskLimitHit, runnerId, symbol, receivedAt, timestamp, payload: RiskHitInfo.Of(hit.Limit, hit.Action),
            price: hit.Value, pnl: hit.Threshold);

    // Engine events carry neither a runner id nor a symbol (""): they pass every runner_id and symbol filter (EventFilter),
    // so every page hears a halt; only a type filter can leave them out.

    /// <summary>EngineHalted; <paramref name="flatten"/> when every open position is closed at its runner's next bar (in <see cref="Price"/>, 1 or 0).</summary>
    public static RunnerEvent EngineHalted(bool flatten, long timestamp) =>
        new(RunnerEventKind.EngineHalted, "", "", 0, timestamp, price: flatten ? 1 : 0);

    /// <summary>EngineResumed.</summary>
    public static RunnerEvent EngineResumed(long timestamp) => new(RunnerEventKind.EngineResumed, "", "", 0, timestamp);

    /// <summary>
    /// Plot: the values <paramref name="values"/> (slot i for <paramref name="layout"/>'s series i, those whose bit is in
    /// <paramref name="mask"/>) of the bar at <paramref name="barTime"/>. The values are copied into the event's own number fields
    /// (the bar's seven: open to ask), the mask into <see cref="Price"/>; the layout is immutable: nothing the runner reuses is kept.
    /// </summary>
    public static RunnerEvent Plot(string runnerId, string symbol, long barTime, PlotLayout layout, int mask, ReadOnlySpan<double> values,
        long receivedAt, long timestamp)
    {
        if (values.Length < PlotLimits.MaxSeries) throw new ArgumentException($"Plot takes {PlotLimits.MaxSeries} value slots.", nameof(values));
        var data = new MarketData(symbol, barTime, values[0], values[1], values[2], values[3], values[4], values[5], values[6]);
        return new(RunnerEventKind.Plot, runnerId, symbol, receivedAt, timestamp, data, payload: layout, price: mask);
    }

    /// <summary>Plot: the series (value <c>i</c> belongs to series <c>i</c>); null for other kinds.</summary>
    public PlotLayout? PlotLayout => _payload as PlotLayout;

    /// <summary>Plot: which values the bar plotted, bit <c>i</c> for series <c>i</c>; 0 for other kinds.</summary>
    public int PlotMask => Kind == RunnerEventKind.Plot ? (int)Price : 0;

    /// <summary>Plot: the time of the bar the values are for (Unix ms; <see cref="Timestamp"/> is when it happened).</summary>
    public long PlotBarTime => Kind == RunnerEventKind.Plot ? Data.Timestamp : 0;

    /// <summary>Plot: the value of series <paramref name="index"/> (0 to 6); meaningful when its bit is in <see cref="PlotMask"/>.</summary>
    public double PlotValue(int index)
    {
        var d = Data;
        return index switch
        {
            0 => d.Open, 1 => d.High, 2 => d.Low, 3 => d.Close, 4 => d.Volume, 5 => d.Bid, 6 => d.Ask,
            _ => throw new ArgumentOutOfRangeException(nameof(index), index, $"A plot has {PlotLimits.MaxSeries} values."),
        };
    }

    /// <summary>RiskLimitHit: the hit; null for other kinds.</summary>
    public RiskHit? Risk => _payload is RiskHitInfo info ? new RiskHit(info.Limit, Price, Pnl, info.Action) : null;
}

/// <summary>The names of a RiskLimitHit event: one shared instance per limit and action, so emitting one allocates nothing.</summary>
internal sealed class RiskHitInfo
{
    private static readonly RiskHitInfo[] All = Build();

    private RiskHitInfo(RiskLimit limit, RiskAction action)
    {
        Limit = limit;
        Action = action;
    }

    public RiskLimit Limit { get; }
    public RiskAction Action { get; }
    public string LimitName => RiskNames.Of(Limit);
    public string ActionName => RiskNames.Of(Action);

    private static readonly int Actions = Enum.GetValues<RiskAction>().Length;

    public static RiskHitInfo Of(RiskLimit limit, RiskAction action) => All[(int)limit * Actions + (int)action];

    private static RiskHitInfo[] Build()
    {
        var limits = Enum.GetValues<RiskLimit>();
        var actions = Enum.GetValues<RiskAction>();
        var all = new RiskHitInfo[limits.Length * actions.Length];
        foreach (var l in limits) foreach (var a in actions) all[(int)l * actions.Length + (int)a] = new RiskHitInfo(l, a);
        return all;
    }
}

/// <summary>The part of a BacktestProgress event that has no field of its own in <see cref="RunnerEvent"/>.</summary>
internal sealed record BacktestProgressInfo(long BarsDone);

/// <summary>The part of an OptimizationProgress event that has no field of its own in <see cref="RunnerEvent"/>.</summary>
internal sealed record OptimizationProgressInfo(int TrialsDone, int TrialsPlanned, int Window, int Windows, double? BestObjective, int? BestTrial);

/// <summary>A closed position, why it was closed, and the account after it (the payload of PositionClosed).</summary>
public sealed record ClosedTrade(Position Position, string Reason, double Equity, double Cash);

/// <summary>Where a runner sends its events (the <see cref="EventHub"/>, or a test's collector).</summary>
public interface IEventSink
{
    /// <summary>Takes one event; must never block.</summary>
    void Emit(in RunnerEvent runnerEvent);
}
