using System.Collections.Concurrent;
using Tickrunner.Engine;
using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Optimization;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Cluster.Optimization;

/// <summary>
/// Runs an optimization with its trials on the cluster's <see cref="ITrialWorkerGrain"/> slots: the search itself (sampling,
/// early stop, top K, the overfitting guards) stays where it is called, exactly as in one process, so the results are the same.
/// </summary>
public static class ClusterTrials
{
    /// <summary>
    /// <see cref="Optimizer.Run"/> over dataset <paramref name="datasetId"/> (whose <paramref name="bars"/> the caller has
    /// loaded, as every silo does from the shared directory), with <paramref name="settings"/>.Parallelism slots on the cluster.
    /// </summary>
    public static OptimizationResult Run(IGrainFactory grains, string strategyName, string code, string datasetId, IReadOnlyList<MarketData> bars,
        OptimizationSettings settings, LuaSandboxOptions? sandbox = null, Action<OptimizationProgress>? progress = null,
        Action<TrialAnswer>? onTrial = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var evaluator = new GrainTrialEvaluator(grains, strategyName, code, datasetId, Math.Max(1, settings.Parallelism), onTrial);
        return Optimizer.Run(strategyName, code, bars, settings, sandbox, progress, null, cancellationToken, evaluator);
    }

    // Each of the search's worker threads takes a free slot for its trial and gives it back, so no two trials share a slot
    // (a grain runs one call at a time: they would queue behind each other on one silo).
    private sealed class GrainTrialEvaluator(IGrainFactory grains, string strategyName, string code, string datasetId, int slots,
        Action<TrialAnswer>? onTrial) : ITrialEvaluator
    {
        private readonly ConcurrentQueue<long> _free = new(Enumerable.Range(0, slots).Select(i => (long)i));

        public TrialEvaluation Evaluate(BacktestSettings trial, OptimizationSettings settings, CancellationToken cancellationToken)
        {
            if (!_free.TryDequeue(out var slot)) slot = 0; // more threads than slots cannot happen: the search runs Parallelism threads
            try
            {
                var request = TrialRequest.Of(strategyName, code, datasetId, trial, settings);
                // The search's worker threads are its own (not a grain's or the thread pool's), so waiting here blocks nothing else.
                var answer = grains.GetGrain<ITrialWorkerGrain>(slot).EvaluateAsync(request, cancellationToken).GetAwaiter().GetResult();
                onTrial?.Invoke(answer);
                return answer.ToEvaluation();
            }
            finally
            {
                _free.Enqueue(slot);
            }
        }
    }
}
