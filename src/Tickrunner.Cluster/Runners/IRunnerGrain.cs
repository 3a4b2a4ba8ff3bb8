namespace Tickrunner.Cluster.Runners;

/// <summary>One runner on the cluster, keyed by its runner id: the engine's <c>RunnerStep</c> behind Orleans' single activation and stored state.</summary>
public interface IRunnerGrain : IGrainWithStringKey
{
    /// <summary>Creates the runner, or replaces it (a new runner: state, position and trades start afresh); answers its view.</summary>
    /// <exception cref="ClusterRunnerException">The definition is invalid or its strategy is unknown or does not load.</exception>
    Task<RunnerView> DefineAsync(RunnerSpec spec);

    /// <summary>Creates the runner as <see cref="DefineAsync"/> does, but refuses (<see cref="ClusterRunnerRefusal.Exists"/>) when one is defined under the key.</summary>
    /// <exception cref="ClusterRunnerException">A runner exists under the key, or the definition is invalid or does not load.</exception>
    Task<RunnerView> CreateAsync(RunnerSpec spec);

    /// <summary>The runner's snapshot as the REST API's JSON (UTF-8): the same object the single-process engine answers.</summary>
    /// <exception cref="ClusterRunnerException">The runner is not defined.</exception>
    Task<byte[]> GetWireSnapshotAsync();

    /// <summary>The newest <paramref name="count"/> bars of the runner's window, oldest first, as the REST API's JSON (UTF-8).</summary>
    /// <exception cref="ClusterRunnerException">The runner is not defined or cannot run here.</exception>
    Task<byte[]> GetWireHistoryAsync(int count);

    /// <summary>The runner's state now.</summary>
    /// <exception cref="ClusterRunnerException">The runner is not defined.</exception>
    Task<RunnerView> GetSnapshotAsync();

    /// <summary>The newest <paramref name="count"/> closed trades, oldest first.</summary>
    /// <exception cref="ClusterRunnerException">The runner is not defined.</exception>
    Task<TradeView[]> GetTradesAsync(int count = int.MaxValue);

    /// <summary>All closed trades counted, the newest kept ones (oldest first) and the symbol, read together.</summary>
    /// <exception cref="ClusterRunnerException">The runner is not defined.</exception>
    Task<TradeHistoryView> GetTradeHistoryAsync();

    /// <summary>Skips bars until resumed; answers the status.</summary>
    Task<string> PauseAsync();

    /// <summary>Processes bars again; answers the status.</summary>
    Task<string> ResumeAsync();

    /// <summary>Ends bar processing for good (the runner stays defined until removed); answers the status.</summary>
    Task<string> StopAsync();

    /// <summary>
    /// Starts a stopped runner again (<paramref name="reload"/> false) or hot-reloads a running or paused one (true) on
    /// <paramref name="code"/> (null: the code it has), keeping its state, position, context, account, trades and, on a
    /// reload, its status and the orders waiting for the next bar; answers its view.
    /// </summary>
    /// <exception cref="ClusterRunnerException">Not defined; a start of a runner that is not stopped or a reload of a stopped one (conflict); code that does not load.</exception>
    Task<RunnerView> RestartAsync(string? code, bool reload);

    /// <summary>Replaces the runner's risk limits (null: none) from its next bar on, keeping the guard's state; answers its view.</summary>
    /// <exception cref="ClusterRunnerException">The runner is not defined or cannot run here.</exception>
    Task<RunnerView> ChangeRiskAsync(RiskSpec? risk);

    /// <summary>Deletes the runner and its stored state; a later call finds it undefined.</summary>
    Task RemoveAsync();

    /// <summary>Queues a manual entry (side long or short) for the next bar; answers why it cannot be queued, or null.</summary>
    /// <exception cref="ClusterRunnerException">The side or quantity is invalid, or the runner is not defined.</exception>
    Task<string?> EnterAsync(string side, double quantity, double? stopLoss = null, double? takeProfit = null);

    /// <summary>Queues a manual exit for the next bar; answers why it cannot be queued, or null.</summary>
    Task<string?> ExitAsync();

    /// <summary>
    /// Processes, in order, the bars of the runner's symbol that the feed of the activation's silo has queued for it (at most
    /// <see cref="TickrunnerClusterOptions.MaxBarsPerCall"/>; the feed calls again while more wait).
    /// </summary>
    Task ProcessQueuedBarsAsync();

    /// <summary>Does nothing but make sure the runner is active somewhere: the keep-alive's ping.</summary>
    Task KeepAliveAsync();
}
