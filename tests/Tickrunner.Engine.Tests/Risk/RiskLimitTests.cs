using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;
using Tickrunner.Engine.Wire;

namespace Tickrunner.Engine.Tests;

/// <summary>Risk limits (docs/backtesting.md §2.4): each limit at, below and above its threshold, the windows by bar time, the close's actions, events and parity.</summary>
public sealed class RiskLimitTests : IDisposable
{
    private readonly TempDirectory _dir = new("tickrunner-risk-");

    public void Dispose() => _dir.Dispose();

    // Enters QTY long on every bar it may (Analyzing), exits after HOLD bars in the position.
    internal const string Enterer = """
        QTY = 10
        HOLD = 1
        function detect_opportunity(md) return {} end
        function filter_commitment(md, ctx) ctx.held = 0 return { action = 'enter_long', price = md.close, quantity = QTY } end
        function manage_position(md, ctx)
          ctx.held = ctx.held + 1
          if ctx.held >= HOLD then return { action = 'exit', price = md.close } end
        end
        """;

    private static readonly AccountSettings NoCosts = new() { FeeBps = 0, SlippageBps = 0 };
    private const long Minute = 60_000;
    private const long Day0 = 1_700_006_400_000; // 2023-11-15 00:00:00 UTC

    private static MarketData Bar(long t, double close) => new("X", t, close, close, close, close, 1, close, close);

    private static (TickProcessor Processor, LuaStrategy Strategy) New(RiskLimits risk, string setup = "", AccountSettings? account = null)
    {
        var strategy = LuaStrategy.FromCode("enterer", Enterer + "\n" + setup);
        return (new TickProcessor(strategy, 100, account ?? NoCosts, risk), strategy);
    }

    [Theory]
    [InlineData(10.0, true)]  // at the limit
    [InlineData(11.0, true)]  // below
    [InlineData(9.99, false)] // above
    public void Max_quantity_refuses_an_entry_above_it(double limit, bool enters)
    {
        var (p, s) = New(new RiskLimits { MaxQuantity = limit });
        using var _ = s;
        p.Process(Bar(Day0, 100));
        var entry = p.Process(Bar(Day0 + Minute, 100)).Action;
        Assert.Equal(enters, entry.Opened is not null);
        Assert.Equal(!enters, entry.RiskRefused);
        Assert.Equal(enters ? 0 : 1, p.Risk!.Rejections(RiskLimit.MaxQuantity));
        if (!enters)
        {
            Assert.Equal("enter_long: risk limit max_quantity: quantity 10 is above the limit of 9.99", entry.Rejection);
            Assert.Equal(new RiskHit(RiskLimit.MaxQuantity, 10, 9.99, RiskAction.EnterLong), Assert.Single(p.Risk.Hits.ToArray()));
            Assert.Equal(TradingState.Analyzing, p.Machine.State);
        }
    }

    [Theory]
    [InlineData(1001.0, true)]  // the fill price with 10 bps slippage: 100.1 × 10 = 1001, at the limit
    [InlineData(1002.0, true)]
    [InlineData(1000.5, false)] // above the limit at the fill price, though the close's notional (1000) is below
    public void Max_position_notional_is_the_fill_price_times_the_quantity(double limit, bool enters)
    {
        var (p, s) = New(new RiskLimits { MaxPositionNotional = limit }, account: new AccountSettings { FeeBps = 0, SlippageBps = 10 });
        using var _ = s;
        p.Process(Bar(Day0, 100));
        var entry = p.Process(Bar(Day0 + Minute, 100)).Action;
        Assert.Equal(enters, entry.Opened is not null);
        if (!enters) Assert.StartsWith("enter_long: risk limit max_position_notional: notional 1001", entry.Rejection);
    }

    [Fact]
    public void Entries_per_hour_slide_by_bar_time()
    {
        var guard = new RiskGuard(new RiskLimits { MaxEntriesPerHour = 2 }, 10_000);
        var entry = TradingAction.EnterLong(100, 1);
        Assert.Null(guard.CheckEntry(entry, 100, 0, 10_000, true));
        guard.Entered(0);
        Assert.Null(guard.CheckEntry(entry, 100, 1_000, 10_000, true)); // below: 1 of 2
        guard.Entered(1_000);
        Assert.Equal("enter_long: risk limit max_entries_per_hour: 2 entries in the last hour, the limit is 2",
            guard.CheckEntry(entry, 100, 3_599_999, 10_000, true)); // at the limit: refused
        Assert.Null(guard.CheckEntry(entry, 100, 3_600_000, 10_000, true)); // the first entry is an hour old: out of the window
        guard.Entered(3_600_000);
        Assert.NotNull(guard.CheckEntry(entry, 100, 3_600_999, 10_000, true));
        Assert.Null(guard.CheckEntry(entry, 100, 3_601_000, 10_000, true));
        Assert.Equal(2, guard.Rejections(RiskLimit.MaxEntriesPerHour));
    }

    [Fact]
    public void Entries_per_hour_in_a_runner_wait_until_the_oldest_entry_leaves_the_window()
    {
        // One-minute bars: entries at bars 1 and 4 (enter, exit, opportunity, enter); bars 7–60 are refused; bar 61 is an hour after bar 1.
        var (p, s) = New(new RiskLimits { MaxEntriesPerHour = 2 });
        using var _ = s;
        var entered = new List<int>();
        for (var i = 0; i < 70; i++)
            if (p.Process(Bar(Day0 + i * Minute, 100)).Action.Opened is not null) entered.Add(i);
        Assert.Equal([1, 4, 61, 64], entered);
        Assert.Equal(60 - 7 + 1 + 3, p.Risk!.Rejections(RiskLimit.MaxEntriesPerHour)); // and bars 67–69 (entries of 61 and 64 in the window)
    }

    [Fact]
    public void A_maximum_drawdown_added_live_measures_from_the_peak_reached_before_it_was_set()
    {
        // No drawdown limit at first (a daily one only): the guard still follows the peak, 12,000.
        var guard = new RiskGuard(new RiskLimits { DailyLossLimit = 1_000_000 }, 10_000);
        Assert.Equal(RiskCloseAction.None, guard.AtClose(12_000, 0, hasPosition: true));
        Assert.Equal(RiskCloseAction.None, guard.AtClose(10_680, 0, hasPosition: true));
        Assert.Equal(12_000, guard.PeakEquity);
        // Set at 10,680, 11 % below the peak (but above the initial 10,000): a 10 % limit stops it at once.
        var changed = guard.WithLimits(new RiskLimits { MaxDrawdownPct = 10 }, 10_680);
        Assert.Equal(RiskCloseAction.Stop, changed.AtClose(10_680, 0, hasPosition: true));
        var hit = changed.Hits[^1];
        Assert.Equal((RiskLimit.MaxDrawdownPct, RiskAction.Stop), (hit.Limit, hit.Action));
        Assert.Equal(11, hit.Value, 9);
        // The same change with a 15 % limit does not stop it.
        Assert.Equal(RiskCloseAction.None, guard.WithLimits(new RiskLimits { MaxDrawdownPct = 15 }, 10_680).AtClose(10_680, 0, hasPosition: true));
    }

    [Fact]
    public void The_daily_loss_blocks_entries_at_its_threshold_until_00_00_UTC_by_bar_time()
    {
        var guard = new RiskGuard(new RiskLimits { DailyLossLimit = 100 }, 10_000);
        var entry = TradingAction.EnterShort(100, 1);
        guard.BeginBar(Day0 + 22 * 3_600_000, 10_000);
        Assert.Equal(RiskCloseAction.None, guard.AtClose(9_900.01, 0, hasPosition: true)); // below
        Assert.False(guard.EntriesBlocked);
        Assert.Equal(RiskCloseAction.None, guard.AtClose(9_900, 0, hasPosition: true)); // at: hit, no flatten asked
        Assert.True(guard.EntriesBlocked);
        Assert.Equal(new RiskHit(RiskLimit.DailyLossLimit, 100, 100, RiskAction.BlockEntries), guard.Hits[0]);
        guard.BeginBar(Day0 + RiskGuard.DayMs - 1, 9_950); // 23:59:59.999, the same day: still blocked, though equity came back
        Assert.Equal("enter_short: risk limit daily_loss_limit: the day's loss is 50, the limit is 100; no new entries until 00:00 UTC",
            guard.CheckEntry(entry, 100, Day0 + RiskGuard.DayMs - 1, 9_950, true));
        Assert.Equal(new RiskHit(RiskLimit.DailyLossLimit, 50, 100, RiskAction.EnterShort), guard.Hits[0]);
        guard.BeginBar(Day0 + RiskGuard.DayMs, 9_950); // 00:00 UTC: a new day from 9,950
        Assert.False(guard.EntriesBlocked);
        Assert.Equal(9_950, guard.DayStartEquity);
        Assert.Null(guard.CheckEntry(entry, 100, Day0 + RiskGuard.DayMs, 9_950, true));
        Assert.NotNull(guard.CheckEntry(entry, 100, Day0 + RiskGuard.DayMs, 9_850, true)); // above: the loss of the flat account, checked at the entry too
        Assert.Equal(2, guard.Rejections(RiskLimit.DailyLossLimit));
    }

    [Fact]
    public void Flatten_on_daily_loss_closes_at_the_close_and_entries_resume_the_next_day()
    {
        // Long 10 at 100; the close of 94 loses 60 ≥ 50: closed at 94 with "daily loss limit"; entries refused until 00:00 UTC.
        var (p, s) = New(new RiskLimits { DailyLossLimit = 50, FlattenOnDailyLoss = true }, "HOLD = 1000");
        using var _ = s;
        var start = Day0 + RiskGuard.DayMs - 5 * Minute; // 23:55
        p.Process(Bar(start, 100));
        Assert.NotNull(p.Process(Bar(start + Minute, 100)).Action.Opened);
        Assert.Null(p.Process(Bar(start + 2 * Minute, 96)).Exit.Closed); // −40: below the limit
        var hit = p.Process(Bar(start + 3 * Minute, 94));
        Assert.Equal(94, hit.Exit.Closed!.ExitPrice);
        Assert.Equal("daily loss limit", hit.Exit.Transition!.Value.Reason);
        Assert.Equal(ExitTrigger.RiskLimit, hit.Exit.ExitTrigger);
        Assert.Equal(new RiskHit(RiskLimit.DailyLossLimit, 60, 50, RiskAction.Flatten), Assert.Single(p.Risk!.Hits.ToArray()));
        p.Process(Bar(start + 4 * Minute, 94)); // opportunity
        Assert.True(p.Process(Bar(start + 4 * Minute + 30_000, 94)).Action.RiskRefused); // 23:59:30, still blocked
        Assert.NotNull(p.Process(Bar(start + 5 * Minute, 94)).Action.Opened); // 00:00 UTC of the next day
        Assert.Equal(9_940, p.Risk.DayStartEquity);
    }

    [Theory]
    [InlineData(FillTiming.Close)]
    [InlineData(FillTiming.NextOpen)]
    public void A_queued_entry_is_refused_on_the_bar_that_asked_and_checked_again_at_the_open(FillTiming fill)
    {
        var (p, s) = New(new RiskLimits { MaxPositionNotional = 1_050 }, account: NoCosts with { Fill = fill });
        using var _ = s;
        p.Process(Bar(Day0, 100));
        var asked = p.Process(Bar(Day0 + Minute, 110)).Action; // 10 × 110 = 1,100 > 1,050 at the close
        Assert.True(asked.RiskRefused);
        Assert.Null(p.QueuedAction);
        // At 100 it is queued (next_open) and the open of 106 refuses it: 1,060.
        var queued = p.Process(Bar(Day0 + 2 * Minute, 100));
        var open = p.Process(new MarketData("X", Day0 + 3 * Minute, 106, 106, 106, 106, 1, 106, 106));
        if (fill == FillTiming.NextOpen)
        {
            Assert.True(queued.Action.Queued);
            Assert.True(open.Queued.RiskRefused);
            Assert.Equal(3, p.Risk!.Rejections(RiskLimit.MaxPositionNotional)); // and the strategy, still Analyzing, asks again at 106
        }
        else Assert.NotNull(queued.Action.Opened);
    }

    [Fact]
    public void Exits_are_never_refused()
    {
        // Blocked for the day while in a position (no flatten): the strategy's exit still fills.
        var (p, s) = New(new RiskLimits { DailyLossLimit = 10, MaxQuantity = 10, MaxEntriesPerHour = 1, MaxPositionNotional = 1_000 }, "HOLD = 3");
        using var _ = s;
        p.Process(Bar(Day0, 100));
        p.Process(Bar(Day0 + Minute, 100));
        p.Process(Bar(Day0 + 2 * Minute, 90));
        Assert.True(p.Risk!.EntriesBlocked);
        p.Process(Bar(Day0 + 3 * Minute, 90));
        Assert.NotNull(p.Process(Bar(Day0 + 4 * Minute, 90)).Action.Closed);
    }

    [Fact]
    public void Problems_name_each_bad_limit()
    {
        Assert.Empty(new RiskLimits { MaxPositionNotional = 1, MaxQuantity = 0.5, MaxEntriesPerHour = 1, DailyLossLimit = 1, MaxDrawdownPct = 100 }.Problems());
        var problems = new RiskLimits { MaxPositionNotional = 0, MaxQuantity = double.NaN, MaxEntriesPerHour = 0, DailyLossLimit = -1, MaxDrawdownPct = 100.5 }.Problems();
        Assert.Equal(["daily_loss_limit", "max_drawdown_pct", "max_entries_per_hour", "max_position_notional", "max_quantity"], problems.Keys.Order());
        Assert.Equal("max_drawdown_pct must be a percentage above 0 and at most 100, got 100.5.", problems["max_drawdown_pct"]);
        Assert.Contains("max_quantity", new BacktestSettings { Risk = new RiskLimits { MaxQuantity = -1 } }.Problems().Keys);
        Assert.Contains("max_quantity", (EngineTestKit.Definition("r") with { Risk = new RiskLimits { MaxQuantity = -1 } }).Problems().Keys);
    }

    // Holds long from the second bar; the price then falls by 1 a bar.
    private const string Holder = "HOLD = 1000000";

    private static IEnumerable<MarketData> Falling(string symbol) =>
        Enumerable.Range(0, 40).Select(i => new MarketData(symbol, Day0 + i * Minute, 100 - Math.Max(0, i - 2), 100, 50, 100 - Math.Max(0, i - 2), 1, 0, 0));

    [Fact]
    public async Task Max_drawdown_closes_the_position_and_stops_a_live_runner()
    {
        // Long 50 at 100 (5,000 of 10,000): the close of 90 is 500 down, 5 % from the peak of 10,000.
        var sink = new CollectingSink();
        await using var engine = EngineTestKit.NewEngine(sink, new Dictionary<string, string> { ["enterer"] = Enterer + "\nQTY = 50\n" + Holder });
        var runner = engine.AddRunner(EngineTestKit.Definition("dd", "X", "enterer") with
        {
            Account = NoCosts, Risk = new RiskLimits { MaxDrawdownPct = 5 },
        });
        foreach (var bar in Falling("X")) engine.Publish(bar);
        var snapshot = await runner.GetSnapshotAsync();
        Assert.Equal(RunnerStatus.Stopped, snapshot.Status);
        Assert.Equal(13, snapshot.Stats.TicksProcessed); // the bar whose close is 90
        Assert.Null(snapshot.Position);
        Assert.Equal(9_500, snapshot.Account.Equity);
        var tail = sink.For("dd").Select(EngineTestKit.Describe).TakeLast(3).ToList();
        Assert.Equal("PositionClosed 90 -500 max drawdown", tail[0]);
        Assert.Equal("RiskLimitHit ", tail[1]);
        Assert.Equal("RunnerStopped max drawdown: 5 % from the peak of 10000, the limit is 5 %", tail[2]);
        var hit = sink.For("dd").Single(e => e.Kind == RunnerEventKind.RiskLimitHit).Risk!.Value;
        Assert.Equal((RiskLimit.MaxDrawdownPct, 5, RiskAction.Stop), (hit.Limit, hit.Threshold, hit.Action));
        Assert.Equal(5, hit.Value, 9);
        Assert.NotNull(snapshot.Risk);
        Assert.Equal(10_000, snapshot.Risk!.PeakEquity);
    }

    [Fact]
    public async Task A_restart_keeps_the_limits_and_the_guard_state_with_the_peak_anew_after_a_drawdown_stop()
    {
        var sink = new CollectingSink();
        await using var engine = EngineTestKit.NewEngine(sink, new Dictionary<string, string> { ["enterer"] = Enterer + "\nQTY = 50\n" + Holder });
        var risk = new RiskLimits { MaxDrawdownPct = 5, DailyLossLimit = 400 };
        var runner = engine.AddRunner(EngineTestKit.Definition("dd", "X", "enterer") with { Account = NoCosts, Risk = risk });
        foreach (var bar in Falling("X")) engine.Publish(bar);
        var stopped = await runner.GetSnapshotAsync();
        Assert.Equal(RunnerStatus.Stopped, stopped.Status);
        Assert.True(stopped.Risk!.EntriesBlocked); // the day lost 500 ≥ 400 at the same close

        var again = await engine.RestartRunnerAsync("dd");
        var snapshot = await again.GetSnapshotAsync();
        Assert.Same(risk, snapshot.Risk!.Limits);
        Assert.Equal(9_500, snapshot.Risk.PeakEquity); // starting again is going on from here
        Assert.True(snapshot.Risk.EntriesBlocked);     // the day's block is not lifted by a restart
        Assert.Equal(10_000, snapshot.Risk.DayStartEquity);
    }

    [Fact]
    public void Max_drawdown_ends_a_backtest_with_the_position_closed()
    {
        var run = Backtest.Run("enterer", Enterer + "\nQTY = 50\n" + Holder, Falling("X").ToList(),
            new BacktestSettings { Account = NoCosts, Risk = new RiskLimits { MaxDrawdownPct = 5 } });
        Assert.False(run.Failed);
        Assert.Equal(13, run.BarsDone);
        Assert.StartsWith("max drawdown: 5 %", run.RiskStop);
        var trade = Assert.Single(run.Trades);
        Assert.Equal("max drawdown", trade.Reason);
        Assert.Equal(9_500, run.Report.FinalEquity);
        Assert.Equal(new Dictionary<string, long>(), run.Report.RiskRejections);
    }

    [Fact]
    public void Without_limits_the_digest_and_the_results_are_those_of_today()
    {
        var bars = Falling("X").ToList();
        var none = Backtest.Run("enterer", Enterer, bars, new BacktestSettings());
        var settingsJson = System.Text.Json.JsonSerializer.Serialize(new BacktestSettings(), BacktestJson.Default.BacktestSettings);
        Assert.DoesNotContain("risk", settingsJson);
        Assert.Null(none.Report.RiskRejections);
        Assert.EndsWith($"\"digest\":\"{none.Report.Digest}\",\"risk_rejections\":null}}", none.ReportJson());
        // Limits that never bite change the digest (they are settings) but nothing else.
        var loose = Backtest.Run("enterer", Enterer, bars, new BacktestSettings { Risk = new RiskLimits { MaxQuantity = 1e9, MaxEntriesPerHour = 1000 } });
        Assert.NotEqual(none.Report.Digest, loose.Report.Digest);
        Assert.Equal(none.TradesJson(), loose.TradesJson());
        Assert.Equal(none.Equity, loose.Equity);
        Assert.Equal(new Dictionary<string, long> { ["max_quantity"] = 0, ["max_entries_per_hour"] = 0 }, loose.Report.RiskRejections);
    }

    [Fact]
    public void RiskLimitHit_is_written_with_its_limit_value_threshold_and_action()
    {
        var e = RunnerEvent.RiskLimitHit("r", "X", new RiskHit(RiskLimit.DailyLossLimit, 60.5, 50, RiskAction.Flatten), 0, 1_700_000_000_000);
        var json = System.Text.Encoding.UTF8.GetString(EventJson.Serialize(e, 9));
        Assert.Equal("""{"RiskLimitHit":{"runner_id":"r","limit":"daily_loss_limit","value":60.5,"threshold":50,"action":"flatten","timestamp":1700000000000,"seq":9}}""", json);
        Assert.True(EventJson.TryParseKind("RiskLimitHit", out var kind) && kind == RunnerEventKind.RiskLimitHit);
    }

    public static TheoryData<FillTiming, StopTiming> FillAndStops => new()
    {
        { FillTiming.Close, StopTiming.Close }, { FillTiming.NextOpen, StopTiming.Intrabar },
    };

    [Theory]
    [MemberData(nameof(FillAndStops))]
    public async Task A_live_runner_and_a_backtest_with_limits_make_the_same_refusals_and_trades(FillTiming fill, StopTiming stops)
    {
        // 3,000 one-minute bars from 22:13 UTC: two midnights. The trader sizes by half its equity.
        var path = BacktestTests.WriteKlines(_dir, "RISKP", 3_000, seed: 11);
        var account = new AccountSettings { FeeBps = 10, SlippageBps = 5, Fill = fill, Stops = stops };
        var risk = new RiskLimits { MaxEntriesPerHour = 4, DailyLossLimit = 40, FlattenOnDailyLoss = true, MaxPositionNotional = 6_000, MaxQuantity = 1_000 };

        var sink = new CollectingSink();
        await using var engine = EngineTestKit.NewEngine(sink, new Dictionary<string, string> { ["trader"] = BacktestTests.Trader },
            new EngineOptions { InboxCapacity = 10_000 });
        var runner = engine.AddRunner(EngineTestKit.Definition("live", "RISKP", "trader") with { Account = account, Risk = risk });
        var feed = new CsvReplayFeed(new CsvReplayFeedOptions { Sources = [new CsvReplaySource { Symbol = "RISKP", Path = path }], Speed = 0 });
        await engine.RunFeedAsync(feed, ["RISKP"]);
        var snapshot = await runner.GetSnapshotAsync();
        Assert.Equal(3_000, snapshot.Stats.TicksProcessed);
        var events = sink.For("live");
        var live = events.Where(e => e.Kind == RunnerEventKind.PositionClosed).Select(e => BacktestTrade.Of(e.Position!, e.Text!)).ToList();
        var hits = events.Where(e => e.Kind == RunnerEventKind.RiskLimitHit).Select(e => e.Risk!.Value).ToList();

        var backtest = Backtest.Run("trader", BacktestTests.Trader, CsvKlineReader.Read(path, "RISKP").ToList(),
            new BacktestSettings { Account = account, StopOnError = false, CloseAtEnd = false, Risk = risk });

        Assert.Equal(backtest.Trades, live);
        Assert.Equal(backtest.Equity[^1], snapshot.Account.Equity);
        var refusals = hits.Where(h => h.Action is RiskAction.EnterLong or RiskAction.EnterShort).GroupBy(h => h.LimitName)
            .ToDictionary(g => g.Key, g => (long)g.Count());
        foreach (var (limit, count) in backtest.Report.RiskRejections!) Assert.Equal(count, refusals.GetValueOrDefault(limit));
        Assert.Equal(backtest.Report.RiskRejections, snapshot.Risk!.Rejections);
        // The hourly and the daily limits bit on these bars, and every refusal came with its Warning.
        var counts = string.Join(", ", backtest.Report.RiskRejections);
        Assert.True(backtest.Report.RiskRejections["max_entries_per_hour"] > 0, counts);
        Assert.True(backtest.Report.RiskRejections["daily_loss_limit"] > 0, counts);
        Assert.Contains(hits, h => h.Action == RiskAction.Flatten);
        Assert.Contains(live, t => t.Reason == "daily loss limit");
        Assert.Equal(refusals.Values.Sum(), events.Count(e => e.Kind == RunnerEventKind.Error && e.Text!.Contains(": risk limit ")));
    }
}
