using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Tickrunner.Cluster.Events;

/// <summary>Places a grain keyed by a silo's address (its parsable string) on that silo: one grain per silo, always local to it.</summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class SiloPinnedPlacement : PlacementStrategy
{
    /// <summary>The one instance.</summary>
    public static readonly SiloPinnedPlacement Instance = new();
}

/// <summary>Marks a grain class for <see cref="SiloPinnedPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloPinnedPlacementAttribute() : PlacementAttribute(SiloPinnedPlacement.Instance);

/// <summary>Picks the silo for <see cref="SiloPinnedPlacement"/>: the one the key names, or none when it is not in the cluster.</summary>
public sealed class SiloPinnedPlacementDirector : IPlacementDirector
{
    /// <inheritdoc />
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var wanted = SiloAddress.FromParsableString(target.GrainIdentity.Key.ToString());
        return context.GetCompatibleSilos(target).Contains(wanted)
            ? Task.FromResult(wanted)
            : Task.FromException<SiloAddress>(new SiloUnavailableException($"Silo {wanted} is not in the cluster: its grain cannot be placed anywhere else."));
    }
}
