namespace Tickrunner.Cluster.Optimization;

/// <summary>
/// One slot of an optimization's parallelism on the cluster, keyed by its number: runs one trial at a time, on the silo the
/// slot is placed on (slots are dealt round the silos, see <see cref="SpreadPlacement"/>).
/// </summary>
public interface ITrialWorkerGrain : IGrainWithIntegerKey
{
    /// <summary>Runs the trial's backtest over the dataset's bars on this silo and judges it as the engine's optimizer does.</summary>
    /// <exception cref="ArgumentException">The dataset is unknown, or the request is malformed.</exception>
    Task<TrialAnswer> EvaluateAsync(TrialRequest request, CancellationToken cancellationToken);
}
