using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Tickrunner.Cluster.Risk;

/// <summary>Reads the cluster's kill switch every keep-alive interval and applies it to this silo (for a silo that missed a change).</summary>
public sealed partial class ClusterRiskSync(IGrainFactory grains, ClusterRisk risk, IOptions<TickrunnerClusterOptions> options,
    ILogger<ClusterRiskSync> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.KeepAliveIntervalMs));
        try
        {
            do
            {
                try
                {
                    risk.Apply(await grains.GetGrain<IKillSwitchGrain>(KillSwitchGrain.Key).GetAsync().ConfigureAwait(false));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogReadFailed(e); // the next round tries again
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "The kill switch could not be read this round")]
    private partial void LogReadFailed(Exception e);
}
