using System.Globalization;
using System.Text;

namespace Tickrunner.Engine.Backtesting;

/// <summary>
/// The performance report of a backtest (docs/backtesting.md §4). Field names are the JSON names in snake_case;
/// percentages are × 100; a value that is undefined (no trades, no variance, no time) is null, never NaN.
/// </summary>
public sealed record BacktestReport(
    int Bars,
    long Start,
    long End,
    double InitialCapital,
    double FinalEquity,
    double TotalReturnPct,
    double? CagrPct,
    double? VolatilityAnnPct,
    double? Sharpe,
    double? Sortino,
    double MaxDrawdownPct,
    long MaxDrawdownDurationMs,
    double? Calmar,
    int Trades,
    double? WinRatePct,
    double? ProfitFactor,
    double? Expectancy,
    double? AvgTradePct,
    double? BestTradePct,
    double? WorstTradePct,
    double? AvgTradeDurationMs,
    double ExposurePct,
    double FeesPaid,
    double? BuyHoldReturnPct,
    string Digest)
{
    private const double MsPerYear = 365.25 * 86_400_000;

    /// <summary>
    /// Entries refused per risk limit (by its wire name, one key per limit set that refuses entries); null when the run had
    /// no limits, so reports without them differ from before only by <c>"risk_rejections": null</c>.
    /// </summary>
    public IReadOnlyDictionary<string, long>? RiskRejections { get; init; }

    /// <summary>
    /// Computes the report from the equity at each bar's close (<paramref name="equity"/>, one point per bar, the last
    /// one after any end-of-data close), the bars' times, the closed trades, how many bars closed with a position
    /// open, the account's fees, and the first and last close.
    /// </summary>
    public static BacktestReport Compute(double initialCapital, ReadOnlySpan<long> times, ReadOnlySpan<double> equity,
        IReadOnlyList<BacktestTrade> trades, int exposedBars, double feesPaid, double firstClose, double lastClose, string digest)
    {
        var n = equity.Length;
        if (n == 0)
            return new BacktestReport(0, 0, 0, initialCapital, initialCapital, 0, null, null, null, null, 0, 0, null,
                0, null, null, null, null, null, null, null, 0, 0, null, digest);

        var final = equity[n - 1];
        var years = (times[n - 1] - times[0]) / MsPerYear;
        double? periodsPerYear = years > 0 && n > 1 ? (n - 1) / years : null;

        // Per-bar returns against the previous close's equity; the first against the initial capital.
        double sum = 0, downsideSquares = 0;
        var previous = initialCapital;
        for (var i = 0; i < n; i++)
        {
            var r = equity[i] / previous - 1;
            sum += r;
            if (r < 0) downsideSquares += r * r;
            previous = equity[i];
        }
        var mean = sum / n;
        double squares = 0;
        previous = initialCapital;
        for (var i = 0; i < n; i++)
        {
            var d = equity[i] / previous - 1 - mean;
            squares += d * d;
            previous = equity[i];
        }
        double? std = n > 1 ? Math.Sqrt(squares / (n - 1)) : null;
        var downside = Math.Sqrt(downsideSquares / n);

        // Drawdown from the running peak, which starts at the initial capital at the first bar's time.
        double peak = initialCapital, maxDrawdown = 0;
        long peakTime = times[0], longest = 0;
        var underwater = false;
        for (var i = 0; i < n; i++)
        {
            if (equity[i] >= peak)
            {
                if (underwater) longest = Math.Max(longest, times[i] - peakTime);
                underwater = false;
                peak = equity[i];
                peakTime = times[i];
            }
            else
            {
                underwater = true;
                maxDrawdown = Math.Max(maxDrawdown, 1 - equity[i] / peak);
            }
        }
        if (underwater) longest = Math.Max(longest, times[n - 1] - peakTime);

        double? cagr = years > 0 && final > 0 ? (Math.Pow(final / initialCapital, 1 / years) - 1) * 100 : null;
        var ppy = periodsPerYear ?? double.NaN;
        var maxDrawdownPct = maxDrawdown * 100;

        int wins = 0;
        double won = 0, lost = 0, returns = 0, best = double.NegativeInfinity, worst = double.PositiveInfinity, held = 0;
        var losers = 0;
        foreach (var t in trades)
        {
            if (t.Pnl > 0) { wins++; won += t.Pnl; }
            else if (t.Pnl < 0) { losers++; lost += t.Pnl; }
            returns += t.ReturnPct;
            best = Math.Max(best, t.ReturnPct);
            worst = Math.Min(worst, t.ReturnPct);
            held += t.ExitTimestamp - t.EntryTimestamp;
        }
        var count = trades.Count;
        var totalPnl = won + lost;

        return new BacktestReport(
            Bars: n,
            Start: times[0],
            End: times[n - 1],
            InitialCapital: initialCapital,
            FinalEquity: final,
            TotalReturnPct: (final / initialCapital - 1) * 100,
            CagrPct: Finite(cagr),
            VolatilityAnnPct: std is { } s && periodsPerYear is not null ? Finite(s * Math.Sqrt(ppy) * 100) : null,
            Sharpe: std is { } sd && sd > 0 && periodsPerYear is not null ? Finite(mean / sd * Math.Sqrt(ppy)) : null,
            Sortino: downside > 0 && periodsPerYear is not null ? Finite(mean / downside * Math.Sqrt(ppy)) : null,
            MaxDrawdownPct: maxDrawdownPct,
            MaxDrawdownDurationMs: longest,
            Calmar: cagr is { } c && maxDrawdown > 0 ? Finite(c / 100 / maxDrawdown) : null,
            Trades: count,
            WinRatePct: count > 0 ? (double)wins / count * 100 : null,
            ProfitFactor: losers > 0 ? won / -lost : null,
            Expectancy: count > 0 ? totalPnl / count : null,
            AvgTradePct: count > 0 ? returns / count : null,
            BestTradePct: count > 0 ? best : null,
            WorstTradePct: count > 0 ? worst : null,
            AvgTradeDurationMs: count > 0 ? held / count : null,
            ExposurePct: (double)exposedBars / n * 100,
            FeesPaid: feesPaid,
            BuyHoldReturnPct: firstClose > 0 ? (lastClose / firstClose - 1) * 100 : null,
            Digest: digest);
    }

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    /// <summary>The report as an aligned two-column table, for a terminal.</summary>
    public string ToTable()
    {
        var rows = new (string Name, string Value)[]
        {
            ("bars", Bars.ToString("N0", CultureInfo.InvariantCulture)),
            ("start", Time(Start)), ("end", Time(End)),
            ("initial_capital", Money(InitialCapital)), ("final_equity", Money(FinalEquity)),
            ("total_return_pct", Pct(TotalReturnPct)), ("cagr_pct", Pct(CagrPct)), ("volatility_ann_pct", Pct(VolatilityAnnPct)),
            ("sharpe", Ratio(Sharpe)), ("sortino", Ratio(Sortino)), ("max_drawdown_pct", Pct(MaxDrawdownPct)),
            ("max_drawdown_duration", Duration(MaxDrawdownDurationMs)), ("calmar", Ratio(Calmar)),
            ("trades", Trades.ToString("N0", CultureInfo.InvariantCulture)), ("win_rate_pct", Pct(WinRatePct)),
            ("profit_factor", Ratio(ProfitFactor)), ("expectancy", Money(Expectancy)), ("avg_trade_pct", Pct(AvgTradePct)),
            ("best_trade_pct", Pct(BestTradePct)), ("worst_trade_pct", Pct(WorstTradePct)),
            ("avg_trade_duration", AvgTradeDurationMs is { } d ? Duration((long)d) : "—"), ("exposure_pct", Pct(ExposurePct)),
            ("fees_paid", Money(FeesPaid)), ("buy_hold_return_pct", Pct(BuyHoldReturnPct)), ("digest", Digest[..Math.Min(16, Digest.Length)]),
        };
        var width = rows.Max(r => r.Name.Length) + 2;
        var text = new StringBuilder();
        foreach (var (name, value) in rows) text.Append(name.PadRight(width)).Append(value).Append('\n');
        return text.ToString();
    }

    private static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    private static string Money(double? v) => v is { } x ? x.ToString("N2", CultureInfo.InvariantCulture) : "—";
    private static string Pct(double? v) => v is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) + " %" : "—";
    private static string Ratio(double? v) => v is { } x ? x.ToString("0.000", CultureInfo.InvariantCulture) : "—";

    private static string Duration(long ms)
    {
        var t = TimeSpan.FromMilliseconds(ms);
        return t.TotalDays >= 1 ? $"{(int)t.TotalDays}d {t.Hours}h {t.Minutes}m" : t.TotalHours >= 1 ? $"{t.Hours}h {t.Minutes}m" : $"{t.Minutes}m {t.Seconds}s";
    }
}
