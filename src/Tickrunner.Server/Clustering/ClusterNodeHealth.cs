using Orleans.Runtime;
using Tickrunner.Cluster.Events;
using Tickrunner.Cluster.Feeds;

namespace Tickrunner.Server.Clustering;

/// <summary>
/// A cluster node's part of <c>GET /api/health</c>: this silo, the active silos, the runners active here, and the events
/// relayed between silos (sent, dropped, received).
/// </summary>
public sealed record ClusterHealth(string Silo, int ActiveSilos, int RunnersHere, long EventsRelayed, long EventsRelayDropped, long EventsReceived);

/// <summary>Reads <see cref="ClusterHealth"/> off the silo's services (no grain call: health answers even while the cluster is busy).</summary>
public sealed class ClusterNodeHealth(IClusterMembershipService membership, ILocalSiloDetails silo, LocalRunnerRegistry registry, ClusterEvents events)
{
    /// <summary>Where this node stands now.</summary>
    public ClusterHealth Report() => new(silo.SiloAddress.ToString(),
        membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active), registry.RunnerIds.Count,
        events.Relayed, events.RelayDropped, events.Received);
}
