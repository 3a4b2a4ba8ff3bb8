using Tickrunner.Engine.Backtesting;

namespace Tickrunner.Engine.Optimization;

/// <summary>One walk-forward window: its training and test ranges, the training's winner, and how it did on both.</summary>
public sealed record WalkForwardWindow
{
    /// <summary>The window's number, from 0.</summary>
    public required int Window { get; init; }

    /// <summary>First and last training bar times (Unix ms).</summary>
    public required long TrainFrom { get; init; }

    /// <inheritdoc cref="TrainFrom"/>
    public required long TrainTo { get; init; }

    /// <summary>First and last test bar times (Unix ms).</summary>
    public required long TestFrom { get; init; }

    /// <inheritdoc cref="TestFrom"/>
    public required long TestTo { get; init; }

    /// <summary>Trials run on the training bars.</summary>
    public required int Trials { get; init; }

    /// <summary>The training's best trial; null when no trial counted.</summary>
    public TrialRow? Best { get; init; }

    /// <summary>The winner's objective on the training bars (in-sample).</summary>
    public double? InSampleObjective { get; init; }

    /// <summary>The winner's objective on the test bars (out-of-sample); null when undefined there.</summary>
    public double? OutOfSampleObjective { get; init; }

    /// <summary>The winner's report on the test bars.</summary>
    public BacktestReport? OutOfSample { get; init; }

    /// <summary>The deflated Sharpe ratio of the training's winner.</summary>
    public DeflatedSharpeResult? DeflatedSharpe { get; init; }

    /// <summary>The probability of backtest overfitting of the training's trials.</summary>
    public OverfittingResult? Overfitting { get; init; }
}

/// <summary>A walk-forward analysis: its windows and the out-of-sample equity stitched from their test parts.</summary>
public sealed record WalkForwardResult(IReadOnlyList<WalkForwardWindow> Windows, IReadOnlyList<long> Times, IReadOnlyList<double> Equity,
    BacktestReport? OutOfSample);

/// <summary>
/// What an optimization found: every trial's summary row, the best K with their full results, the overfitting statistics,
/// and the walk-forward windows when asked for (then the trials are those of the last window, the one to trade on).
/// </summary>
public sealed record OptimizationResult
{
    /// <summary>The searched parameters.</summary>
    public required IReadOnlyList<SearchDimension> Space { get; init; }

    /// <summary>Every trial's row, in trial order.</summary>
    public required IReadOnlyList<TrialRow> Trials { get; init; }

    /// <summary>The best trials (up to K), best first.</summary>
    public required IReadOnlyList<TrialRow> Top { get; init; }

    /// <summary>The full backtests of <see cref="Top"/>, in the same order (not in the JSON: trades and equity are large).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<BacktestResult> TopResults { get; init; } = [];

    /// <summary>Trials planned (the trial count, or the grid's size).</summary>
    public required int Planned { get; init; }

    /// <summary>True when the early stop ended the search before the plan.</summary>
    public required bool StoppedEarly { get; init; }

    /// <summary>The best trial; null when none counted.</summary>
    public TrialRow? Best => Top.Count > 0 ? Top[0] : null;

    /// <summary>The deflated Sharpe ratio of the best trial given the number of trials; null when undefined.</summary>
    public DeflatedSharpeResult? DeflatedSharpe { get; init; }

    /// <summary>The probability of backtest overfitting (CSCV) of the trials; null when undefined.</summary>
    public OverfittingResult? Overfitting { get; init; }

    /// <summary>The walk-forward analysis; null without one.</summary>
    public WalkForwardResult? WalkForward { get; init; }
}
