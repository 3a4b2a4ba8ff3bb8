using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Tests;

/// <summary>Every report field against values worked by hand from its definition (docs/backtesting.md §4).</summary>
public class BacktestReportTests
{
    private const long Day = 86_400_000;

    // Four daily bars; equity 110, 99, 121, 121 from 100 of capital. Returns: +10 %, −10 %, +22.2 %, 0.
    private static readonly long[] Times = [0, Day, 2 * Day, 3 * Day];
    private static readonly double[] Equity = [110, 99, 121, 121];

    // A long that made 1.8 net on 10 of notional (18 %), and a short that lost 2.5 on 40 (−6.25 %); each held one day.
    private static readonly BacktestTrade[] TwoTrades =
    [
        new(PositionSide.Long, 0, 10, Day, 12, 1, 0.2, 1.8, 18, "strategy"),
        new(PositionSide.Short, 2 * Day, 20, 3 * Day, 21, 2, 0.5, -2.5, -6.25, "stop"),
    ];

    private static BacktestReport Report(IReadOnlyList<BacktestTrade>? trades = null) =>
        BacktestReport.Compute(100, Times, Equity, trades ?? TwoTrades, exposedBars: 2, feesPaid: 0.7, firstClose: 10, lastClose: 21, digest: "d");

    [Fact]
    public void Returns_based_metrics()
    {
        var r = Report();
        Assert.Equal((4, 0L, 3 * Day), (r.Bars, r.Start, r.End));
        Assert.Equal((100.0, 121.0), (r.InitialCapital, r.FinalEquity));
        Assert.Equal(21, r.TotalReturnPct, 9);
        // periods_per_year = (4 − 1) / (3 days / 365.25 days) = 365.25; mean r = 0.0555…, std (n − 1) = 0.13789…
        Assert.Equal(263.5196246820958, r.VolatilityAnnPct!.Value, 9);
        Assert.Equal(7.700248773178126, r.Sharpe!.Value, 9);
        // downside deviation √(0.1² / 4) = 0.05
        Assert.Equal(21.23501650401824, r.Sortino!.Value, 9);
        // (1.21)^(365.25 / 3) − 1: enormous over three days, and exactly that
        Assert.InRange(r.CagrPct!.Value / 1199827567032.402, 1 - 1e-12, 1 + 1e-12);
        Assert.InRange(r.Calmar!.Value / 119982756703.2402, 1 - 1e-12, 1 + 1e-12);
    }

    [Fact]
    public void Drawdown_from_the_running_peak_and_its_duration_to_the_recovery()
    {
        var r = Report();
        Assert.Equal(10, r.MaxDrawdownPct, 9);                   // 1 − 99 / 110
        Assert.Equal(2 * Day, r.MaxDrawdownDurationMs);            // peak at bar 0, back above it at bar 2
        // Still under water at the end: the duration runs to the last bar.
        var sinking = BacktestReport.Compute(100, Times, [100, 90, 95, 80], [], 0, 0, 10, 10, "d");
        Assert.Equal(20, sinking.MaxDrawdownPct, 9);
        Assert.Equal(3 * Day, sinking.MaxDrawdownDurationMs);
        // The initial capital is the first peak: a first bar below it is a drawdown.
        Assert.Equal(10, BacktestReport.Compute(100, [0, Day], [90, 100], [], 0, 0, 1, 1, "d").MaxDrawdownPct, 9);
    }

    [Fact]
    public void Trade_metrics()
    {
        var r = Report();
        Assert.Equal(2, r.Trades);
        Assert.Equal(50, r.WinRatePct);
        Assert.Equal(0.72, r.ProfitFactor!.Value, 12);             // 1.8 / |−2.5|
        Assert.Equal(-0.35, r.Expectancy!.Value, 12);              // (1.8 − 2.5) / 2
        Assert.Equal(5.875, r.AvgTradePct!.Value, 12);             // (18 − 6.25) / 2
        Assert.Equal((18.0, -6.25), (r.BestTradePct, r.WorstTradePct));
        Assert.Equal(Day, r.AvgTradeDurationMs);
        Assert.Equal(50, r.ExposurePct);                            // 2 of 4 bars closed in a position
        Assert.Equal(0.7, r.FeesPaid);
        Assert.Equal(110, r.BuyHoldReturnPct!.Value, 9);            // 21 / 10 − 1
    }

    [Fact]
    public void Undefined_values_are_null()
    {
        // No trades: every trade metric is null.
        var none = Report([]);
        Assert.Equal(0, none.Trades);
        Assert.All(new[] { none.WinRatePct, none.ProfitFactor, none.Expectancy, none.AvgTradePct, none.BestTradePct, none.WorstTradePct, none.AvgTradeDurationMs },
            v => Assert.Null(v));
        // No loser: no profit factor.
        Assert.Null(Report([TwoTrades[0]]).ProfitFactor);
        // Flat equity: no variance (no Sharpe), no downside (no Sortino), no drawdown (no Calmar); CAGR is 0.
        var flat = BacktestReport.Compute(100, Times, [100, 100, 100, 100], [], 0, 0, 10, 10, "d");
        Assert.Null(flat.Sharpe);
        Assert.Null(flat.Sortino);
        Assert.Null(flat.Calmar);
        Assert.Equal(0, flat.CagrPct);
        Assert.Equal(0, flat.VolatilityAnnPct);
        // One bar: no time, so no annualized value at all.
        var one = BacktestReport.Compute(100, [5], [101], [], 0, 0, 10, 10, "d");
        Assert.Equal((1, 5L, 5L), (one.Bars, one.Start, one.End));
        Assert.All(new[] { one.CagrPct, one.VolatilityAnnPct, one.Sharpe, one.Sortino, one.Calmar }, v => Assert.Null(v));
        // Equity below zero has no CAGR.
        Assert.Null(BacktestReport.Compute(100, [0, Day], [50, -10], [], 0, 0, 1, 1, "d").CagrPct);
    }

    [Fact]
    public void Json_uses_the_documented_names_and_writes_null()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(Report([]), BacktestJson.Default.BacktestReport);
        foreach (var name in new[] { "bars", "start", "end", "initial_capital", "final_equity", "total_return_pct", "cagr_pct", "volatility_ann_pct",
                     "sharpe", "sortino", "max_drawdown_pct", "max_drawdown_duration_ms", "calmar", "trades", "win_rate_pct", "profit_factor",
                     "expectancy", "avg_trade_pct", "best_trade_pct", "worst_trade_pct", "avg_trade_duration_ms", "exposure_pct", "fees_paid",
                     "buy_hold_return_pct", "digest" })
            Assert.Contains($"\"{name}\":", json);
        Assert.Contains("\"profit_factor\":null", json);
        var trades = System.Text.Json.JsonSerializer.Serialize<IReadOnlyList<BacktestTrade>>(TwoTrades, BacktestJson.Default.IReadOnlyListBacktestTrade);
        Assert.StartsWith("""[{"side":"Long","entry_timestamp":0,"entry_price":10,"exit_timestamp":86400000,"exit_price":12,"quantity":1,"fees":0.2,"pnl":1.8,"return_pct":18,"reason":"strategy"}""", trades);
    }
}
