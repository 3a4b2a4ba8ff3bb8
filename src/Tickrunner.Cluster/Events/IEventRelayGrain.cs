namespace Tickrunner.Cluster.Events;

/// <summary>A silo's inbox for the runner events of the other silos (one grain per silo, keyed by its address).</summary>
public interface IEventRelayGrain : IGrainWithStringKey
{
    /// <summary>Publishes <paramref name="batch"/>, in order, on this silo's hub.</summary>
    Task DeliverAsync(RelayedEvent[] batch);

    /// <summary>Tells this silo what the subscribers of silo <paramref name="from"/> want: it relays the frequent events there accordingly.</summary>
    Task SetInterestAsync(string from, RelayInterest interest);
}

/// <summary>The <see cref="IEventRelayGrain"/> of a silo, on that silo.</summary>
[SiloPinnedPlacement]
public sealed class EventRelayGrain(ClusterEvents events) : Grain, IEventRelayGrain
{
    /// <inheritdoc />
    public Task DeliverAsync(RelayedEvent[] batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        events.Receive(batch);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task SetInterestAsync(string from, RelayInterest interest)
    {
        ArgumentNullException.ThrowIfNull(interest);
        events.SetPeerInterest(SiloAddress.FromParsableString(from), interest);
        return Task.CompletedTask;
    }
}
