using System.Text.Json.Serialization;
using Tickrunner.Engine.Backtesting;

namespace Tickrunner.Engine.Optimization;

/// <summary>How the optimizer proposes parameter values.</summary>
public enum OptimizationMethod
{
    /// <summary>Every point of the space, in order (the last parameter varies fastest).</summary>
    [JsonStringEnumMemberName("grid")] Grid,
    /// <summary>Points drawn uniformly from the space.</summary>
    [JsonStringEnumMemberName("random")] Random,
    /// <summary>The tree-structured Parzen estimator (Bergstra et al., 2011): random at first, then drawn where good trials were.</summary>
    [JsonStringEnumMemberName("tpe")] Tpe,
}

/// <summary>The report metric a trial is judged by (larger is better).</summary>
public enum OptimizationObjective
{
    /// <summary>The annualized Sharpe ratio.</summary>
    [JsonStringEnumMemberName("sharpe")] Sharpe,
    /// <summary>The annualized Sortino ratio.</summary>
    [JsonStringEnumMemberName("sortino")] Sortino,
    /// <summary>CAGR over the maximum drawdown.</summary>
    [JsonStringEnumMemberName("calmar")] Calmar,
    /// <summary>The total return in percent.</summary>
    [JsonStringEnumMemberName("total_return_pct")] TotalReturnPct,
    /// <summary>Gross profit over gross loss.</summary>
    [JsonStringEnumMemberName("profit_factor")] ProfitFactor,
}

/// <summary>The values one parameter is searched over, within its declaration: a range (numbers) or a list (choices).</summary>
public sealed record ParameterRange
{
    /// <summary>Smallest value searched (the declared min when null).</summary>
    public double? Min { get; init; }

    /// <summary>Largest value searched (the declared max when null).</summary>
    public double? Max { get; init; }

    /// <summary>Grid step (the declared step when null); a multiple of the declared step.</summary>
    public double? Step { get; init; }

    /// <summary>The choices searched, for a choice parameter (all declared ones when null).</summary>
    public IReadOnlyList<object>? Choices { get; init; }
}

/// <summary>
/// Walk-forward analysis: the bars are cut into windows of a training part followed by a test part; each window optimizes
/// on its training bars only and evaluates the winner on its test bars.
/// </summary>
public sealed record WalkForwardSettings
{
    /// <summary>Training bars per window (for anchored windows, the first window's; later ones grow by the test length).</summary>
    public int TrainBars { get; init; }

    /// <summary>Test bars per window; windows step forward by this much.</summary>
    public int TestBars { get; init; }

    /// <summary>Number of windows; as many as fit when null.</summary>
    public int? Windows { get; init; }

    /// <summary>Anchored windows all train from the first bar; rolling ones (the default) keep a fixed training length.</summary>
    public bool Anchored { get; init; }
}

/// <summary>What an optimization searches, how, and what it keeps.</summary>
public sealed record OptimizationSettings
{
    /// <summary>The largest number of trials an optimization (or a grid) may have.</summary>
    public const int MaxTrials = 100_000;

    /// <summary>Grid, random or TPE (the default).</summary>
    public OptimizationMethod Method { get; init; } = OptimizationMethod.Tpe;

    /// <summary>Trials to run (random and TPE); a grid runs all its points and refuses a space larger than <see cref="MaxTrials"/>.</summary>
    public int Trials { get; init; } = 100;

    /// <summary>The seed: the same seed, space and data give the same trials in the same order, whatever the number of threads.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>What a trial is judged by.</summary>
    public OptimizationObjective Objective { get; init; } = OptimizationObjective.Sharpe;

    /// <summary>A trial with fewer closed trades does not count (it is "infeasible").</summary>
    public int? MinTrades { get; init; }

    /// <summary>A trial whose maximum drawdown is larger (in percent) does not count.</summary>
    public double? MaxDrawdownPct { get; init; }

    /// <summary>Stop after this many trials in a row (in trial order) without a better objective; never when null.</summary>
    public int? Patience { get; init; }

    /// <summary>How many of the best trials keep their full result (trades and equity).</summary>
    public int TopK { get; init; } = 5;

    /// <summary>Threads the trials run on (does not change the result).</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Trial i of a TPE search learns from trials 0 … i − Batch only, so that up to Batch trials run at once and the result
    /// does not depend on which finished first.
    /// </summary>
    public int Batch { get; init; } = 8;

    /// <summary>Blocks the bars are cut into for the probability of backtest overfitting (even, at least 2).</summary>
    public int OverfittingBlocks { get; init; } = 16;

    /// <summary>
    /// The parameters searched, by name, with their ranges; when null, every declared parameter over its declared range.
    /// Parameters not searched keep the value in <see cref="BacktestSettings.Params"/> of <see cref="Backtest"/>, or their default.
    /// </summary>
    public IReadOnlyDictionary<string, ParameterRange>? Space { get; init; }

    /// <summary>The backtest every trial runs (account, window, time range, fixed parameter values).</summary>
    public BacktestSettings Backtest { get; init; } = new();

    /// <summary>Walk-forward windows; a single optimization over the whole range when null.</summary>
    public WalkForwardSettings? WalkForward { get; init; }

    /// <summary>What is wrong, by wire field name; empty when valid (the space is checked against the strategy separately).</summary>
    public Dictionary<string, string> Problems()
    {
        var problems = Backtest.Problems();
        if (Method != OptimizationMethod.Grid && Trials is < 1 or > MaxTrials)
            problems["trials"] = $"trials must be between 1 and {MaxTrials:N0}, got {Trials}.";
        if (MinTrades is < 0) problems["min_trades"] = $"min_trades must be 0 or more, got {MinTrades}.";
        if (MaxDrawdownPct is { } dd && (!double.IsFinite(dd) || dd is < 0 or > 100))
            problems["max_drawdown_pct"] = $"max_drawdown_pct must be between 0 and 100, got {dd}.";
        if (Patience is < 1) problems["patience"] = $"patience must be 1 or more, got {Patience}.";
        if (TopK is < 1 or > 100) problems["top_k"] = $"top_k must be between 1 and 100, got {TopK}.";
        if (Parallelism is < 1 or > 1024) problems["parallelism"] = $"parallelism must be between 1 and 1024, got {Parallelism}.";
        if (Batch is < 1 or > 1024) problems["batch"] = $"batch must be between 1 and 1024, got {Batch}.";
        if (OverfittingBlocks is < 2 or > 20 || OverfittingBlocks % 2 != 0)
            problems["overfitting_blocks"] = $"overfitting_blocks must be an even number from 2 to 20, got {OverfittingBlocks}.";
        if (WalkForward is { } wf)
        {
            if (wf.TrainBars < 2) problems["walk_forward.train_bars"] = $"walk_forward.train_bars must be 2 or more, got {wf.TrainBars}.";
            if (wf.TestBars < 2) problems["walk_forward.test_bars"] = $"walk_forward.test_bars must be 2 or more, got {wf.TestBars}.";
            if (wf.Windows is < 1 or > 1000) problems["walk_forward.windows"] = $"walk_forward.windows must be between 1 and 1,000, got {wf.Windows}.";
        }
        return problems;
    }
}
