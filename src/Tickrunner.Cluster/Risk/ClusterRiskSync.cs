using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Tickrunner.Cluster.Risk;

/// <summary>Reads the cluster's kill switch every keep-alive interval and applies it to this silo (for a silo that missed a change).</summary>
public sealed class ClusterRiskSync(IGrainFactory grains, ClusterRisk risk, IOptions<TickrunnerClusterOptions> options,
    ILogger<ClusterRiskSync> logger) : PeriodicSiloService(logger)
{
    /// <inheritdoc />
    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(options.Value.KeepAliveIntervalMs);

    /// <inheritdoc />
    protected override LogLevel FailureLevel => LogLevel.Debug; // the switch's grain may not be reachable while the silo starts

    /// <inheritdoc />
    protected override async Task RoundAsync(CancellationToken cancellationToken) =>
        risk.Apply(await grains.GetGrain<IKillSwitchGrain>(KillSwitchGrain.Key).GetAsync().ConfigureAwait(false));
}
