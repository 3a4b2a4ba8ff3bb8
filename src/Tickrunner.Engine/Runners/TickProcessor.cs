using System.Globalization;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Runners;

/// <summary>
/// What one bar did, in the order it happened: the fill of an action queued on the previous bar (<see cref="Queued"/>),
/// an intrabar stop or target (<see cref="Early"/>), the strategy's answer and the state machine's response to it
/// (<see cref="Action"/>), and a stop or target at the close (<see cref="Exit"/>).
/// </summary>
public readonly record struct TickOutcome(StrategyResult Strategy, ActionResult Action, ActionResult Exit,
    ActionResult Queued = default, ActionResult Early = default)
{
    /// <summary>The manual entry or exit carried out (or refused, or queued) at this bar, before the strategy was called.</summary>
    public ActionResult Manual { get; init; }

    /// <summary>The manual action of <see cref="Manual"/>.</summary>
    public TradingAction ManualAction { get; init; }

    /// <summary>The queued action that filled (or was refused) at this bar's open.</summary>
    public TradingAction QueuedAction { get; init; }

    /// <summary>The maximum drawdown was reached at this close: the position was closed (in <see cref="Exit"/>) and the runner stops.</summary>
    public bool RiskStop { get; init; }
}

/// <summary>
/// One runner's synchronous trading pipeline for one bar, with its paper account (docs/backtesting.md §3.4):
/// 1. an action queued on the previous bar fills at this bar's open (<c>fill = next_open</c>);
/// 2. with <c>stops = intrabar</c>, the open position's stop or target is checked against the bar's range;
/// 3. the strategy is called for the state after 1–2; its entry or exit fills at the close, or is queued;
/// 4. with <c>stops = close</c>, the stop or target is checked against the close;
/// 5. the position is marked to the close, and the risk limits check the close (a daily loss may flatten, the maximum drawdown
///    closes the position and stops the runner; the close goes in <see cref="TickOutcome.Exit"/>).
/// Entries are checked against the risk limits before they fill (and when queued). Live runners and backtests share it; it knows nothing of threads or events.
/// </summary>
public sealed class TickProcessor
{
    private TradingAction? _queued, _manual;
    private readonly GlobalRisk? _global;
    private double _reserved = -1; // the open position's notional held in _global; negative while none is

    /// <summary>
    /// A pipeline over <paramref name="strategy"/> with a window of <paramref name="windowSize"/> bars and a paper account, checking
    /// <paramref name="risk"/> and, in a live engine, the limits and kill switch every runner shares (<paramref name="global"/>).
    /// </summary>
    public TickProcessor(LuaStrategy strategy, int windowSize, AccountSettings? account = null, RiskLimits? risk = null, GlobalRisk? global = null)
    {
        Strategy = strategy;
        Window = new MarketDataWindow(windowSize);
        Account = new PaperAccount(account ?? AccountSettings.Default);
        _global = global;
        // No guard at all without a limit: the per-bar path then pays one null check per step.
        Risk = risk is { Any: true } || global is not null ? new RiskGuard(risk ?? NoLimits, Account.InitialCapital, global) : null;
    }

    private static readonly RiskLimits NoLimits = new();

    /// <summary>Resumes after a restart: the state and open position, the account's closed-trade totals, and the risk guard's state.</summary>
    public void Restore(RunnerRestore restore)
    {
        Machine.Restore(restore.State, restore.Position);
        Account.Restore(restore.RealizedPnl, restore.ClosedFees + (restore.Position?.EntryFee ?? 0), restore.Position?.EntryFee ?? 0);
        Risk?.Restore(restore.Risk, Equity);
        // An order acknowledged on the last bar fills at the next open, as it would have without the restart.
        _queued = restore.QueuedAction is { Kind: ActionKind.EnterLong or ActionKind.EnterShort or ActionKind.Exit } queued ? queued : null;
        // Last, as nothing after it can fail: a restore that throws has taken no room across runners.
        ReleaseGlobal();
        if (restore.HandOver is { } handOver)
        {
            // The old instance gave its room up into the hand-over: taken over as it is, so the position never counts twice
            // nor not at all while both instances exist.
            if (Risk is not null) Risk.FlattenSeen = handOver.FlattenSeen;
            _reserved = _global is null ? -1 : handOver.Reserved;
        }
        else if (_global is not null && Machine.Position is { } open)
        {
            // An open position counts across runners whatever the limits say now: it is open.
            _reserved = open.EntryPrice * open.Quantity;
            _global.Add(_reserved);
        }
    }

    /// <summary>
    /// Gives up the engine-wide room the open position holds without releasing it, for a new instance to take over; negative
    /// when none is held. Call it on the runner's loop (or before it starts).
    /// </summary>
    internal double HandOverGlobal()
    {
        var reserved = _reserved;
        _reserved = -1;
        return reserved;
    }

    /// <summary>Takes back room handed over by <see cref="HandOverGlobal"/> when the new instance never started.</summary>
    internal void TakeBackGlobal(double reserved)
    {
        ReleaseGlobal();
        if (_global is not null) _reserved = reserved;
    }

    /// <summary>The risk limits' guard; null when no limit is set (and no engine-wide one).</summary>
    public RiskGuard? Risk { get; private set; }

    /// <summary>
    /// Enforces <paramref name="limits"/> from now on (null: none), going on from the guard's state: the day, its block, the peak,
    /// the entries of the last hour and the counts. Call it between bars.
    /// </summary>
    public void ChangeRisk(RiskLimits? limits)
    {
        if (limits is not { Any: true } && _global is null) Risk = null;
        else Risk = Risk?.WithLimits(limits ?? NoLimits, Equity) ?? new RiskGuard(limits ?? NoLimits, Equity, _global);
    }

    /// <summary>
    /// Queues a manual entry or exit for the next bar, where it is carried out before the strategy is called exactly as if
    /// the strategy had returned it (fill, limits, events); why it cannot be queued now, or null.
    /// </summary>
    public string? QueueManual(in TradingAction action)
    {
        if (action.Kind is not (ActionKind.EnterLong or ActionKind.EnterShort or ActionKind.Exit))
            throw new ArgumentException("Only an entry or an exit is queued by hand.", nameof(action));
        if (_manual is { } waiting) return $"a manual {waiting.Name} already waits for the next bar";
        if (_queued is { } queued) return $"{queued.Name} already waits for the next bar's open";
        var price = Window.Count > 0 ? Window[Window.Count - 1].Close : 1; // the price the next bar replaces; only its validity matters now
        if (Machine.Check(action with { Price = price }) is { } problem) return problem;
        _manual = action;
        return null;
    }

    /// <summary>The manual action waiting for the next bar, if any.</summary>
    public TradingAction? ManualAction => _manual;

    /// <summary>Gives back the engine-wide room the open position holds (the runner is going away).</summary>
    public void ReleaseGlobal()
    {
        if (_reserved < 0 || _global is null) return;
        _global.Release(_reserved);
        _reserved = -1;
    }

    /// <summary>The runner's bars.</summary>
    public MarketDataWindow Window { get; }

    /// <summary>The runner's state machine.</summary>
    public StateMachine Machine { get; } = new();

    /// <summary>The strategy called on each tick.</summary>
    public LuaStrategy Strategy { get; }

    /// <summary>The paper account the fills go through.</summary>
    public PaperAccount Account { get; }

    /// <summary>
    /// Whether a refused entry's rejection says by how much it missed (true), or only why (false: nobody reads the
    /// text, e.g. a backtest without events, and a strategy refused on every bar would otherwise format a message per bar).
    /// </summary>
    public bool DetailedRejections { get; set; } = true;

    /// <summary>The entry or exit waiting for the next bar's open, if any.</summary>
    public TradingAction? QueuedAction => _queued;

    /// <summary>Processes one bar.</summary>
    public TickOutcome Process(in MarketData bar)
    {
        Window.Push(bar);
        var settings = Account.Settings;
        var risk = Risk;
        risk?.BeginBar(bar.Timestamp, Equity); // the equity marked at the previous close

        // 1. The action queued on the previous bar fills at this open, before the strategy sees this bar.
        var queued = ActionResult.None;
        var queuedAction = default(TradingAction);
        if (_queued is { } waiting)
        {
            _queued = null;
            queuedAction = waiting;
            queued = Fill(waiting, bar.Open, bar.Timestamp);
        }

        // 2. Intrabar stops and targets, also for a position opened at this open.
        var early = settings.Stops == StopTiming.Intrabar ? IntrabarExit(bar) : ActionResult.None;

        // 2b. A manual entry or exit, as if the strategy had returned it on this bar, before the strategy is called.
        var manual = ActionResult.None;
        var manualAction = default(TradingAction);
        if (_manual is { } byHand)
        {
            _manual = null;
            manualAction = byHand with { Price = bar.Close };
            manual = Act(manualAction, bar);
        }

        // 3. The strategy, for the state after 1 and 2.
        // The strategy sees the equity with the open position marked at this close (step 5 marks again: the
        // strategy may have opened a position meanwhile).
        Machine.Position?.MarkToMarket(bar.Close);
        Strategy.SetAccount(Account.Equity(Machine.Position), Account.Cash(Machine.Position), Account.InitialCapital);
        var result = Strategy.OnTick(Machine.State, bar, Window);
        var action = result.Signal switch
        {
            StrategySignal.Opportunity => Machine.DetectOpportunity(bar.Timestamp),
            StrategySignal.Action => Act(result.Action, bar),
            _ => ActionResult.None,
        };

        // 4. Stops and targets at the close; 5. the position is marked to it.
        var exit = ActionResult.None;
        if (Machine.Position is { } open)
        {
            open.MarkToMarket(bar.Close);
            if (settings.Stops == StopTiming.Close) exit = CloseExit(open, bar);
        }
        var riskStop = false;
        if (risk is not null)
        {
            var verdict = risk.AtClose(Equity, bar.Timestamp, Machine.Position is not null);
            if (verdict != RiskCloseAction.None)
            {
                riskStop = verdict == RiskCloseAction.Stop;
                // A stop or target at this close already closed it; otherwise the limit closes it, through the same fill rules.
                var reason = verdict switch { RiskCloseAction.Stop => MaxDrawdownReason, RiskCloseAction.Halt => HaltReason, _ => DailyLossReason };
                var flat = CloseOpenPosition(bar, reason, ExitTrigger.RiskLimit);
                if (flat.Closed is not null) exit = flat;
            }
        }
        return new TickOutcome(result, action, exit, queued, early)
        {
            QueuedAction = queuedAction, RiskStop = riskStop, Manual = manual, ManualAction = manualAction,
        };
    }

    /// <summary>Equity after the last processed bar (the position marked at its close).</summary>
    public double Equity => Account.Equity(Machine.Position);

    /// <summary>
    /// Closes an open position at <paramref name="bar"/>'s close with <paramref name="reason"/> (a backtest's end of
    /// data), through the same fill rules; a queued action is dropped.
    /// </summary>
    public ActionResult CloseOpenPosition(in MarketData bar, string reason) => CloseOpenPosition(bar, reason, ExitTrigger.EndOfData);

    /// <summary>Transition reason of the close the daily loss limit makes with <see cref="RiskLimits.FlattenOnDailyLoss"/>.</summary>
    public const string DailyLossReason = "daily loss limit";

    /// <summary>Transition reason of the close the maximum drawdown makes.</summary>
    public const string MaxDrawdownReason = "max drawdown";

    /// <summary>Transition reason of the close a halt with flatten makes.</summary>
    public const string HaltReason = "halt";

    /// <summary>Transition reason of a manual exit.</summary>
    public const string ManualReason = "manual";

    private ActionResult CloseOpenPosition(in MarketData bar, string reason, ExitTrigger trigger)
    {
        _queued = null;
        if (Machine.Position is not { } open) return ActionResult.None;
        return Settle(Machine.CloseAt(Account.ExitPrice(open.Side, bar.Close), bar.Timestamp, trigger, reason), open);
    }

    private ActionResult Act(in TradingAction action, in MarketData bar)
    {
        if (action.Kind is not (ActionKind.EnterLong or ActionKind.EnterShort or ActionKind.Exit))
            return Machine.Apply(action, bar.Timestamp);
        if (Account.Settings.Fill == FillTiming.Close) return Fill(action, bar.Close, bar.Timestamp);
        // next_open: checked now, filled at the next bar's open.
        if (Machine.Check(action) is { } problem) return ActionResult.Reject(problem);
        // Only a manual action on this same bar can have queued one already: the strategy's waits its turn.
        if (_queued is { } waiting) return ActionResult.Reject($"{action.Name}: a manual {waiting.Name} already waits for the next bar's open");
        // An entry is checked against the risk limits now too, at the close as its estimated fill, so that a refusal comes on
        // the bar that asked; it is checked again when it fills.
        if (Risk is { } risk && action.Kind != ActionKind.Exit
            && risk.CheckEntry(action, Account.EntryPrice(Side(action), bar.Close), bar.Timestamp, Account.Equity(null), DetailedRejections) is { } refused)
            return ActionResult.Reject(refused) with { RiskRefused = true };
        _queued = action;
        return new ActionResult { Queued = true };
    }

    // An entry or exit at reference price `price`: slippage by side, the cash check, the fee.
    private ActionResult Fill(in TradingAction action, double price, long timestamp)
    {
        if (action.Kind == ActionKind.Exit)
        {
            if (Machine.Position is not { } open) return ActionResult.Reject($"{action.Name}: there is no open position to exit any more");
            return Settle(Machine.Apply(action, timestamp, Account.ExitPrice(open.Side, price)), open);
        }
        var fill = Account.EntryPrice(Side(action), price);
        var notional = fill * action.Quantity;
        var fee = Account.Fee(notional);
        var equity = Account.Equity(null);
        var valid = Machine.Check(action) is null;
        // Risk limits before the cash check: an entry the limits forbid is refused for that, whatever the account holds.
        if (valid && Risk is { } risk && risk.CheckEntry(action, fill, timestamp, equity, DetailedRejections) is { } refused)
            return ActionResult.Reject(refused) with { RiskRefused = true };
        if (valid && double.IsFinite(notional) && notional + fee > equity)
            return ActionResult.Reject(DetailedRejections
                ? string.Create(CultureInfo.InvariantCulture,
                    $"{action.Name}: the entry needs {notional + fee:0.########} (notional {notional:0.########} + fee {fee:0.########}) but the account's equity is {equity:0.########}; no leverage")
                : "the entry needs more than the account's equity; no leverage");
        // The engine-wide room last: it is taken when reserved, and given back if the entry does not open after all.
        var reserved = valid && _global is not null;
        if (reserved && Risk!.Reserve(action, notional, DetailedRejections) is { } full)
            return ActionResult.Reject(full) with { RiskRefused = true };
        var entered = Machine.Apply(action, timestamp, fill);
        if (entered.Opened is { } opened)
        {
            Account.Opened(fee);
            opened.EntryFee = fee;
            Risk?.Entered(timestamp);
            if (reserved) _reserved = notional;
        }
        else if (reserved)
        {
            _global!.Release(notional);
        }
        return entered with { EntryFee = entered.Opened is null ? 0 : fee };
    }

    private static PositionSide Side(in TradingAction entry) => entry.Kind == ActionKind.EnterLong ? PositionSide.Long : PositionSide.Short;

    // The account's side of a close: the exit fee and the trade's net P&L.
    private ActionResult Settle(in ActionResult closed, Position position)
    {
        if (closed.Closed is null) return closed;
        ReleaseGlobal();
        var exitFee = Account.Fee(closed.Closed.ExitPrice!.Value * position.Quantity);
        var entryFee = Account.OpenEntryFee;
        var net = Account.Closed(closed.Closed, exitFee);
        closed.Closed.ExitFee = exitFee;
        return closed with { EntryFee = entryFee, ExitFee = exitFee, NetPnl = net };
    }

    private ActionResult CloseExit(Position open, in MarketData bar)
    {
        var close = bar.Close;
        if (open.IsStopHit(close))
            return Settle(Machine.CloseAt(Account.ExitPrice(open.Side, close), bar.Timestamp, ExitTrigger.StopLoss,
                string.Create(CultureInfo.InvariantCulture, $"Stop loss hit at {close}")), open);
        if (open.IsTargetHit(close))
            return Settle(Machine.CloseAt(Account.ExitPrice(open.Side, close), bar.Timestamp, ExitTrigger.TakeProfit,
                string.Create(CultureInfo.InvariantCulture, $"Take profit hit at {close}")), open);
        return ActionResult.None;
    }

    // Stop first (conservative when both lie inside the bar); a bar that opens beyond the level fills at the open.
    private ActionResult IntrabarExit(in MarketData bar)
    {
        if (Machine.Position is not { } open) return ActionResult.None;
        var isLong = open.Side == PositionSide.Long;
        if (open.StopLoss is { } stop && (isLong ? bar.Low <= stop : bar.High >= stop))
        {
            var at = isLong ? Math.Min(bar.Open, stop) : Math.Max(bar.Open, stop);
            return Settle(Machine.CloseAt(Account.ExitPrice(open.Side, at), bar.Timestamp, ExitTrigger.StopLoss,
                string.Create(CultureInfo.InvariantCulture, $"Stop loss hit at {at}")), open);
        }
        if (open.TakeProfit is { } target && (isLong ? bar.High >= target : bar.Low <= target))
        {
            var at = isLong ? Math.Max(bar.Open, target) : Math.Min(bar.Open, target);
            return Settle(Machine.CloseAt(Account.ExitPrice(open.Side, at), bar.Timestamp, ExitTrigger.TakeProfit,
                string.Create(CultureInfo.InvariantCulture, $"Take profit hit at {at}")), open);
        }
        return ActionResult.None;
    }
}
