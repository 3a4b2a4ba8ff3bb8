using Tickrunner.Engine.Optimization;

namespace Tickrunner.Cluster.Optimization;

/// <summary>
/// Runs optimization trials on its silo with the engine's own trial evaluation. It keeps no state: a slot whose silo dies is
/// placed again on the next call, and the trial running there is lost with the call (the caller sees the error).
/// </summary>
/// <remarks>
/// Not a <c>[StatelessWorker]</c>: those are always activated on the silo the call comes from, so an optimization driven from
/// one place would use one silo. A slot per unit of parallelism, dealt round the silos, spreads one optimization's trials
/// over the whole cluster.
/// </remarks>
[SpreadPlacement]
public sealed class TrialWorkerGrain(TrialBars bars) : Grain, ITrialWorkerGrain
{
    /// <inheritdoc />
    public Task<TrialAnswer> EvaluateAsync(TrialRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var series = bars.Get(request.DatasetId);
        var (trial, judging) = request.ToSettings();
        // A trial is CPU work of its own: off the grain scheduler's threads, so the silo's other grains keep answering.
        return Task.Run(() => TrialAnswer.Of(
            Optimizer.EvaluateTrial(request.StrategyName, request.Code, series, trial, judging, null, cancellationToken),
            RuntimeIdentity), cancellationToken);
    }
}
