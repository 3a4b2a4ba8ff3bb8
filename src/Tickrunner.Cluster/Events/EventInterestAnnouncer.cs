using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Tickrunner.Cluster.Events;

/// <summary>
/// Tells the other silos, every <see cref="TickrunnerClusterOptions.EventInterestIntervalMs"/> when it changed and every eighth
/// round anyway, which runners this silo's subscribers watch, so that they relay the frequent events of only those.
/// </summary>
public sealed class EventInterestAnnouncer(ClusterEvents events, IOptions<TickrunnerClusterOptions> options) : BackgroundService
{
    /// <summary>Rounds between two announcements of an interest that has not changed.</summary>
    public const int ResendEvery = 8;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.EventInterestIntervalMs));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
                await events.AnnounceInterestAsync(ResendEvery).ConfigureAwait(false); // each call's failure is caught and logged
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }
}
