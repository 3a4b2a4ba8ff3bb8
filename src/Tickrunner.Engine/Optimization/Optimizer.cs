using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Engine.Optimization;

/// <summary>
/// Optimizes a strategy's declared parameters by backtests over one symbol's bars: every trial is a full
/// <see cref="Backtest"/> with the trial's values, judged by the objective and the constraints; optionally walk-forward.
/// </summary>
public static class Optimizer
{
    /// <summary>The strategy's declared parameters and the space the settings ask for, or the problems by field.</summary>
    /// <exception cref="StrategyLoadException">The strategy does not load.</exception>
    public static (SearchSpace? Space, Dictionary<string, string> Problems) Space(string strategyName, string code, OptimizationSettings settings,
        LuaSandboxOptions? sandbox = null)
    {
        using var strategy = LuaStrategy.FromCode(strategyName, code, sandbox);
        var problems = settings.Problems();
        var (space, spaceProblems) = SearchSpace.From(strategy.Parameters, settings.Space, settings.Backtest.Params);
        foreach (var (key, value) in spaceProblems) problems[key] = value;
        if (settings.Backtest.Params is { Count: > 0 } fixedValues)
        {
            try { strategy.SetParameters(fixedValues); }
            catch (StrategyParameterException e) { foreach (var (key, value) in e.Problems) problems[key] = value; }
        }
        if (space is not null && problems.Count == 0)
        {
            try { ParameterSearch.Planned(space, settings); }
            catch (ArgumentException e) { problems["space"] = e.Message; }
        }
        return (problems.Count == 0 ? space : null, problems);
    }

    /// <summary>
    /// Runs the optimization of <paramref name="code"/> over <paramref name="bars"/>. <paramref name="progress"/> is told after
    /// every trial (from the worker threads); <paramref name="onWorkerStart"/> runs first on each extra worker thread.
    /// </summary>
    /// <exception cref="StrategyLoadException">The strategy does not load.</exception>
    /// <exception cref="ArgumentException">The settings or the space are invalid (the message says what and where).</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <remarks>
    /// With <paramref name="trials"/>, each trial's backtest runs there (on a cluster's silos) instead of on this process's
    /// worker threads; the top trials' full results are then run again here, which gives the same results to the bit since a
    /// backtest is deterministic.
    /// </remarks>
    public static OptimizationResult Run(string strategyName, string code, IReadOnlyList<MarketData> bars, OptimizationSettings settings,
        LuaSandboxOptions? sandbox = null, Action<OptimizationProgress>? progress = null, Action? onWorkerStart = null,
        CancellationToken cancellationToken = default, ITrialEvaluator? trials = null)
    {
        ArgumentNullException.ThrowIfNull(bars);
        var (space, problems) = Space(strategyName, code, settings, sandbox);
        if (space is null) throw new ArgumentException(string.Join(" ", problems.Values), nameof(settings));

        if (settings.WalkForward is not { } walkForward)
        {
            var (outcome, results) = Search(strategyName, code, bars, space, settings, settings.Backtest, sandbox, progress, onWorkerStart, trials, cancellationToken);
            var (dsr, pbo) = Guards(outcome, settings);
            return new OptimizationResult
            {
                Space = space.Dimensions, Trials = outcome.Trials, Top = outcome.Top, TopResults = results, Planned = outcome.Planned,
                StoppedEarly = outcome.StoppedEarly, DeflatedSharpe = dsr, Overfitting = pbo,
            };
        }

        var windows = WalkForwardWindows(bars, settings.Backtest, walkForward);
        var done = new List<WalkForwardWindow>(windows.Count);
        var stitchedTimes = new List<long>();
        var stitchedEquity = new List<double>();
        var oosTrades = new List<BacktestTrade>();
        double capital = settings.Backtest.Account.InitialCapital, fees = 0, exposed = 0;
        var digests = new StringBuilder();
        SearchOutcome last = null!;
        IReadOnlyList<BacktestResult> lastResults = [];
        for (var w = 0; w < windows.Count; w++)
        {
            var (trainFirst, trainEnd, testEnd) = windows[w];
            var train = settings.Backtest with { From = bars[trainFirst].Timestamp, To = bars[trainEnd - 1].Timestamp };
            var window = w;
            var (outcome, results) = Search(strategyName, code, bars, space, settings, train, sandbox,
                progress is null ? null : p => progress(p with { Window = window, Windows = windows.Count }), onWorkerStart, trials, cancellationToken);
            var (dsr, pbo) = Guards(outcome, settings);
            var row = new WalkForwardWindow
            {
                Window = w, TrainFrom = train.From!.Value, TrainTo = train.To!.Value,
                TestFrom = bars[trainEnd].Timestamp, TestTo = bars[testEnd - 1].Timestamp,
                Trials = outcome.Trials.Count, Best = outcome.Top.FirstOrDefault(), DeflatedSharpe = dsr, Overfitting = pbo,
                InSampleObjective = outcome.Top.FirstOrDefault()?.Objective,
            };
            var startCapital = capital;
            if (row.Best is { } best)
            {
                var test = settings.Backtest with { From = row.TestFrom, To = row.TestTo, Params = Merge(settings.Backtest.Params, best.Params) };
                var result = Backtest.Run(strategyName, code, bars, test, sandbox, null, cancellationToken);
                row = row with { OutOfSample = result.Report, OutOfSampleObjective = ObjectiveOf(result.Report, settings.Objective) };
                var initial = settings.Backtest.Account.InitialCapital;
                for (var i = 0; i < result.Equity.Count; i++)
                {
                    stitchedTimes.Add(result.Times[i]);
                    stitchedEquity.Add(startCapital * result.Equity[i] / initial);
                }
                capital = stitchedEquity.Count > 0 ? stitchedEquity[^1] : capital;
                foreach (var t in result.Trades) oosTrades.Add(t);
                fees += result.Report.FeesPaid * startCapital / initial;
                exposed += result.Report.ExposurePct / 100 * result.Report.Bars;
                digests.Append(result.Report.Digest);
            }
            else
            {
                // No winner: nothing is traded in this test part, so the stitched equity stays flat over it.
                for (var i = trainEnd; i < testEnd; i++)
                {
                    stitchedTimes.Add(bars[i].Timestamp);
                    stitchedEquity.Add(startCapital);
                }
            }
            done.Add(row);
            last = outcome;
            lastResults = results;
        }
        var oosReport = stitchedEquity.Count == 0 ? null : BacktestReport.Compute(settings.Backtest.Account.InitialCapital,
            stitchedTimes.ToArray(), stitchedEquity.ToArray(), oosTrades, (int)Math.Round(exposed), fees,
            bars[windows[0].TrainEnd].Close, bars[windows[^1].TestEnd - 1].Close,
            Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(digests.ToString()))));
        return new OptimizationResult
        {
            Space = space.Dimensions, Trials = last.Trials, Top = last.Top, TopResults = lastResults, Planned = last.Planned,
            StoppedEarly = last.StoppedEarly, DeflatedSharpe = done[^1].DeflatedSharpe, Overfitting = done[^1].Overfitting,
            WalkForward = new WalkForwardResult(done, stitchedTimes, stitchedEquity, oosReport),
        };
    }

    /// <summary>
    /// The windows as bar indexes within the settings' range: training [TrainFirst, TrainEnd), test [TrainEnd, TestEnd).
    /// Rolling windows slide by the test length; anchored ones keep the first bar and grow.
    /// </summary>
    /// <exception cref="ArgumentException">The range is too short for one window, or for the windows asked for.</exception>
    public static IReadOnlyList<(int TrainFirst, int TrainEnd, int TestEnd)> WalkForwardWindows(IReadOnlyList<MarketData> bars,
        BacktestSettings range, WalkForwardSettings walkForward)
    {
        var first = 0;
        var end = bars.Count;
        if (range.From is { } from) while (first < end && bars[first].Timestamp < from) first++;
        if (range.To is { } to) while (end > first && bars[end - 1].Timestamp > to) end--;
        var windows = new List<(int, int, int)>();
        for (var k = 0; walkForward.Windows is not { } count || k < count; k++)
        {
            var trainFirst = walkForward.Anchored ? first : first + k * walkForward.TestBars;
            var trainEnd = first + walkForward.TrainBars + k * walkForward.TestBars;
            var testEnd = trainEnd + walkForward.TestBars;
            if (testEnd > end) break;
            windows.Add((trainFirst, trainEnd, testEnd));
        }
        var needed = walkForward.TrainBars + (long)(walkForward.Windows ?? 1) * walkForward.TestBars;
        if (windows.Count == 0 || (walkForward.Windows is { } asked && windows.Count < asked))
            throw new ArgumentException(
                $"walk_forward needs {needed:N0} bars ({walkForward.TrainBars:N0} to train + {walkForward.Windows ?? 1} × {walkForward.TestBars:N0} to test), the range has {end - first:N0}.",
                nameof(walkForward));
        return windows;
    }

    private static (SearchOutcome Outcome, IReadOnlyList<BacktestResult> Results) Search(string strategyName, string code, IReadOnlyList<MarketData> bars,
        SearchSpace space, OptimizationSettings settings, BacktestSettings backtest, LuaSandboxOptions? sandbox,
        Action<OptimizationProgress>? progress, Action? onWorkerStart, ITrialEvaluator? trials, CancellationToken cancellationToken)
    {
        // A backtest is deterministic, so a point proposed again (TPE does that near an optimum) is answered from the first
        // run's summary instead of run again; the full result is not kept, and the search keeps such a point in its top once.
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, TrialEvaluation>(StringComparer.Ordinal);
        var outcome = ParameterSearch.Run(space, settings, (_, point, token) =>
        {
            var key = TrialRow.KeyOf(point);
            if (seen.TryGetValue(key, out var known)) return known;
            var trial = backtest with { Params = Merge(backtest.Params, point) };
            var judged = trials is not null
                ? trials.Evaluate(trial, settings, token)
                : Judge(Backtest.Run(strategyName, code, bars, trial, sandbox, null, token), settings);
            seen.TryAdd(key, judged with { Result = null });
            return judged;
        }, progress, onWorkerStart, cancellationToken);
        // Trials run elsewhere send back their summary only: the few the search keeps are run again here for their trades and equity.
        var results = outcome.TopResults.Select((r, i) => r.Result ?? Backtest.Run(strategyName, code, bars,
            backtest with { Params = Merge(backtest.Params, outcome.Top[i].Params) }, sandbox, null, cancellationToken)).ToList();
        return (outcome, results);
    }

    /// <summary>
    /// One trial as <see cref="Run"/> judges it: the backtest of <paramref name="trial"/> (the trial's values already in its
    /// parameters) over <paramref name="bars"/>, with <paramref name="settings"/>' objective and constraints; the full result
    /// is left out (<see cref="TrialEvaluation.Result"/> null), as a worker on another machine sends it back.
    /// </summary>
    public static TrialEvaluation EvaluateTrial(string strategyName, string code, IReadOnlyList<MarketData> bars, BacktestSettings trial,
        OptimizationSettings settings, LuaSandboxOptions? sandbox = null, CancellationToken cancellationToken = default) =>
        Judge(Backtest.Run(strategyName, code, bars, trial, sandbox, null, cancellationToken), settings) with { Result = null };

    /// <summary>A trial's status and objective from its backtest, with the constraints applied.</summary>
    internal static TrialEvaluation Judge(BacktestResult result, OptimizationSettings settings)
    {
        var report = result.Report;
        var moments = Moments(result, settings.Backtest.Account.InitialCapital, settings.OverfittingBlocks);
        if (result.Failed) return new TrialEvaluation(TrialStatus.Failed, null, result.Error, report, moments, result);
        var objective = ObjectiveOf(report, settings.Objective);
        string? note = null;
        if (objective is null) note = $"{Name(settings.Objective)} is undefined ({(report.Trades == 0 ? "no trades" : "no variance or no losing trade")}).";
        else if (settings.MinTrades is { } minTrades && report.Trades < minTrades) note = $"{report.Trades} trades, fewer than min_trades {minTrades}.";
        else if (settings.MaxDrawdownPct is { } maxDrawdown && report.MaxDrawdownPct > maxDrawdown)
            note = $"max drawdown {report.MaxDrawdownPct:0.##} % is over max_drawdown_pct {maxDrawdown:0.##} %.";
        return new TrialEvaluation(note is null ? TrialStatus.Ok : TrialStatus.Infeasible, objective, note, report, moments, result);
    }

    /// <summary>The objective's value in a report; null when the report leaves it undefined.</summary>
    public static double? ObjectiveOf(BacktestReport report, OptimizationObjective objective) => objective switch
    {
        OptimizationObjective.Sharpe => report.Sharpe,
        OptimizationObjective.Sortino => report.Sortino,
        OptimizationObjective.Calmar => report.Calmar,
        OptimizationObjective.TotalReturnPct => report.TotalReturnPct,
        OptimizationObjective.ProfitFactor => report.ProfitFactor,
        _ => throw new ArgumentOutOfRangeException(nameof(objective)),
    };

    /// <summary>The objective's wire name.</summary>
    public static string Name(OptimizationObjective objective) => objective switch
    {
        OptimizationObjective.TotalReturnPct => "total_return_pct",
        OptimizationObjective.ProfitFactor => "profit_factor",
        _ => objective.ToString().ToLowerInvariant(),
    };

    // Per-bar returns of the equity curve (the first against the initial capital), as the report's Sharpe ratio takes them.
    private static ReturnMoments? Moments(BacktestResult result, double initialCapital, int blocks)
    {
        var n = result.Equity.Count;
        if (n < blocks || n < 2) return null;
        var returns = ArrayPool<double>.Shared.Rent(n);
        try
        {
            var previous = initialCapital;
            for (var i = 0; i < n; i++)
            {
                returns[i] = result.Equity[i] / previous - 1;
                previous = result.Equity[i];
            }
            return ReturnMoments.Of(returns.AsSpan(0, n), blocks);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(returns);
        }
    }

    // The deflated Sharpe ratio of the best trial among all that ran, and the PBO of those trials.
    private static (DeflatedSharpeResult?, OverfittingResult?) Guards(SearchOutcome outcome, OptimizationSettings settings)
    {
        var ran = outcome.Trials.Where(t => t.Moments is not null).Select(t => t.Moments!).ToList();
        if (outcome.Top.FirstOrDefault()?.Moments is not { } best || ran.Count < 2) return (null, null);
        var sharpes = ran.Select(m => m.Sharpe).ToArray();
        return (DeflatedSharpe.Compute(best.Sharpe, sharpes, best.Observations, best.Skewness, best.Kurtosis), BacktestOverfitting.Compute(ran));
    }

    private static SortedDictionary<string, object> Merge(IReadOnlyDictionary<string, object>? fixedValues, IReadOnlyDictionary<string, object> point)
    {
        // In name order, as everywhere parameters are kept: the digest hashes them in this order.
        var values = new SortedDictionary<string, object>(StringComparer.Ordinal);
        if (fixedValues is not null) foreach (var (k, v) in fixedValues) values[k] = v;
        foreach (var (k, v) in point) values[k] = v;
        return values;
    }
}
