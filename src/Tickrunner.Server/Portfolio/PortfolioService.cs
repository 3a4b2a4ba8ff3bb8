using Microsoft.Extensions.Options;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Trading;
using Tickrunner.Server.Backtests;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Portfolio;

/// <summary>How the portfolio is sampled for its curve (<c>Tickrunner:Portfolio</c>).</summary>
public sealed class PortfolioOptions
{
    /// <summary>Time between two samples of the portfolio, in ms.</summary>
    public int SampleIntervalMs { get; set; } = 10_000;

    /// <summary>Samples kept (the oldest go first): 100,000 at 10 s is about 11.5 days, some 6 MB of SQLite.</summary>
    public int MaxSamples { get; set; } = 100_000;
}

/// <summary>One runner's line of the portfolio: its account now and its closed trades summed.</summary>
public sealed record PortfolioRunner(
    string RunnerId,
    string Symbol,
    string StrategyName,
    RunnerStatus Status,
    double Equity,
    double RealizedPnl,
    double UnrealizedPnl,
    long Trades,
    double? WinRate,
    double MaxDrawdownPct);

/// <summary>
/// Every runner's paper account summed, now: equity, the capital it started from, realized and unrealized P&amp;L (the open
/// positions marked at the last close, less the entry fees they paid, so that the two add up to equity less capital), P&amp;L
/// since 00:00 UTC, open positions; and one line per runner.
/// </summary>
public sealed record PortfolioSummary(
    long AsOf,
    long DayStart,
    int RunnersCount,
    int OpenPositions,
    double InitialCapital,
    double Equity,
    double RealizedPnl,
    double UnrealizedPnl,
    double Pnl,
    double PnlToday,
    double FeesPaid,
    IReadOnlyList<PortfolioRunner> Runners);

/// <summary>The portfolio's curve: at each sample time its equity, the capital behind it, and its P&amp;L (equity less capital).</summary>
public sealed record PortfolioCurve(long[] Times, double[] Equity, double[] Capital, double[] Pnl);

/// <summary>
/// The portfolio across all runners (docs/guides/web-app-api.md, Portfolio): the sum of their accounts now, each runner's trade
/// figures from the stored trades, and the sampled curve. Read-only; <see cref="PortfolioSampler"/> writes the samples.
/// </summary>
public sealed class PortfolioService(Runners.IRunnerService runners, PortfolioRepository samples, IEngineClock clock, IOptions<TickrunnerOptions> options)
{
    private const long DayMs = 86_400_000;
    private readonly Lock _gate = new();
    private (long LastTradeId, long Runners, long CreatedSum, long Day) _cachedVersion = (-1, -1, -1, -1);
    private Dictionary<string, RunnerTradeStats> _cached = [];

    /// <summary>The portfolio now.</summary>
    public async Task<PortfolioSummary> SummaryAsync(CancellationToken cancellationToken)
    {
        var snapshots = await runners.ListAsync(cancellationToken);
        var now = clock.NowUnixMs();
        var dayStart = now - Mod(now, DayMs);
        var stats = TradeStats(dayStart);
        // Unrealized P&L of the positions open at 00:00 UTC: it is in the realized P&L of today's trades that closed them (or in
        // today's unrealized P&L), but was made yesterday. The last sample before midnight says what it was, if it is recent
        // (the server ran through midnight); otherwise the day counts from the server's first sample of it.
        var before = samples.LastBefore(dayStart);
        var baseline = before is { } b && dayStart - b.At <= 2L * Math.Max(100, options.Value.Portfolio.SampleIntervalMs) ? before : samples.FirstFrom(dayStart);
        var unrealizedAtMidnight = baseline?.UnrealizedPnl ?? 0;

        var sum = Sum(snapshots, now);
        var lines = new List<PortfolioRunner>(snapshots.Count);
        double fees = 0, realizedToday = 0;
        foreach (var s in snapshots.OrderBy(s => s.RunnerId, StringComparer.Ordinal))
        {
            var account = s.Account;
            stats.TryGetValue(s.RunnerId, out var trades);
            fees += account.FeesPaid;
            realizedToday += trades?.RealizedSince ?? 0;
            lines.Add(new PortfolioRunner(s.RunnerId, s.Symbol, s.StrategyName, s.Status, account.Equity, account.RealizedPnl, OpenPnl(s),
                trades?.Trades ?? 0,
                trades is { Trades: > 0 } t ? (double)t.Wins / t.Trades : null, trades?.MaxDrawdownPct ?? 0));
        }
        var pnlToday = realizedToday + sum.UnrealizedPnl - unrealizedAtMidnight;
        return new PortfolioSummary(now, dayStart, snapshots.Count, sum.OpenPositions, sum.Capital, sum.Equity, sum.RealizedPnl,
            sum.UnrealizedPnl, sum.Pnl, pnlToday, fees, lines);
    }

    /// <summary>The runners' accounts summed at <paramref name="at"/>: what a portfolio sample stores.</summary>
    public static PortfolioSample Sum(IReadOnlyList<RunnerSnapshot> snapshots, long at)
    {
        double equity = 0, capital = 0, realized = 0, unrealized = 0;
        var open = 0;
        foreach (var s in snapshots)
        {
            equity += s.Account.Equity;
            capital += s.Account.InitialCapital;
            realized += s.Account.RealizedPnl;
            unrealized += OpenPnl(s);
            if (s.Position is not null) open++;
        }
        return new PortfolioSample(at, equity, capital, realized, unrealized, open, snapshots.Count);
    }

    // The open position's P&L less the entry fee it already paid: realized plus this is exactly equity less capital.
    private static double OpenPnl(RunnerSnapshot s) =>
        s.Position is null ? 0 : s.Account.Equity - s.Account.InitialCapital - s.Account.RealizedPnl;

    /// <summary>
    /// The samples from <paramref name="from"/> to <paramref name="to"/> (Unix ms, both included), all of them or thinned to
    /// <paramref name="points"/> (each stretch keeps its lowest and highest P&amp;L, so a drawdown stays visible).
    /// </summary>
    public PortfolioCurve Curve(long from, long to, int? points)
    {
        var rows = samples.Samples(from, to);
        var pnl = rows.Select(r => r.Pnl).ToArray();
        var picked = points is { } p && p < rows.Count ? EquityCurve.Downsample(pnl, p) : Enumerable.Range(0, rows.Count).ToArray();
        return new PortfolioCurve(
            picked.Select(i => rows[i].At).ToArray(),
            picked.Select(i => rows[i].Equity).ToArray(),
            picked.Select(i => rows[i].Capital).ToArray(),
            picked.Select(i => pnl[i]).ToArray());
    }

    // The trade figures change only with a new trade, a runner added or removed, or a new UTC day: read once per change.
    private Dictionary<string, RunnerTradeStats> TradeStats(long dayStart)
    {
        var (lastTrade, runners, created) = samples.Version();
        var version = (lastTrade, runners, created, dayStart);
        lock (_gate)
        {
            if (version == _cachedVersion) return _cached;
        }
        var fresh = samples.TradeStats(dayStart, AccountSettings.Default.InitialCapital).ToDictionary(s => s.RunnerId, StringComparer.Ordinal);
        lock (_gate)
        {
            _cached = fresh;
            _cachedVersion = version;
        }
        return fresh;
    }

    private static long Mod(long value, long modulus)
    {
        var r = value % modulus;
        return r < 0 ? r + modulus : r;
    }
}
