using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Tests;

public class StateMachineTests
{
    private static StateMachine In(TradingState state)
    {
        var sm = new StateMachine();
        if (state == TradingState.Analyzing) sm.Apply(TradingAction.StartAnalyzing(), 1);
        if (state == TradingState.InPosition) sm.Apply(TradingAction.EnterLong(100, 1, 90, 120), 1);
        Assert.Equal(state, sm.State);
        return sm;
    }

    private static TradingAction Sample(ActionKind kind) => kind switch
    {
        ActionKind.StartAnalyzing => TradingAction.StartAnalyzing("look"),
        ActionKind.CancelAnalysis => TradingAction.CancelAnalysis("nope"),
        ActionKind.EnterLong => TradingAction.EnterLong(100, 2),
        ActionKind.EnterShort => TradingAction.EnterShort(100, 2),
        ActionKind.Exit => TradingAction.Exit(105, "done"),
        ActionKind.UpdateStopLoss => TradingAction.UpdateStopLoss(95),
        ActionKind.UpdateTakeProfit => TradingAction.UpdateTakeProfit(130),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    // Expected state after the action, or null when the action must be rejected in that state.
    public static TheoryData<TradingState, ActionKind, TradingState?> Pairs => new()
    {
        { TradingState.Idle, ActionKind.StartAnalyzing, TradingState.Analyzing },
        { TradingState.Idle, ActionKind.CancelAnalysis, null },
        { TradingState.Idle, ActionKind.EnterLong, TradingState.InPosition },
        { TradingState.Idle, ActionKind.EnterShort, TradingState.InPosition },
        { TradingState.Idle, ActionKind.Exit, null },
        { TradingState.Idle, ActionKind.UpdateStopLoss, null },
        { TradingState.Idle, ActionKind.UpdateTakeProfit, null },
        { TradingState.Analyzing, ActionKind.StartAnalyzing, null },
        { TradingState.Analyzing, ActionKind.CancelAnalysis, TradingState.Idle },
        { TradingState.Analyzing, ActionKind.EnterLong, TradingState.InPosition },
        { TradingState.Analyzing, ActionKind.EnterShort, TradingState.InPosition },
        { TradingState.Analyzing, ActionKind.Exit, null },
        { TradingState.Analyzing, ActionKind.UpdateStopLoss, null },
        { TradingState.Analyzing, ActionKind.UpdateTakeProfit, null },
        { TradingState.InPosition, ActionKind.StartAnalyzing, null },
        { TradingState.InPosition, ActionKind.CancelAnalysis, null },
        { TradingState.InPosition, ActionKind.EnterLong, null },
        { TradingState.InPosition, ActionKind.EnterShort, null },
        { TradingState.InPosition, ActionKind.Exit, TradingState.Idle },
        { TradingState.InPosition, ActionKind.UpdateStopLoss, TradingState.InPosition },
        { TradingState.InPosition, ActionKind.UpdateTakeProfit, TradingState.InPosition },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Every_state_and_action_pair(TradingState from, ActionKind kind, TradingState? expected)
    {
        var sm = In(from);
        var transitionsBefore = sm.TransitionCount;
        var result = sm.Apply(Sample(kind), 50);
        if (expected is null)
        {
            Assert.False(result.Executed);
            Assert.NotNull(result.Rejection);
            Assert.Contains(ActionNames.Of(kind), result.Rejection);
            Assert.Contains($"state {from}", result.Rejection);
            Assert.Equal(from, sm.State);
            Assert.Equal(transitionsBefore, sm.TransitionCount);
            return;
        }
        Assert.True(result.Executed);
        Assert.Null(result.Rejection);
        Assert.Equal(expected, sm.State);
        if (expected != from)
        {
            Assert.Equal(new Transition(from, expected.Value, result.Transition!.Value.Reason, 50), result.Transition);
            Assert.Equal(transitionsBefore + 1, sm.TransitionCount);
        }
        else
        {
            Assert.Null(result.Transition);
        }
    }

    [Fact]
    public void Reasons_given_by_the_strategy_are_recorded()
    {
        var sm = new StateMachine();
        Assert.Equal("volume spike", sm.Apply(TradingAction.StartAnalyzing("volume spike"), 1).Transition!.Value.Reason);
        Assert.Equal("faded", sm.Apply(TradingAction.CancelAnalysis("faded"), 2).Transition!.Value.Reason);
        sm.Apply(TradingAction.EnterLong(10, 1), 3);
        var exit = sm.Apply(TradingAction.Exit(11, "take the money"), 4);
        Assert.Equal("take the money", exit.Transition!.Value.Reason);
        Assert.Equal(ExitTrigger.Strategy, exit.ExitTrigger);
    }

    [Fact]
    public void Detect_opportunity_moves_idle_to_analyzing_with_the_spec_reason()
    {
        var sm = new StateMachine();
        var r = sm.DetectOpportunity(7);
        Assert.Equal(new Transition(TradingState.Idle, TradingState.Analyzing, "Strategy detected opportunity", 7), r.Transition);
        Assert.True(sm.DetectOpportunity(8).IsRejected);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-5, 1)]
    [InlineData(double.NaN, 1)]
    [InlineData(100, 0)]
    [InlineData(100, -1)]
    [InlineData(100, double.PositiveInfinity)]
    public void Entries_with_bad_price_or_quantity_are_rejected(double price, double quantity)
    {
        var sm = new StateMachine();
        var r = sm.Apply(TradingAction.EnterLong(price, quantity), 1);
        Assert.True(r.IsRejected);
        Assert.Contains("must be a finite number > 0", r.Rejection);
        Assert.Equal(TradingState.Idle, sm.State);
        Assert.Null(sm.Position);
    }

    [Fact]
    public void Bad_stops_targets_and_exit_prices_are_rejected()
    {
        var sm = new StateMachine();
        Assert.Contains("stop_loss", sm.Apply(TradingAction.EnterLong(100, 1, stopLoss: -1), 1).Rejection);
        Assert.Contains("take_profit", sm.Apply(TradingAction.EnterLong(100, 1, takeProfit: double.NaN), 1).Rejection);
        sm.Apply(TradingAction.EnterLong(100, 1), 1);
        Assert.Contains("new_stop", sm.Apply(TradingAction.UpdateStopLoss(0), 2).Rejection);
        Assert.Contains("new_target", sm.Apply(TradingAction.UpdateTakeProfit(double.NegativeInfinity), 2).Rejection);
        Assert.Contains("price", sm.Apply(TradingAction.Exit(0), 2).Rejection);
        Assert.Equal(TradingState.InPosition, sm.State);
    }

    [Theory]
    [InlineData(PositionSide.Long, 95, 120, 94.5, ExitTrigger.StopLoss, -11)]     // close ≤ stop
    [InlineData(PositionSide.Long, 95, 120, 95, ExitTrigger.StopLoss, -10)]       // exactly at stop
    [InlineData(PositionSide.Long, 95, 120, 121, ExitTrigger.TakeProfit, 42)]     // close ≥ target
    [InlineData(PositionSide.Short, 105, 80, 106, ExitTrigger.StopLoss, -12)]     // close ≥ stop
    [InlineData(PositionSide.Short, 105, 80, 80, ExitTrigger.TakeProfit, 40)]     // close ≤ target
    [InlineData(PositionSide.Short, 105, 80, 79, ExitTrigger.TakeProfit, 42)]
    public void Stops_and_targets_exit_at_the_close(PositionSide side, double stop, double target, double close,
        ExitTrigger trigger, double pnl)
    {
        var sm = new StateMachine();
        sm.Apply(side == PositionSide.Long ? TradingAction.EnterLong(100, 2, stop, target) : TradingAction.EnterShort(100, 2, stop, target), 1);
        var r = sm.MarkToMarket(close, 99);
        Assert.Equal(trigger, r.ExitTrigger);
        Assert.Equal(close, r.Closed!.ExitPrice);
        Assert.Equal(99, r.Closed.ExitTimestamp);
        Assert.Equal(pnl, r.Closed.RealizedPnl!.Value, 9);
        Assert.Equal(TradingState.Idle, sm.State);
        Assert.Null(sm.Position);
        Assert.Equal(TradingState.InPosition, r.Transition!.Value.From);
    }

    [Fact]
    public void Stop_is_checked_before_target()
    {
        var sm = new StateMachine();
        sm.Apply(TradingAction.EnterLong(100, 1, stopLoss: 110, takeProfit: 105), 1); // both hit at 110
        Assert.Equal(ExitTrigger.StopLoss, sm.MarkToMarket(110, 2).ExitTrigger);
    }

    [Fact]
    public void Unrealized_pnl_follows_the_close_for_long_and_short()
    {
        var sm = new StateMachine();
        sm.Apply(TradingAction.EnterShort(200, 0.5), 1);
        Assert.Equal(ActionResult.None, sm.MarkToMarket(190, 2));
        Assert.Equal(190, sm.Position!.CurrentPrice);
        Assert.Equal(5, sm.Position.UnrealizedPnl, 9);
        sm.Apply(TradingAction.Exit(210), 3);
        Assert.Null(sm.Position);

        var longSm = new StateMachine();
        longSm.Apply(TradingAction.EnterLong(200, 0.5), 1);
        longSm.MarkToMarket(230, 2);
        Assert.Equal(15, longSm.Position!.UnrealizedPnl, 9);
    }

    [Fact]
    public void Strategy_exit_fills_at_the_action_price_and_realizes_pnl()
    {
        var sm = new StateMachine();
        var opened = sm.Apply(TradingAction.EnterLong(50_000, 0.1, 49_000, 52_500), 1).Opened!;
        Assert.Equal(PositionSide.Long, opened.Side);
        Assert.Equal(49_000, opened.StopLoss);
        Assert.Equal(52_500, opened.TakeProfit);
        var r = sm.Apply(TradingAction.Exit(51_500), 2);
        Assert.Equal(150, r.Closed!.RealizedPnl!.Value, 9);
        Assert.Equal(51_500, r.Closed.ExitPrice);
    }

    [Fact]
    public void Updated_stop_is_the_one_that_triggers()
    {
        var sm = new StateMachine();
        sm.Apply(TradingAction.EnterLong(100, 1, 90), 1);
        sm.Apply(TradingAction.UpdateStopLoss(99), 2);
        Assert.Equal(ActionResult.None, sm.MarkToMarket(99.5, 3));
        Assert.Equal(ExitTrigger.StopLoss, sm.MarkToMarket(98.9, 4).ExitTrigger);
    }

    [Fact]
    public void Transition_history_keeps_the_last_100()
    {
        var sm = new StateMachine();
        for (var i = 0; i < 130; i++)
        {
            sm.Apply(TradingAction.StartAnalyzing($"s{i}"), i);
            sm.Apply(TradingAction.CancelAnalysis($"c{i}"), i);
        }
        Assert.Equal(260, sm.TransitionCount);
        var kept = sm.RecentTransitions();
        Assert.Equal(100, kept.Length);
        Assert.Equal("s80", kept[0].Reason);
        Assert.Equal("c129", kept[^1].Reason);
        Assert.Equal(["s129", "c129"], sm.RecentTransitions(2).Select(t => t.Reason));
    }

    [Fact]
    public void Position_constructor_rejects_negative_quantity()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Position(PositionSide.Long, 10, -1, 0));
        Assert.Equal("quantity", e.ParamName);
    }

    [Fact]
    public void Action_names_round_trip()
    {
        foreach (var kind in Enum.GetValues<ActionKind>())
        {
            Assert.True(ActionNames.TryParse(ActionNames.Of(kind), out var parsed));
            Assert.Equal(kind, parsed);
        }
        Assert.False(ActionNames.TryParse("buy_the_dip", out _));
    }

    [Theory]
    [InlineData(100, 1e308)]
    [InlineData(1e308, 10)]
    [InlineData(1e10, 1e6)]
    public void Entries_whose_notional_is_not_finite_or_beyond_the_largest_are_rejected(double price, double quantity)
    {
        var sm = new StateMachine();
        var result = sm.Apply(TradingAction.EnterLong(price, quantity), 1);
        Assert.True(result.IsRejected);
        Assert.Contains("largest notional", result.Rejection);
        Assert.Equal(TradingState.Idle, sm.State);
        Assert.True(sm.Apply(TradingAction.EnterLong(1e5, 1e10), 1).Executed); // exactly the largest notional
    }

    [Fact]
    public void An_exit_whose_pnl_would_not_be_finite_is_rejected_and_the_position_stays()
    {
        var sm = new StateMachine();
        sm.Apply(TradingAction.EnterShort(1e-3, 1e12), 1);
        var result = sm.Apply(TradingAction.Exit(1e300), 2);
        Assert.True(result.IsRejected);
        Assert.Contains("out of all proportion", result.Rejection);
        Assert.Equal(TradingState.InPosition, sm.State);
        Assert.True(double.IsFinite(sm.Apply(TradingAction.Exit(2e-3), 3).Closed!.RealizedPnl!.Value));
    }
}
