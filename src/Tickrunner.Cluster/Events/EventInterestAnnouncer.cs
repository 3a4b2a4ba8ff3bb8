using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Tickrunner.Cluster.Events;

/// <summary>
/// Tells the other silos, every <see cref="TickrunnerClusterOptions.EventInterestIntervalMs"/> when it changed and every eighth
/// round anyway, which runners this silo's subscribers watch, so that they relay the frequent events of only those.
/// </summary>
public sealed class EventInterestAnnouncer(ClusterEvents events, IOptions<TickrunnerClusterOptions> options, ILogger<EventInterestAnnouncer> logger)
    : PeriodicSiloService(logger)
{
    /// <summary>Rounds between two announcements of an interest that has not changed.</summary>
    public const int ResendEvery = 8;

    /// <inheritdoc />
    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(options.Value.EventInterestIntervalMs);

    /// <inheritdoc />
    protected override Task RoundAsync(CancellationToken cancellationToken) => events.AnnounceInterestAsync(ResendEvery);
}
