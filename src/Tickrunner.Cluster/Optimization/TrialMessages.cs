using Tickrunner.Cluster.Runners;
using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Optimization;

namespace Tickrunner.Cluster.Optimization;

/// <summary>One optimization trial as a worker grain gets it: the strategy, the dataset, the trial's settings and how to judge it.</summary>
[GenerateSerializer, Immutable]
public sealed record TrialRequest
{
    /// <summary>The strategy's name (it is part of the report's digest).</summary>
    [Id(0)] public required string StrategyName { get; init; }

    /// <summary>The strategy's Lua source.</summary>
    [Id(1)] public required string Code { get; init; }

    /// <summary>The dataset in the silos' shared dataset directory whose bars the optimization runs over.</summary>
    [Id(2)] public required string DatasetId { get; init; }

    /// <summary>The trial's backtest settings without their parameters, as the engine's settings JSON.</summary>
    [Id(3)] public required string SettingsJson { get; init; }

    /// <summary>The trial's parameters (fixed ones and the trial's values), with their types kept: the digest hashes them.</summary>
    [Id(4)] public required Dictionary<string, ScalarValue> Params { get; init; }

    /// <summary>The objective, by the engine's enum.</summary>
    [Id(5)] public OptimizationObjective Objective { get; init; }

    /// <summary>The min_trades constraint.</summary>
    [Id(6)] public int? MinTrades { get; init; }

    /// <summary>The max_drawdown_pct constraint.</summary>
    [Id(7)] public double? MaxDrawdownPct { get; init; }

    /// <summary>Blocks the return moments are summed in (for the overfitting guard).</summary>
    [Id(8)] public int OverfittingBlocks { get; init; }

    /// <summary>The request for one trial of an optimization.</summary>
    public static TrialRequest Of(string strategyName, string code, string datasetId, BacktestSettings trial, OptimizationSettings settings) => new()
    {
        StrategyName = strategyName,
        Code = code,
        DatasetId = datasetId,
        SettingsJson = System.Text.Json.JsonSerializer.Serialize(trial with { Params = null }, BacktestJson.Default.BacktestSettings),
        Params = trial.Params is null ? [] : ScalarValue.Of(trial.Params),
        Objective = settings.Objective,
        MinTrades = settings.MinTrades,
        MaxDrawdownPct = settings.MaxDrawdownPct,
        OverfittingBlocks = settings.OverfittingBlocks,
    };

    /// <summary>The trial's settings and the optimization settings that judge it, as the engine takes them.</summary>
    public (BacktestSettings Trial, OptimizationSettings Judging) ToSettings()
    {
        var trial = System.Text.Json.JsonSerializer.Deserialize(SettingsJson, BacktestJson.Default.BacktestSettings)
            ?? throw new ArgumentException("The trial's settings are empty.");
        trial = trial with { Params = Params.Count == 0 ? null : new SortedDictionary<string, object>(ScalarValue.ToObjects(Params), StringComparer.Ordinal) };
        return (trial, new OptimizationSettings
        {
            Objective = Objective, MinTrades = MinTrades, MaxDrawdownPct = MaxDrawdownPct, OverfittingBlocks = OverfittingBlocks, Backtest = trial,
        });
    }
}

/// <summary>What a worker grain answers for one trial: the engine's judgement of it, without the trades and equity.</summary>
[GenerateSerializer, Immutable]
public sealed record TrialAnswer
{
    /// <summary>ok, infeasible or failed, by the engine's enum.</summary>
    [Id(0)] public TrialStatus Status { get; init; }

    /// <summary>The objective's value, null when undefined.</summary>
    [Id(1)] public double? Objective { get; init; }

    /// <summary>Why the trial does not count, or its error.</summary>
    [Id(2)] public string? Note { get; init; }

    /// <summary>The report as the engine's report JSON (doubles round-trip exactly), or null.</summary>
    [Id(3)] public string? ReportJson { get; init; }

    /// <summary>Return moments: returns per block (null when the trial has none).</summary>
    [Id(4)] public int[]? BlockCounts { get; init; }

    /// <summary>Return moments: sum per block.</summary>
    [Id(5)] public double[]? BlockSums { get; init; }

    /// <summary>Return moments: sum of squares per block.</summary>
    [Id(6)] public double[]? BlockSquares { get; init; }

    /// <summary>Return moments: observations, Sharpe, skewness, kurtosis.</summary>
    [Id(7)] public double[]? Moments { get; init; }

    /// <summary>The silo that ran the trial (for monitoring and the tests).</summary>
    [Id(8)] public string Silo { get; init; } = "";

    /// <summary>The answer for the engine's evaluation of a trial.</summary>
    public static TrialAnswer Of(TrialEvaluation evaluation, string silo) => new()
    {
        Status = evaluation.Status,
        Objective = evaluation.Objective,
        Note = evaluation.Note,
        ReportJson = evaluation.Report is { } report ? System.Text.Json.JsonSerializer.Serialize(report, BacktestJson.Default.BacktestReport) : null,
        BlockCounts = evaluation.Moments is { } m ? m.BlockCounts.ToArray() : null,
        BlockSums = evaluation.Moments?.BlockSums.ToArray(),
        BlockSquares = evaluation.Moments?.BlockSquares.ToArray(),
        Moments = evaluation.Moments is { } n ? [n.Observations, n.Sharpe, n.Skewness, n.Kurtosis] : null,
        Silo = silo,
    };

    /// <summary>The engine's evaluation back (its full result left out).</summary>
    public TrialEvaluation ToEvaluation()
    {
        var report = ReportJson is null ? null : System.Text.Json.JsonSerializer.Deserialize(ReportJson, BacktestJson.Default.BacktestReport);
        var moments = BlockCounts is null || BlockSums is null || BlockSquares is null || Moments is not [var observations, var sharpe, var skewness, var kurtosis]
            ? null
            : ReturnMoments.FromBlocks(BlockCounts, BlockSums, BlockSquares, (int)observations, sharpe, skewness, kurtosis);
        return new TrialEvaluation(Status, Objective, Note, report, moments);
    }
}
