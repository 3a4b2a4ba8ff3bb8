using Microsoft.Extensions.Hosting;

namespace Tickrunner.Cluster.Events;

/// <summary>Keeps <see cref="ClusterEvents"/> sending to the silos that are active now, following every membership change.</summary>
public sealed class EventRelayMembership(IClusterMembershipService membership, ClusterEvents events) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken).ConfigureAwait(false))
                events.SetPeers(snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }
}
