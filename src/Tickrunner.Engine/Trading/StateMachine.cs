using Tickrunner.Engine.Common;

namespace Tickrunner.Engine.Trading;

/// <summary>A runner's Idle → Analyzing → InPosition machine: validates actions, keeps the position and its exits (docs/engine-contract.md §3).</summary>
public sealed class StateMachine
{
    /// <summary>How many transitions are kept.</summary>
    public const int TransitionHistorySize = 100;

    /// <summary>
    /// Largest notional (price × quantity) an entry may have. Beyond it the P&amp;L of an ordinary price move could
    /// leave the range of finite numbers, and no paper account holds that much anyway.
    /// </summary>
    public const double MaxNotional = 1e15;

    /// <summary>Transition reason when detect_opportunity returns a table.</summary>
    public const string OpportunityReason = "Strategy detected opportunity";

    private readonly BoundedHistory<Transition> _transitions = new(TransitionHistorySize);

    /// <summary>The current state.</summary>
    public TradingState State { get; private set; } = TradingState.Idle;

    /// <summary>The open position; null unless <see cref="State"/> is InPosition.</summary>
    public Position? Position { get; private set; }

    /// <summary>Transitions ever made (the history keeps the last <see cref="TransitionHistorySize"/>).</summary>
    public long TransitionCount => _transitions.TotalAdded;

    /// <summary>The newest kept transitions, oldest first.</summary>
    public Transition[] RecentTransitions(int count = TransitionHistorySize) => _transitions.ToArray(count);

    /// <summary>
    /// Validates and applies one action at bar time <paramref name="timestamp"/>. Entries and exits fill at
    /// <paramref name="fillPrice"/> when given (the account's fill price), else at the action's own price; the
    /// action's price is validated either way, as the contract requires it.
    /// </summary>
    public ActionResult Apply(in TradingAction action, long timestamp, double? fillPrice = null) => action.Kind switch
    {
        ActionKind.StartAnalyzing => Require(action, TradingState.Idle)
            ?? Move(TradingState.Analyzing, action.Reason ?? "Strategy started analysis", timestamp),
        ActionKind.CancelAnalysis => Require(action, TradingState.Analyzing)
            ?? Move(TradingState.Idle, action.Reason ?? "Strategy cancelled analysis", timestamp),
        ActionKind.EnterLong or ActionKind.EnterShort => Enter(action, timestamp, fillPrice ?? action.Price),
        ActionKind.Exit => Require(action, TradingState.InPosition)
            ?? CheckPrice(action, "price", action.Price)
            ?? CheckExitPnl(action, fillPrice ?? action.Price)
            ?? Close(fillPrice ?? action.Price, timestamp, ExitTrigger.Strategy, action.Reason ?? "Strategy exit"),
        ActionKind.UpdateStopLoss => Require(action, TradingState.InPosition)
            ?? CheckPrice(action, "new_stop", action.StopLoss)
            ?? SetStop(action.StopLoss),
        ActionKind.UpdateTakeProfit => Require(action, TradingState.InPosition)
            ?? CheckPrice(action, "new_target", action.TakeProfit)
            ?? SetTarget(action.TakeProfit),
        _ => ActionResult.Reject($"unknown action kind {(int)action.Kind}"),
    };

    /// <summary>Idle → Analyzing because detect_opportunity returned a table.</summary>
    public ActionResult DetectOpportunity(long timestamp) => State == TradingState.Idle
        ? Move(TradingState.Analyzing, OpportunityReason, timestamp)
        : ActionResult.Reject($"an opportunity can only be detected in state Idle, not {State}");

    /// <summary>
    /// Marks the open position to <paramref name="close"/> and exits at that close when the stop (first) or
    /// the target is reached. Nothing happens without a position.
    /// </summary>
    public ActionResult MarkToMarket(double close, long timestamp)
    {
        if (Position is not { } position) return ActionResult.None;
        position.MarkToMarket(close);
        if (position.IsStopHit(close))
            return Close(close, timestamp, ExitTrigger.StopLoss, $"Stop loss hit at {close}");
        if (position.IsTargetHit(close))
            return Close(close, timestamp, ExitTrigger.TakeProfit, $"Take profit hit at {close}");
        return ActionResult.None;
    }

    /// <summary>Restores a state and position (e.g. after a restart) without recording a transition.</summary>
    public void Restore(TradingState state, Position? position)
    {
        if ((state == TradingState.InPosition) != (position is { IsClosed: false }))
            throw new ArgumentException($"State {state} needs {(state == TradingState.InPosition ? "an open" : "no")} position.", nameof(position));
        State = state;
        Position = position;
    }

    private ActionResult? Require(in TradingAction action, TradingState valid) => State == valid
        ? null
        : ActionResult.Reject($"{action.Name} is not valid in state {State} (only in {valid})");

    private static ActionResult? CheckPrice(in TradingAction action, string field, double? value) =>
        value is { } v && double.IsFinite(v) && v > 0
            ? null
            : ActionResult.Reject($"{action.Name}: {field} must be a finite number > 0, got {Describe(value)}");

    // Exits at a bar's close are bounded by the entry's notional; an exit at a price the strategy names must be too.
    private ActionResult? CheckExitPnl(in TradingAction action, double price)
    {
        var position = Position!;
        var pnl = (price - position.EntryPrice) * position.Quantity;
        return double.IsFinite(pnl) && price * position.Quantity <= MaxNotional * 1e6
            ? null
            : ActionResult.Reject($"{action.Name}: an exit at {Describe(price)} would give a P&L of {Describe(pnl)}; the price is out of all proportion");
    }

    /// <summary>
    /// Why <paramref name="action"/> would be rejected in the current state, or null: the checks of
    /// <see cref="Apply"/> without applying it (an action queued for the next bar's open is checked when queued).
    /// </summary>
    public string? Check(in TradingAction action) => action.Kind switch
    {
        ActionKind.EnterLong or ActionKind.EnterShort => (State == TradingState.InPosition
                ? ActionResult.Reject($"{action.Name} is not valid in state InPosition (only in Idle or Analyzing)")
                : CheckEntryFields(action))?.Rejection,
        ActionKind.Exit => (Require(action, TradingState.InPosition) ?? CheckPrice(action, "price", action.Price))?.Rejection,
        _ => null,
    };

    private static ActionResult? CheckEntryFields(in TradingAction action)
    {
        if ((CheckPrice(action, "price", action.Price) ?? CheckPrice(action, "quantity", action.Quantity)) is { } bad) return bad;
        if (action.StopLoss is not null && CheckPrice(action, "stop_loss", action.StopLoss) is { } badStop) return badStop;
        if (action.TakeProfit is not null && CheckPrice(action, "take_profit", action.TakeProfit) is { } badTarget) return badTarget;
        return null;
    }

    /// <summary>Closes the open position at <paramref name="fillPrice"/> (a stop or target the caller found hit, or the end of the data).</summary>
    public ActionResult CloseAt(double fillPrice, long timestamp, ExitTrigger trigger, string reason) =>
        Position is null ? ActionResult.Reject("no open position to close") : Close(fillPrice, timestamp, trigger, reason);

    private ActionResult Enter(in TradingAction action, long timestamp, double price)
    {
        if (State == TradingState.InPosition)
            return ActionResult.Reject($"{action.Name} is not valid in state InPosition (only in Idle or Analyzing)");
        if (CheckEntryFields(action) is { } bad) return bad;

        var notional = price * action.Quantity;
        if (!(notional <= MaxNotional))
            return ActionResult.Reject($"{action.Name}: price × quantity is {Describe(notional)}, more than the largest notional of {MaxNotional:0e0}");

        var side = action.Kind == ActionKind.EnterLong ? PositionSide.Long : PositionSide.Short;
        Position = new Position(side, price, action.Quantity, timestamp, action.StopLoss, action.TakeProfit);
        var moved = Move(TradingState.InPosition, $"Entered {side} {action.Quantity} at {price}", timestamp);
        return moved with { Opened = Position };
    }

    private ActionResult Close(double price, long timestamp, ExitTrigger trigger, string reason)
    {
        var position = Position!;
        position.Close(price, timestamp);
        Position = null;
        return Move(TradingState.Idle, reason, timestamp) with { Closed = position, ExitTrigger = trigger };
    }

    private ActionResult SetStop(double? stop)
    {
        Position!.StopLoss = stop;
        return new ActionResult { Executed = true };
    }

    private ActionResult SetTarget(double? target)
    {
        Position!.TakeProfit = target;
        return new ActionResult { Executed = true };
    }

    private ActionResult Move(TradingState to, string reason, long timestamp)
    {
        var transition = new Transition(State, to, reason, timestamp);
        State = to;
        _transitions.Add(transition);
        return new ActionResult { Executed = true, Transition = transition };
    }

    private static string Describe(double? value) => value is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "nothing";
}
