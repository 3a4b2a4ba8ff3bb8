using Tickrunner.Engine.Backtesting;

namespace Tickrunner.Engine.Optimization;

/// <summary>Runs an optimization's trials somewhere other than the optimizing thread's own process (a cluster's worker grains).</summary>
public interface ITrialEvaluator
{
    /// <summary>
    /// The trial's backtest with <paramref name="trial"/> (its values already in the parameters), judged by
    /// <paramref name="settings"/> as <see cref="Optimizer.EvaluateTrial"/> does; called from several threads at once.
    /// </summary>
    TrialEvaluation Evaluate(BacktestSettings trial, OptimizationSettings settings, CancellationToken cancellationToken);
}
