using System.Diagnostics;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Events;

/// <summary>The variants of <see cref="RunnerEvent"/>; their names are the wire tags.</summary>
public enum RunnerEventKind
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
}

/// <summary>How serious an <see cref="RunnerEventKind.Error"/> event is.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<ErrorSeverity>))]
public enum ErrorSeverity
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
    /// <summary>The variant.</summary>
    public RunnerEventKind Kind { get; private init; }
    /// <summary>The runner it happened in.</summary>
    public string RunnerId { get; private init; }
    /// <summary>The runner's symbol (all variants carry it, for filtering; only some put it on the wire).</summary>
    public string Symbol { get; private init; }
    /// <summary>When it happened (Unix ms, wall clock).</summary>
    public long Timestamp { get; private init; }
    /// <summary>When the bar that caused it reached the engine (Stopwatch ticks), for latency measurements.</summary>
    public long ReceivedAt { get; private init; }
    /// <summary>TickReceived: the bar.</summary>
    public MarketData Data { get; private init; }
    /// <summary>StateTransition: the state left.</summary>
    public TradingState From { get; private init; }
    /// <summary>StateTransition: the state entered.</summary>
    public TradingState To { get; private init; }
    /// <summary>StateTransition/PositionClosed/RunnerStopped: the reason; Error: the message.</summary>
    public string? Text { get; private init; }
    /// <summary>ActionExecuted: the action.</summary>
    public TradingAction Action { get; private init; }
    /// <summary>PositionOpened: a detached copy of the position.</summary>
    public Position? Position { get; private init; }
    /// <summary>PositionUpdated: current price; PositionClosed: exit price.</summary>
    public double Price { get; private init; }
    /// <summary>PositionUpdated: unrealized P&amp;L; PositionClosed: realized P&amp;L.</summary>
    public double Pnl { get; private init; }
    /// <summary>Error: how serious.</summary>
    public ErrorSeverity Severity { get; private init; }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>TickReceived.</summary>
    public static RunnerEvent TickReceived(string runnerId, in MarketData bar, long receivedAt) =>
        new() { Kind = RunnerEventKind.TickReceived, RunnerId = runnerId, Symbol = bar.Symbol, Data = bar, Timestamp = Now(), ReceivedAt = receivedAt };

    /// <summary>StateTransition.</summary>
    public static RunnerEvent StateTransition(string runnerId, string symbol, in Transition t, long receivedAt) =>
        new() { Kind = RunnerEventKind.StateTransition, RunnerId = runnerId, Symbol = symbol, From = t.From, To = t.To, Text = t.Reason, Timestamp = Now(), ReceivedAt = receivedAt };

    /// <summary>ActionExecuted.</summary>
    public static RunnerEvent ActionExecuted(string runnerId, string symbol, in TradingAction action, long receivedAt) =>
        new() { Kind = RunnerEventKind.ActionExecuted, RunnerId = runnerId, Symbol = symbol, Action = action, Timestamp = Now(), ReceivedAt = receivedAt };

    /// <summary>PositionOpened (the position is copied).</summary>
    public static RunnerEvent PositionOpened(string runnerId, string symbol, Position position, long receivedAt) =>
        new() { Kind = RunnerEventKind.PositionOpened, RunnerId = runnerId, Symbol = symbol, Position = position.Clone(), Timestamp = Now(), ReceivedAt = receivedAt };

    /// <summary>PositionUpdated.</summary>
    public static RunnerEvent PositionUpdated(string runnerId, string symbol, double currentPrice, double unrealizedPnl, long receivedAt) =>
        new() { Kind = RunnerEventKind.PositionUpdated, RunnerId = runnerId, Symbol = symbol, Price = currentPrice, Pnl = unrealizedPnl, Timestamp = Now(), ReceivedAt = receivedAt };

    /// <summary>PositionClosed.</summary>
    public static RunnerEvent PositionClosed(string runnerId, string symbol, double exitPrice, double realizedPnl, string reason, long receivedAt) =>
        new() { Kind = RunnerEventKind.PositionClosed, RunnerId = runnerId, Symbol = symbol, Price = exitPrice, Pnl = realizedPnl, Text = reason, Timestamp = Now(), ReceivedAt = receivedAt };

    /// <summary>Error.</summary>
    public static RunnerEvent Error(string runnerId, string symbol, string error, ErrorSeverity severity, long receivedAt) =>
        new() { Kind = RunnerEventKind.Error, RunnerId = runnerId, Symbol = symbol, Text = error, Severity = severity, Timestamp = Now(), ReceivedAt = receivedAt };

    /// <summary>RunnerStarted.</summary>
    public static RunnerEvent RunnerStarted(string runnerId, string symbol) =>
        new() { Kind = RunnerEventKind.RunnerStarted, RunnerId = runnerId, Symbol = symbol, Timestamp = Now(), ReceivedAt = Stopwatch.GetTimestamp() };

    /// <summary>RunnerStopped.</summary>
    public static RunnerEvent RunnerStopped(string runnerId, string symbol, string reason) =>
        new() { Kind = RunnerEventKind.RunnerStopped, RunnerId = runnerId, Symbol = symbol, Text = reason, Timestamp = Now(), ReceivedAt = Stopwatch.GetTimestamp() };
}

/// <summary>Where a runner sends its events (the <see cref="EventHub"/>, or a test's collector).</summary>
public interface IEventSink
{
    /// <summary>Takes one event; must never block.</summary>
    void Emit(in RunnerEvent runnerEvent);
}
