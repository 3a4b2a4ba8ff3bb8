using Tickrunner.Engine;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Trading;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Runners;

/// <summary>
/// Runners as the API sees them, wherever they run: <see cref="RunnerService"/> over the in-process engine, or
/// <see cref="Clustering.ClusterRunnerService"/> over runner grains. Refusals are <see cref="Common.ServiceException"/>s.
/// </summary>
public interface IRunnerService
{
    /// <summary>Symbols the feed streams: the ones a runner can trade.</summary>
    IReadOnlyList<string> Symbols { get; }

    /// <summary>Every runner's snapshot.</summary>
    Task<IReadOnlyList<RunnerSnapshot>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Snapshots of the runners trading <paramref name="symbol"/>; not found for a symbol the feed does not offer.</summary>
    Task<IReadOnlyList<RunnerSnapshot>> ListForSymbolAsync(string symbol, CancellationToken cancellationToken);

    /// <summary>Creates and starts a runner from a request body, <c>runner_id</c> required.</summary>
    Task<RunnerSnapshot> CreateAsync(CreateRunnerRequest body, CancellationToken cancellationToken);

    /// <summary>Creates and starts a runner (the demo runners come this way too).</summary>
    Task<RunnerSnapshot> CreateAsync(RunnerDefinition definition, CancellationToken cancellationToken);

    /// <summary>A runner's full snapshot.</summary>
    Task<RunnerSnapshot> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>The newest <paramref name="count"/> bars of the runner's window, oldest first.</summary>
    Task<MarketData[]> HistoryAsync(string id, int count, CancellationToken cancellationToken);

    /// <summary>The runner's closed trades, oldest first: the newest <paramref name="limit"/>, or a page from <paramref name="offset"/>, within [from, to].</summary>
    Task<IReadOnlyList<TradeRecord>> TradesAsync(string id, int limit, long? offset = null, long? from = null, long? to = null);

    /// <summary>The totals of the runner's closed trades.</summary>
    Task<TradeTotals> TradeTotalsAsync(string id);

    /// <summary>The runner's events the hub still holds, oldest first (after <paramref name="since"/>, or the newest <paramref name="limit"/>).</summary>
    Task<IReadOnlyList<EventFrame>> EventsAsync(string id, long? since, int limit);

    /// <summary>Stops and removes a runner with its trades.</summary>
    Task RemoveAsync(string id);

    /// <summary>What the runner's strategy plotted, at an interval.</summary>
    Task<Plots.PlotQueryResult> PlotsAsync(string id, long intervalMs, long from, long to, int limit);

    /// <summary>Skips ticks until resumed; the status is stored before this returns.</summary>
    Task<RunnerStatus> PauseAsync(string id);

    /// <summary>Processes ticks again; the status is stored before this returns.</summary>
    Task<RunnerStatus> ResumeAsync(string id);

    /// <summary>Ends tick processing (the runner stays listed); the status is stored before this returns.</summary>
    Task<RunnerStatus> StopAsync(string id);

    /// <summary>Starts a stopped runner again on its strategy's current code, keeping its trades, position, context and account.</summary>
    Task<RunnerSnapshot> StartAsync(string id);

    /// <summary>Hot reload: a running or paused runner continues on its strategy's current code, keeping its state.</summary>
    Task<RunnerSnapshot> ReloadAsync(string id);

    /// <summary>Replaces a runner's risk limits (null or <c>{}</c>: none) from its next bar on.</summary>
    Task<RunnerSnapshot> ChangeRiskAsync(string id, RiskLimits? limits);

    /// <summary>Queues a manual entry for the runner's next bar.</summary>
    Task<ManualActionResponse> EnterAsync(string id, ManualEntryRequest body);

    /// <summary>Queues a manual exit (reason "manual") for the runner's next bar.</summary>
    Task<ManualActionResponse> ExitAsync(string id);
}
