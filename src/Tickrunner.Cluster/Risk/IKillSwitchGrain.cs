namespace Tickrunner.Cluster.Risk;

/// <summary>The cluster's one kill switch (key <see cref="KillSwitchGrain.Key"/>), stored so that it survives any silo.</summary>
public interface IKillSwitchGrain : IGrainWithStringKey
{
    /// <summary>Turns it on; <paramref name="flatten"/> also closes every open position at its runner's next bar. Answers the new state.</summary>
    Task<KillSwitchState> HaltAsync(bool flatten);

    /// <summary>Turns it off: entries are checked as before. Answers the new state.</summary>
    Task<KillSwitchState> ResumeAsync();

    /// <summary>The state now.</summary>
    Task<KillSwitchState> GetAsync();
}

/// <summary>A silo's end of the kill switch (one grain per silo, keyed by its address, on that silo).</summary>
public interface ISiloKillSwitchGrain : IGrainWithStringKey
{
    /// <summary>Applies <paramref name="state"/> to this silo's runners (an older version than the one applied changes nothing).</summary>
    Task ApplyAsync(KillSwitchState state);
}
