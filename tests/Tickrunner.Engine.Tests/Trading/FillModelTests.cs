using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Tests;

/// <summary>The paper account's fill rules (docs/backtesting.md §2–3) on hand-made bars, each value worked by hand.</summary>
public class FillModelTests
{
    // Enters on the bar whose close is 100 (long, or short when SHORT is set), with a stop and a target; exits on
    // a bar whose close is 777. Quantities and levels are globals so each test sets its own.
    private const string Scripted = """
        QTY = 10
        STOP = nil
        TARGET = nil
        SIDE = 'enter_long'
        function detect_opportunity(md) if md.close == 100 then return {} end end
        function filter_commitment(md, ctx, ind, account)
          ctx.equity_seen = account.equity
          ctx.cash_seen = account.cash
          ctx.capital_seen = account.initial_capital
          return { action = SIDE, price = md.close, quantity = QTY, stop_loss = STOP, take_profit = TARGET }
        end
        function manage_position(md, ctx, ind, account)
          ctx.equity_in_position = account.equity
          ctx.cash_in_position = account.cash
          if md.close == 777 then return { action = 'exit', price = 1 } end
        end
        """;

    private static MarketData Bar(long t, double open, double high, double low, double close) =>
        new("X", t, open, high, low, close, 1, close, close);

    private static (TickProcessor Processor, LuaStrategy Strategy) New(AccountSettings account, string setup = "")
    {
        var strategy = LuaStrategy.FromCode("scripted", Scripted + "\n" + setup);
        return (new TickProcessor(strategy, 100, account), strategy);
    }

    private static readonly AccountSettings NoCosts = new() { FeeBps = 0, SlippageBps = 0 };

    [Fact]
    public void Fills_at_the_close_take_slippage_by_side_and_fees_on_both_legs()
    {
        // 10 bps fee, 20 bps slippage: buy 10 at 100 → 100.2, fee 1.002; sell at 110 → 109.78, fee 1.0978.
        var (p, s) = New(new AccountSettings { FeeBps = 10, SlippageBps = 20 });
        using var _ = s;
        p.Process(Bar(1, 100, 100, 100, 100)); // opportunity
        var entry = p.Process(Bar(2, 100, 100, 100, 100)).Action;
        Assert.Equal(100.2, entry.Opened!.EntryPrice, 12);
        Assert.Equal(1.002, entry.EntryFee, 12);
        Assert.Equal(10_000 - 1.002 - 1002, p.Account.Cash(p.Machine.Position), 9);
        Assert.Equal(10_000 - 1.002 + (100 - 100.2) * 10, p.Equity, 9); // marked at the close of 100

        p.Process(Bar(3, 110, 110, 110, 110));
        var exit = p.Process(Bar(4, 777, 777, 777, 777)).Action; // the exit's own price (1) does not move the fill
        var closed = exit.Closed!;
        Assert.Equal(777 * 0.998, closed.ExitPrice!.Value, 9);
        Assert.Equal(777 * 0.998 * 10 * 0.001, exit.ExitFee, 9);
        var gross = (777 * 0.998 - 100.2) * 10;
        Assert.Equal(gross - 1.002 - 777 * 0.998 * 0.01, exit.NetPnl, 9);
        Assert.Equal(10_000 + exit.NetPnl, p.Equity, 9);
        Assert.Equal(1.002 + exit.ExitFee, p.Account.FeesPaid, 9);
    }

    [Fact]
    public void Shorts_sell_lower_and_buy_back_higher()
    {
        var (p, s) = New(new AccountSettings { FeeBps = 0, SlippageBps = 100 }, "SIDE = 'enter_short'");
        using var _ = s;
        p.Process(Bar(1, 100, 100, 100, 100));
        Assert.Equal(99, p.Process(Bar(2, 100, 100, 100, 100)).Action.Opened!.EntryPrice, 12);
        var exit = p.Process(Bar(3, 777, 777, 777, 777)).Action;
        Assert.Equal(777 * 1.01, exit.Closed!.ExitPrice!.Value, 9);
        Assert.Equal((99 - 777 * 1.01) * 10, exit.NetPnl, 9);
    }

    [Fact]
    public void An_entry_larger_than_equity_is_rejected_and_the_state_stays()
    {
        // 100 × 100 = 10,000 of notional + 10 of fee > 10,000 of equity.
        var (p, s) = New(new AccountSettings { FeeBps = 10 }, "QTY = 100");
        using var _ = s;
        p.Process(Bar(1, 100, 100, 100, 100));
        var entry = p.Process(Bar(2, 100, 100, 100, 100)).Action;
        Assert.True(entry.IsRejected);
        Assert.Contains("the entry needs 10010 (notional 10000 + fee 10) but the account's equity is 10000; no leverage", entry.Rejection);
        Assert.Equal(TradingState.Analyzing, p.Machine.State);
        Assert.Equal(10_000, p.Equity);
        // Exactly the equity fits.
        var (fits, s2) = New(new AccountSettings { FeeBps = 0 }, "QTY = 100");
        using var __ = s2;
        fits.Process(Bar(1, 100, 100, 100, 100));
        Assert.True(fits.Process(Bar(2, 100, 100, 100, 100)).Action.Executed);
    }

    [Fact]
    public void Strategies_see_the_account_as_a_fourth_argument()
    {
        var (p, s) = New(new AccountSettings { InitialCapital = 5_000, FeeBps = 10 });
        using var _ = s;
        p.Process(Bar(1, 100, 100, 100, 100));
        p.Process(Bar(2, 100, 100, 100, 100)); // enters 10 at 100: fee 1
        p.Process(Bar(3, 104, 104, 104, 104));
        var context = s.ContextScalars();
        Assert.Equal(5_000.0, context["equity_seen"]);
        Assert.Equal(5_000.0, context["cash_seen"]);
        Assert.Equal(5_000.0, context["capital_seen"]);
        Assert.Equal(5_000 - 1 + 40.0, (double)context["equity_in_position"], 9); // marked at 104 before the call
        Assert.Equal(5_000 - 1 - 1000.0, (double)context["cash_in_position"], 9);
    }

    [Fact]
    public void Next_open_queues_the_action_and_fills_at_the_next_bars_open_before_the_strategy_sees_it()
    {
        var (p, s) = New(NoCosts with { Fill = FillTiming.NextOpen });
        using var _ = s;
        p.Process(Bar(1, 100, 100, 100, 100));
        var queued = p.Process(Bar(2, 100, 100, 100, 100)).Action;
        Assert.True(queued.Queued);
        Assert.Equal(TradingState.Analyzing, p.Machine.State); // the state changes when the fill happens
        Assert.NotNull(p.QueuedAction);

        var next = p.Process(Bar(3, 103, 106, 102, 105));
        Assert.Equal(103, next.Queued.Opened!.EntryPrice);
        Assert.Equal(3, next.Queued.Opened.EntryTimestamp);
        Assert.Equal(TradingState.InPosition, p.Machine.State);
        Assert.Equal(10_000 + 20.0, p.Equity); // (105 − 103) × 10
        Assert.True(s.ContextScalars().ContainsKey("equity_in_position")); // manage_position ran on bar 3

        Assert.True(p.Process(Bar(4, 777, 777, 777, 777)).Action.Queued); // the exit waits too
        Assert.Equal(TradingState.InPosition, p.Machine.State);
        var filled = p.Process(Bar(5, 500, 500, 500, 500)).Queued;
        Assert.Equal(500, filled.Closed!.ExitPrice);
        Assert.Equal((500 - 103) * 10.0, filled.NetPnl);
    }

    [Fact]
    public void Intrabar_stop_fills_at_the_stop_and_at_the_open_after_a_gap()
    {
        // Long 10 at 100 with the stop at 95: a bar that trades down to 94 fills at 95; a bar that opens at 90 fills at 90.
        foreach (var (open, low, expected) in new[] { (99.0, 94.0, 95.0), (90.0, 88.0, 90.0) })
        {
            var (p, s) = New(NoCosts with { Stops = StopTiming.Intrabar }, "STOP = 95");
            using var _ = s;
            p.Process(Bar(1, 100, 100, 100, 100));
            p.Process(Bar(2, 100, 100, 100, 100));
            var early = p.Process(Bar(3, open, open + 1, low, open)).Early;
            Assert.Equal(ExitTrigger.StopLoss, early.ExitTrigger);
            Assert.Equal(expected, early.Closed!.ExitPrice);
            Assert.Equal((expected - 100) * 10, early.NetPnl);
            Assert.Equal(TradingState.Idle, p.Machine.State);
        }
    }

    [Fact]
    public void When_stop_and_target_both_lie_inside_one_bar_the_stop_wins()
    {
        var (p, s) = New(NoCosts with { Stops = StopTiming.Intrabar }, "STOP = 95 TARGET = 110");
        using var _ = s;
        p.Process(Bar(1, 100, 100, 100, 100));
        p.Process(Bar(2, 100, 100, 100, 100));
        var early = p.Process(Bar(3, 100, 111, 94, 105)).Early;
        Assert.Equal(ExitTrigger.StopLoss, early.ExitTrigger);
        Assert.Equal(95, early.Closed!.ExitPrice);
    }

    [Fact]
    public void Intrabar_target_fills_at_the_target_and_shorts_mirror_it()
    {
        var (p, s) = New(NoCosts with { Stops = StopTiming.Intrabar }, "TARGET = 110");
        using var _ = s;
        p.Process(Bar(1, 100, 100, 100, 100));
        p.Process(Bar(2, 100, 100, 100, 100));
        Assert.Equal(110, p.Process(Bar(3, 101, 112, 100, 103)).Early.Closed!.ExitPrice);

        var (sp, ss) = New(NoCosts with { Stops = StopTiming.Intrabar }, "SIDE = 'enter_short' STOP = 105 TARGET = 90");
        using var __ = ss;
        sp.Process(Bar(1, 100, 100, 100, 100));
        sp.Process(Bar(2, 100, 100, 100, 100));
        var gap = sp.Process(Bar(3, 108, 109, 104, 106)).Early; // opens above the stop
        Assert.Equal(108, gap.Closed!.ExitPrice);
        Assert.Equal((100 - 108) * 10.0, gap.NetPnl);
    }

    [Fact]
    public void Close_stops_trigger_on_the_close_only_and_fill_there_with_slippage()
    {
        // A low far under the stop does not trigger with stops = close; a close under it fills at that close, less slippage.
        var (p, s) = New(new AccountSettings { FeeBps = 0, SlippageBps = 10 }, "STOP = 95");
        using var _ = s;
        p.Process(Bar(1, 100, 100, 100, 100));
        p.Process(Bar(2, 100, 100, 100, 100));
        Assert.Null(p.Process(Bar(3, 100, 101, 50, 99)).Exit.Closed);
        var exit = p.Process(Bar(4, 99, 99, 90, 94)).Exit;
        Assert.Equal(ExitTrigger.StopLoss, exit.ExitTrigger);
        Assert.Equal(94 * 0.999, exit.Closed!.ExitPrice!.Value, 12);
    }

    [Fact]
    public void A_queued_entry_that_no_longer_fits_is_rejected_at_the_open()
    {
        // Queued at 100 (fits), but the next bar opens at 2,000: 10 × 2,000 is more than the equity.
        var (p, s) = New(NoCosts with { Fill = FillTiming.NextOpen });
        using var _ = s;
        p.Process(Bar(1, 100, 100, 100, 100));
        p.Process(Bar(2, 100, 100, 100, 100));
        var next = p.Process(Bar(3, 2000, 2000, 2000, 2000));
        Assert.True(next.Queued.IsRejected);
        Assert.Contains("no leverage", next.Queued.Rejection);
        Assert.NotEqual(TradingState.InPosition, p.Machine.State);
    }

    [Fact]
    public void Closing_at_the_end_of_the_data_uses_the_same_fill_rules()
    {
        var (p, s) = New(new AccountSettings { FeeBps = 10, SlippageBps = 0 });
        using var _ = s;
        p.Process(Bar(1, 100, 100, 100, 100));
        p.Process(Bar(2, 100, 100, 100, 100));
        var last = Bar(3, 120, 120, 120, 120);
        p.Process(last);
        var end = p.CloseOpenPosition(last, "end of data");
        Assert.Equal(ExitTrigger.EndOfData, end.ExitTrigger);
        Assert.Equal("end of data", end.Transition!.Value.Reason);
        Assert.Equal(200 - 1 - 1.2, end.NetPnl, 9);
        Assert.Equal(10_000 + 200 - 2.2, p.Equity, 9);
    }

    [Fact]
    public void Settings_are_validated_with_their_wire_names()
    {
        var problems = new AccountSettings { InitialCapital = 0, FeeBps = -1, SlippageBps = double.NaN, Fill = (FillTiming)9 }.Problems();
        Assert.Equal(["fee_bps", "fill", "initial_capital", "slippage_bps"], problems.Keys.Order());
        Assert.Empty(AccountSettings.Default.Problems());
    }
}
