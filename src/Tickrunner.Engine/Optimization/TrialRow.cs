using System.Text.Json.Serialization;
using Tickrunner.Engine.Backtesting;

namespace Tickrunner.Engine.Optimization;

/// <summary>How a trial ended.</summary>
public enum TrialStatus
{
    /// <summary>It ran and meets the constraints: its objective counts.</summary>
    [JsonStringEnumMemberName("ok")] Ok,
    /// <summary>It ran but breaks a constraint or its objective is undefined (for example no trades): it does not count.</summary>
    [JsonStringEnumMemberName("infeasible")] Infeasible,
    /// <summary>The strategy failed (the error says where).</summary>
    [JsonStringEnumMemberName("failed")] Failed,
}

/// <summary>One trial's summary: its parameter values, how it ended, its objective and its report.</summary>
public sealed record TrialRow
{
    /// <summary>The trial's number, from 0, in the order the sampler proposed it.</summary>
    public required int Trial { get; init; }

    /// <summary>The searched parameters' values, by name.</summary>
    public required IReadOnlyDictionary<string, object> Params { get; init; }

    /// <summary>Ok, infeasible or failed.</summary>
    public required TrialStatus Status { get; init; }

    /// <summary>The objective's value; null when it is undefined.</summary>
    public double? Objective { get; init; }

    /// <summary>Why an infeasible trial does not count, or the strategy's error for a failed one.</summary>
    public string? Note { get; init; }

    /// <summary>The backtest report (null for a synthetic objective).</summary>
    public BacktestReport? Report { get; init; }

    /// <summary>The per-bar returns' moments, for the deflated Sharpe ratio and the probability of overfitting.</summary>
    [JsonIgnore] public ReturnMoments? Moments { get; init; }

    /// <summary>True when the objective counts.</summary>
    [JsonIgnore] public bool Counts => Status == TrialStatus.Ok && Objective is not null;

    /// <summary>A point as one string, the same for equal values whatever the order of the names.</summary>
    public static string KeyOf(IReadOnlyDictionary<string, object> point) =>
        string.Join('\u001f', point.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + System.Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)));
}

/// <summary>What evaluating one point gave.</summary>
public readonly record struct TrialEvaluation(TrialStatus Status, double? Objective, string? Note = null, BacktestReport? Report = null,
    ReturnMoments? Moments = null, BacktestResult? Result = null);

/// <summary>How far an optimization has come.</summary>
public readonly record struct OptimizationProgress(int TrialsDone, int TrialsPlanned, double? BestObjective, int? BestTrial, int Window = 0, int Windows = 1)
{
    /// <summary>0..1 over all windows.</summary>
    public double Fraction => TrialsPlanned == 0 ? 1 : Math.Clamp((Window + (double)TrialsDone / TrialsPlanned) / Windows, 0, 1);
}
