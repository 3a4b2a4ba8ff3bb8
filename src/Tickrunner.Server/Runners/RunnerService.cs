using System.Text.Json;
using Tickrunner.Engine.Trading;
using Tickrunner.Engine;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Server.Common;
using Tickrunner.Server.Storage;
using Tickrunner.Server.Strategies;

namespace Tickrunner.Server.Runners;

/// <summary>The body of <c>POST /api/runners</c> (the create-runner request of docs/guides/web-app-api.md; fields in docs/engine-contract.md §5.1–§5.2).</summary>
/// <remarks>The paper account's settings sit beside the others (as in a backtest's body); each one left out takes its default.</remarks>
public sealed record CreateRunnerRequest(string? RunnerId, string? Symbol, string? StrategyName, int? WindowSize, RunnerConfig? Config,
    double? InitialCapital = null, double? FeeBps = null, double? SlippageBps = null, FillTiming? Fill = null, StopTiming? Stops = null,
    Dictionary<string, JsonElement>? Params = null, RiskLimits? Risk = null);

/// <summary>The body of <c>POST /api/runners/{id}/enter</c>: <c>side</c> is <c>long</c> or <c>short</c>.</summary>
public sealed record ManualEntryRequest(string? Side, double? Quantity, double? StopLoss = null, double? TakeProfit = null);

/// <summary>The answer to a manual entry or exit: queued for the runner's next bar.</summary>
public sealed record ManualActionResponse(string RunnerId, string Action, string Status);

/// <summary>The answer to pause, resume and stop.</summary>
public sealed record RunnerStatusResponse(string RunnerId, RunnerStatus Status);

/// <summary>
/// Runners as the API sees them: create, remove and steer them, read their snapshots, bars, trades and events.
/// The one writer of runner rows on behalf of requests (insert, delete, requested status; the journal writes what
/// events say), under the id's lock, so the engine's runners and the stored rows never drift apart.
/// </summary>
public sealed class RunnerService(TradingEngine engine, RunnerRepository rows, StrategyCatalog catalog, IMarketDataFeed feed,
    EventHub hub, RunnerLocks runnerLocks, StrategyLocks strategyLocks, Plots.PlotStore plots) : IRunnerService
{
    /// <summary>Symbols the feed streams: the ones a runner can trade.</summary>
    public IReadOnlyList<string> Symbols => feed.Symbols;

    /// <summary>Every runner's snapshot.</summary>
    public Task<IReadOnlyList<RunnerSnapshot>> ListAsync(CancellationToken cancellationToken) => engine.GetAllSnapshotsAsync(cancellationToken);

    /// <summary>Snapshots of the runners trading <paramref name="symbol"/>; <see cref="NotFoundException"/> for a symbol the feed does not offer.</summary>
    public Task<IReadOnlyList<RunnerSnapshot>> ListForSymbolAsync(string symbol, CancellationToken cancellationToken)
    {
        if (!feed.Symbols.Contains(symbol))
            throw new NotFoundException($"'{symbol}' is not a symbol of the {feed.Kind} feed; it offers: {string.Join(", ", feed.Symbols)}.");
        return engine.GetSnapshotsForAsync(symbol, cancellationToken);
    }

    /// <summary>Creates and starts a runner from a request body, <c>runner_id</c> required.</summary>
    public Task<RunnerSnapshot> CreateAsync(CreateRunnerRequest body, CancellationToken cancellationToken) =>
        CreateAsync(DefinitionOf(body), idRequired: body.RunnerId is null, cancellationToken);

    /// <summary>The definition a create request asks for; <see cref="InvalidRequestException"/> for parameters of the wrong kind.</summary>
    internal static RunnerDefinition DefinitionOf(CreateRunnerRequest body)
    {
        var definition = new RunnerDefinition
        {
            RunnerId = body.RunnerId ?? "",
            Symbol = body.Symbol ?? "",
            StrategyName = body.StrategyName ?? "",
            WindowSize = body.WindowSize ?? RunnerDefinition.DefaultWindowSize,
            Config = body.Config ?? new RunnerConfig(),
            Account = AccountSettings.With(body.InitialCapital, body.FeeBps, body.SlippageBps, body.Fill, body.Stops),
            Risk = body.Risk is { Any: true } ? body.Risk : null, // {} is no limits
        };
        var errors = new Dictionary<string, string>();
        definition = definition with { Params = ParameterValues.From(body.Params, errors) };
        if (errors.Count > 0) throw new InvalidRequestException(errors);
        return definition;
    }

    /// <summary>Creates and starts a runner (the demo runners come this way too).</summary>
    public Task<RunnerSnapshot> CreateAsync(RunnerDefinition definition, CancellationToken cancellationToken) =>
        CreateAsync(definition, idRequired: false, cancellationToken);

    private async Task<RunnerSnapshot> CreateAsync(RunnerDefinition definition, bool idRequired, CancellationToken ct)
    {
        CheckDefinition(definition, idRequired, feed, catalog);

        // The id's lock for the whole check-insert-start (a delete of the same id waits for it), and the
        // strategy's lock so it cannot be deleted between the check that no runner uses it and its deletion.
        using var runnerLock = await runnerLocks.AcquireAsync(definition.RunnerId, ct);
        using var strategyLock = await strategyLocks.AcquireAsync(definition.StrategyName, ct);
        if (engine.Contains(definition.RunnerId) || rows.Exists(definition.RunnerId)) throw Exists(definition.RunnerId);

        // Stored first, so the journal's writes for its first events find the row.
        try
        {
            rows.Insert(definition);
        }
        catch (RunnerAlreadyStoredException)
        {
            throw Exists(definition.RunnerId);
        }
        SymbolRunner runner;
        try
        {
            runner = engine.AddRunner(definition);
        }
        catch (Exception e) when (e is DuplicateRunnerException or StrategyLoadException or StrategyNotFoundException or ObjectDisposedException
                                       or StrategyParameterException)
        {
            rows.Delete(definition.RunnerId); // nothing half-made survives
            throw e switch
            {
                ObjectDisposedException => new UnavailableException("The server is shutting down; create the runner again once it is back."),
                StrategyLoadException load => new InvalidStrategyException(definition.StrategyName, load.Diagnostics),
                StrategyParameterException parameters => new InvalidRequestException(parameters.Problems),
                StrategyNotFoundException => new InvalidRequestException("strategy_name", e.Message),
                _ => new ConflictException(e.Message),
            };
        }
        // Not cancelled with the request: the runner exists and is stored now, and the answer should say so.
        return await runner.GetSnapshotAsync(CancellationToken.None);
    }

    /// <summary>Refuses, with every problem by field, a definition that cannot run on <paramref name="feed"/> with <paramref name="catalog"/>'s strategies.</summary>
    internal static void CheckDefinition(RunnerDefinition definition, bool idRequired, IMarketDataFeed feed, StrategyCatalog catalog)
    {
        var errors = definition.Problems();
        // The limits sit in the body's risk object: their errors are named risk.<field>.
        foreach (var field in definition.Risk?.Problems().Keys.ToList() ?? [])
        {
            errors[$"risk.{field}"] = errors[field];
            errors.Remove(field);
        }
        if (idRequired) errors["runner_id"] = "runner_id is required.";
        if (!errors.ContainsKey("symbol") && !feed.Symbols.Contains(definition.Symbol))
            errors["symbol"] = $"'{definition.Symbol}' is not a symbol of the {feed.Kind} feed; it offers: {string.Join(", ", feed.Symbols)}.";
        if (!errors.ContainsKey("strategy_name") && !catalog.Exists(definition.StrategyName))
            errors["strategy_name"] = $"There is no strategy named '{definition.StrategyName}'; GET /api/strategies lists them.";
        if (errors.Count > 0) throw new InvalidRequestException(errors);
    }

    internal static ConflictException Exists(string id) =>
        new($"A runner with id '{id}' already exists; remove it first or choose another id.");

    /// <summary>A runner's full snapshot.</summary>
    public async Task<RunnerSnapshot> GetAsync(string id, CancellationToken cancellationToken)
    {
        var runner = Find(id);
        try
        {
            return await runner.GetSnapshotAsync(cancellationToken);
        }
        catch (RunnerNotFoundException)
        {
            throw NotFound(id);
        }
    }

    /// <summary>The newest <paramref name="count"/> bars of the runner's window, oldest first.</summary>
    public Task<MarketData[]> HistoryAsync(string id, int count, CancellationToken cancellationToken) =>
        Find(id).GetPriceHistoryAsync(count, cancellationToken);

    /// <summary>The runner's closed trades, oldest first (see <see cref="RunnerRepository.Trades"/>).</summary>
    public Task<IReadOnlyList<TradeRecord>> TradesAsync(string id, int limit, long? offset = null, long? from = null, long? to = null)
    {
        Find(id);
        return Task.FromResult(rows.Trades(id, limit, offset, from, to));
    }

    /// <summary>The totals of the runner's closed trades.</summary>
    public Task<TradeTotals> TradeTotalsAsync(string id)
    {
        Find(id);
        return Task.FromResult(rows.TradeTotals(id));
    }

    /// <summary>
    /// The runner's events the hub still holds, oldest first: with <paramref name="since"/> the first
    /// <paramref name="limit"/> after it (to resume), without it the newest <paramref name="limit"/> (a log).
    /// </summary>
    public Task<IReadOnlyList<EventFrame>> EventsAsync(string id, long? since, int limit)
    {
        Find(id);
        return Task.FromResult(RunnerEventLog.Read(hub, id, since, limit));
    }

    /// <summary>Stops and removes a runner with its row and trades (also a stored runner that never started).</summary>
    public async Task RemoveAsync(string id)
    {
        using var runnerLock = await runnerLocks.AcquireAsync(id);
        try
        {
            await engine.RemoveRunnerAsync(id);
        }
        catch (RunnerNotFoundException)
        {
            // Stored but not running (its strategy failed to load at start-up): removing it must still work.
            if (!rows.Exists(id)) throw NotFound(id);
        }
        rows.Delete(id);
        plots.Remove(id);
    }

    /// <summary>What the runner's strategy plotted, at an interval (see <see cref="Plots.PlotStore.Query"/>).</summary>
    public Task<Plots.PlotQueryResult> PlotsAsync(string id, long intervalMs, long from, long to, int limit)
    {
        if (!engine.Contains(id) && !rows.Exists(id)) throw NotFound(id);
        return Task.FromResult(plots.Query(id, intervalMs, from, to, limit));
    }

    // Not cancellable: a command the runner may already have carried out must have its status stored.

    /// <summary>Skips ticks until resumed; the status is stored before this returns.</summary>
    public Task<RunnerStatus> PauseAsync(string id) => SteerAsync(id, r => r.PauseAsync());

    /// <summary>Processes ticks again; the status is stored before this returns.</summary>
    public Task<RunnerStatus> ResumeAsync(string id) => SteerAsync(id, r => r.ResumeAsync());

    /// <summary>Ends tick processing (the runner stays listed); the status is stored before this returns.</summary>
    public Task<RunnerStatus> StopAsync(string id) => SteerAsync(id, r => r.StopAsync("stopped by request"));

    /// <summary>
    /// Starts a stopped runner again, its trades kept and its position, context and account resumed, on its strategy's code
    /// as it is now; the status is stored before this returns.
    /// </summary>
    public Task<RunnerSnapshot> StartAsync(string id) => ReplaceAsync(id, reload: false);

    /// <summary>
    /// Hot reload: a running or paused runner continues on its strategy's current code, keeping its state, position,
    /// context, account and status; a stopped one is refused (start it).
    /// </summary>
    public Task<RunnerSnapshot> ReloadAsync(string id) => ReplaceAsync(id, reload: true);

    private async Task<RunnerSnapshot> ReplaceAsync(string id, bool reload)
    {
        using var runnerLock = await runnerLocks.AcquireAsync(id);
        Find(id);
        SymbolRunner runner;
        try
        {
            runner = reload ? await engine.ReloadRunnerAsync(id) : await engine.RestartRunnerAsync(id);
        }
        catch (RunnerNotFoundException)
        {
            throw NotFound(id);
        }
        catch (ObjectDisposedException)
        {
            throw new UnavailableException($"The server is shutting down; {(reload ? "reload" : "start")} the runner once it is back.");
        }
        catch (InvalidOperationException e)
        {
            throw new ConflictException(!reload && engine.TryGetRunner(id, out var r) && r.Status == RunnerStatus.Paused
                ? e.Message + " Use resume for a paused runner." : e.Message);
        }
        catch (StrategyLoadException e)
        {
            throw new InvalidStrategyException(e.StrategyName, e.Diagnostics);
        }
        catch (StrategyNotFoundException e)
        {
            throw new ConflictException(e.Message + " Upload it again to start the runner.");
        }
        catch (StrategyParameterException e)
        {
            throw new InvalidRequestException(e.Problems);
        }
        rows.SetStatus(id, runner.Status);
        return await runner.GetSnapshotAsync(CancellationToken.None);
    }

    /// <summary>
    /// Replaces a runner's risk limits (null or <c>{}</c>: none) from its next bar on, keeping its position, context, account
    /// and the guard's state; stored before this returns.
    /// </summary>
    public async Task<RunnerSnapshot> ChangeRiskAsync(string id, RiskLimits? limits)
    {
        if (limits?.Problems() is { Count: > 0 } problems) throw new InvalidRequestException(problems);
        if (limits is { Any: false }) limits = null;
        using var runnerLock = await runnerLocks.AcquireAsync(id);
        var runner = Find(id);
        try
        {
            var snapshot = await runner.ChangeRiskAsync(limits);
            rows.SetRisk(id, limits, snapshot.RiskState);
            return snapshot;
        }
        catch (RunnerNotFoundException)
        {
            throw NotFound(id);
        }
    }

    /// <summary>
    /// Queues a manual entry for the runner's next bar (see <see cref="SymbolRunner.QueueManualAsync"/>); a runner that is not
    /// running, not in a state that allows it, or with another manual action waiting is a conflict.
    /// </summary>
    public Task<ManualActionResponse> EnterAsync(string id, ManualEntryRequest body) => QueueManualAsync(id, EntryOf(body));

    /// <summary>The entry a manual-entry request asks for; <see cref="InvalidRequestException"/> naming each wrong field.</summary>
    internal static TradingAction EntryOf(ManualEntryRequest body)
    {
        var errors = new Dictionary<string, string>();
        var side = body.Side?.Trim().ToLowerInvariant();
        if (side is not ("long" or "short")) errors["side"] = $"side must be long or short, got '{body.Side}'.";
        if (body.Quantity is not { } quantity || !double.IsFinite(quantity) || quantity <= 0)
            errors["quantity"] = "quantity must be a finite number > 0.";
        if (body.StopLoss is { } stop && !(double.IsFinite(stop) && stop > 0)) errors["stop_loss"] = "stop_loss must be a finite number > 0.";
        if (body.TakeProfit is { } target && !(double.IsFinite(target) && target > 0)) errors["take_profit"] = "take_profit must be a finite number > 0.";
        if (errors.Count > 0) throw new InvalidRequestException(errors);
        var action = side == "long"
            ? TradingAction.EnterLong(0, body.Quantity!.Value, body.StopLoss, body.TakeProfit)
            : TradingAction.EnterShort(0, body.Quantity!.Value, body.StopLoss, body.TakeProfit);
        return action;
    }

    /// <summary>Queues a manual exit (reason "manual") for the runner's next bar; a runner not in a position is a conflict.</summary>
    public Task<ManualActionResponse> ExitAsync(string id) => QueueManualAsync(id, TradingAction.Exit(0, TickProcessor.ManualReason));

    private async Task<ManualActionResponse> QueueManualAsync(string id, TradingAction action)
    {
        var runner = Find(id);
        string? problem;
        try
        {
            problem = await runner.QueueManualAsync(action);
        }
        catch (RunnerNotFoundException)
        {
            throw NotFound(id);
        }
        if (problem is not null) throw new ConflictException($"Runner '{id}' cannot {action.Name} now: {problem}.");
        return new ManualActionResponse(id, action.Name, "queued");
    }

    private async Task<RunnerStatus> SteerAsync(string id, Func<SymbolRunner, Task<RunnerStatus>> command)
    {
        using var runnerLock = await runnerLocks.AcquireAsync(id);
        var runner = Find(id);
        try
        {
            var status = await command(runner);
            rows.SetStatus(id, status); // committed before the answer: an acknowledged status survives a crash
            return status;
        }
        catch (RunnerNotFoundException)
        {
            throw NotFound(id);
        }
    }

    private SymbolRunner Find(string id) => engine.TryGetRunner(id, out var runner) ? runner : throw NotFound(id);

    internal static NotFoundException NotFound(string id) => new($"There is no runner with id '{id}'; GET /api/runners lists them.");
}
