using Tickrunner.Cluster.Runners;
using Orleans.Storage;
using Tickrunner.Cluster.Storage;
using Tickrunner.Engine;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;
using Tickrunner.Server.Common;
using Tickrunner.Server.Runners;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Clustering;

/// <summary>
/// Runners as the API sees them when they run on the cluster: every command is a call on the runner's grain, wherever it is
/// active, and answers as <see cref="RunnerService"/> does for an in-process runner (the same snapshot, refusals and errors).
/// </summary>
/// <remarks>
/// A runner is created with its strategy's code, not only its name: each node keeps its own catalog of uploads, and the grain
/// must load the same code on whichever silo it moves to. What the cluster does not carry yet (plots, totals past the stored
/// trade history) is refused with 501 and says so.
/// </remarks>
public sealed class ClusterRunnerService(IGrainFactory grains, SqliteGrainStorage storage, StrategyCatalog catalog, IMarketDataFeed feed,
    EventHub hub) : IRunnerService
{
    /// <inheritdoc />
    public IReadOnlyList<string> Symbols => feed.Symbols;

    /// <inheritdoc />
    public async Task<IReadOnlyList<RunnerSnapshot>> ListAsync(CancellationToken cancellationToken)
    {
        var ids = await storage.ListKeysAsync(RunnerGrain.GrainTypeName, cancellationToken);
        var snapshots = await Task.WhenAll(ids.Select(FindAsync));
        return [.. snapshots.OfType<RunnerSnapshot>().OrderBy(s => s.RunnerId, StringComparer.Ordinal)];
    }

    // A runner removed between the listing and its call is left out, as the engine's list leaves it out; so is one whose
    // silo did not answer in time (moving, or a definition that no longer loads), rather than failing the whole list.
    private async Task<RunnerSnapshot?> FindAsync(string id)
    {
        try
        {
            return await GetAsync(id, CancellationToken.None);
        }
        catch (ServiceException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RunnerSnapshot>> ListForSymbolAsync(string symbol, CancellationToken cancellationToken)
    {
        if (!feed.Symbols.Contains(symbol))
            throw new NotFoundException($"'{symbol}' is not a symbol of the {feed.Kind} feed; it offers: {string.Join(", ", feed.Symbols)}.");
        return [.. (await ListAsync(cancellationToken)).Where(s => s.Symbol == symbol)];
    }

    /// <inheritdoc />
    public Task<RunnerSnapshot> CreateAsync(CreateRunnerRequest body, CancellationToken cancellationToken) =>
        CreateAsync(RunnerService.DefinitionOf(body), idRequired: body.RunnerId is null);

    /// <inheritdoc />
    public Task<RunnerSnapshot> CreateAsync(RunnerDefinition definition, CancellationToken cancellationToken) =>
        CreateAsync(definition, idRequired: false);

    private async Task<RunnerSnapshot> CreateAsync(RunnerDefinition definition, bool idRequired)
    {
        RunnerService.CheckDefinition(definition, idRequired, feed, catalog);
        var code = catalog.Find(definition.StrategyName)
                   ?? throw new InvalidRequestException("strategy_name", $"There is no strategy named '{definition.StrategyName}'; GET /api/strategies lists them.");
        var spec = SpecOf(definition, code.Code);
        try
        {
            // Not repeated after a silo went away: it may have created the runner, and the answer would be a wrong 409.
            await Call(definition.RunnerId, grain => grain.CreateAsync(spec), repeatable: false);
        }
        catch (InvalidRequestException e)
        {
            // The code loaded in the catalog: what the grain refuses is a parameter value the strategy does not take.
            throw new InvalidRequestException("params", e.Message);
        }
        return await GetAsync(definition.RunnerId, CancellationToken.None);
    }

    /// <summary>The grain's definition of <paramref name="definition"/> running <paramref name="code"/>.</summary>
    internal static RunnerSpec SpecOf(RunnerDefinition definition, string code)
    {
        var account = definition.Account;
        var risk = definition.Risk;
        return new RunnerSpec
        {
            Symbol = definition.Symbol,
            StrategyName = definition.StrategyName,
            StrategyCode = code,
            WindowSize = definition.WindowSize,
            Account = new AccountSpec
            {
                InitialCapital = account.InitialCapital, FeeBps = account.FeeBps, SlippageBps = account.SlippageBps,
                Fill = account.Fill.ToString(), Stops = account.Stops.ToString(),
            },
            Params = definition.Params is { Count: > 0 } values ? ScalarValue.Of(values) : null,
            Risk = risk is null ? null : RiskSpecOf(risk),
            Config = RunnerConfigSpec.Of(definition.Config),
        };
    }

    private static RiskSpec RiskSpecOf(RiskLimits risk) => new()
    {
        MaxPositionNotional = risk.MaxPositionNotional, MaxQuantity = risk.MaxQuantity, MaxEntriesPerHour = risk.MaxEntriesPerHour,
        DailyLossLimit = risk.DailyLossLimit, FlattenOnDailyLoss = risk.FlattenOnDailyLoss, MaxDrawdownPct = risk.MaxDrawdownPct,
    };

    /// <inheritdoc />
    public Task<RunnerSnapshot> GetAsync(string id, CancellationToken cancellationToken) =>
        Call(id, async grain => WireSnapshots.Snapshot(await grain.GetWireSnapshotAsync()));

    /// <inheritdoc />
    public Task<MarketData[]> HistoryAsync(string id, int count, CancellationToken cancellationToken) =>
        Call(id, async grain => WireSnapshots.Bars(await grain.GetWireHistoryAsync(count)));

    /// <inheritdoc />
    public async Task<IReadOnlyList<TradeRecord>> TradesAsync(string id, int limit, long? offset = null, long? from = null, long? to = null)
    {
        var history = await StoredTradesAsync(id);
        var records = Records(id, history).Where(t => t.ExitTimestamp >= (from ?? long.MinValue) && t.EntryTimestamp <= (to ?? long.MaxValue)).ToList();
        if (offset is not { } skip) return [.. records.Skip(Math.Max(0, records.Count - limit))];
        // A page counts from the runner's first trade: past the kept history, only an unfiltered page can be placed.
        var dropped = history.ClosedTrades - history.Trades.Length;
        if (dropped > 0 && (from is not null || to is not null || skip < dropped))
            throw new NotAvailableException($"Runner '{id}' closed {history.ClosedTrades} trades and the cluster keeps the newest {history.Trades.Length} " +
                $"(Cluster:TradeHistorySize): pages before trade {dropped + 1}, or filtered by time, are not available; leave offset out for the newest.");
        return [.. records.Skip((int)Math.Min(skip - dropped, int.MaxValue)).Take(limit)];
    }

    /// <inheritdoc />
    public async Task<TradeTotals> TradeTotalsAsync(string id)
    {
        var history = await StoredTradesAsync(id);
        if (history.ClosedTrades > history.Trades.Length)
            throw new NotAvailableException($"Runner '{id}' closed {history.ClosedTrades} trades and the cluster keeps the newest {history.Trades.Length} " +
                "(Cluster:TradeHistorySize): totals over all of them are not kept on the cluster yet.");
        var records = Records(id, history);
        var wins = records.Count(t => t.RealizedPnl > 0);
        return new TradeTotals(records.Count, wins, records.Count == 0 ? null : 100.0 * wins / records.Count, records.Sum(t => t.RealizedPnl),
            records.Sum(t => t.Fees), records.Count == 0 ? null : records.Min(t => t.EntryTimestamp),
            records.Count == 0 ? null : records.Max(t => t.ExitTimestamp));
    }

    // The count and the trades in one call, so a trade closing between two calls cannot shift the numbering.
    private Task<TradeHistoryView> StoredTradesAsync(string id) => Call(id, grain => grain.GetTradeHistoryAsync());

    // As the trades table keeps them: numbered in closing order from 1, side Long or Short, P&L net of both fees.
    private static List<TradeRecord> Records(string id, TradeHistoryView history)
    {
        var trades = history.Trades;
        var first = history.ClosedTrades - trades.Length + 1;
        var records = new List<TradeRecord>(trades.Length);
        for (var i = 0; i < trades.Length; i++)
        {
            var t = trades[i];
            records.Add(new TradeRecord(first + i, id, history.Symbol, t.Side == "short" ? nameof(PositionSide.Short) : nameof(PositionSide.Long),
                t.Quantity, t.EntryPrice, t.EntryTimestamp, t.ExitPrice, t.ExitTimestamp, t.RealizedPnl - t.Fees, t.Reason ?? "closed", t.Fees));
        }
        return records;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<EventFrame>> EventsAsync(string id, long? since, int limit)
    {
        await GetAsync(id, CancellationToken.None); // not found as for an in-process runner
        return RunnerEventLog.Read(hub, id, since, limit);
    }

    /// <inheritdoc />
    public Task RemoveAsync(string id) => Call(id, async grain =>
    {
        await grain.GetSnapshotAsync(); // a runner that is not defined is not found, not removed
        await grain.RemoveAsync();
        return true;
    }, repeatable: false);

    /// <inheritdoc />
    public async Task<Plots.PlotQueryResult> PlotsAsync(string id, long intervalMs, long from, long to, int limit)
    {
        await GetAsync(id, CancellationToken.None); // an unknown runner is not found, as in one process
        throw NotCarried("Plots are");
    }

    /// <inheritdoc />
    public Task<RunnerStatus> PauseAsync(string id) => Call(id, async grain => StatusOf(await grain.PauseAsync()));

    /// <inheritdoc />
    public Task<RunnerStatus> ResumeAsync(string id) => Call(id, async grain => StatusOf(await grain.ResumeAsync()));

    /// <inheritdoc />
    public Task<RunnerStatus> StopAsync(string id) => Call(id, async grain => StatusOf(await grain.StopAsync()));

    /// <inheritdoc />
    public Task<RunnerSnapshot> StartAsync(string id) => RestartAsync(id, reload: false);

    /// <inheritdoc />
    public Task<RunnerSnapshot> ReloadAsync(string id) => RestartAsync(id, reload: true);

    // On the strategy's code as this node's catalog has it now; a strategy this node does not have (uploaded on another node)
    // keeps the code the runner runs.
    private async Task<RunnerSnapshot> RestartAsync(string id, bool reload)
    {
        await Call(id, async grain =>
        {
            var name = (await grain.GetSnapshotAsync()).Spec.StrategyName;
            var code = name is null ? null : catalog.Find(name)?.Code;
            return await grain.RestartAsync(code, reload);
        }, repeatable: false);
        return await GetAsync(id, CancellationToken.None);
    }

    /// <inheritdoc />
    public async Task<RunnerSnapshot> ChangeRiskAsync(string id, RiskLimits? limits)
    {
        if (limits?.Problems() is { Count: > 0 } problems) throw new InvalidRequestException(problems);
        var risk = limits is { Any: true } ? RiskSpecOf(limits) : null;
        await Call(id, grain => grain.ChangeRiskAsync(risk));
        return await GetAsync(id, CancellationToken.None);
    }

    /// <inheritdoc />
    public Task<ManualActionResponse> EnterAsync(string id, ManualEntryRequest body)
    {
        var entry = RunnerService.EntryOf(body);
        var side = entry.Kind == ActionKind.EnterLong ? "long" : "short";
        return QueueManualAsync(id, entry.Name, grain => grain.EnterAsync(side, entry.Quantity, entry.StopLoss, entry.TakeProfit));
    }

    /// <inheritdoc />
    public Task<ManualActionResponse> ExitAsync(string id) =>
        QueueManualAsync(id, TradingAction.Exit(0, TickProcessor.ManualReason).Name, grain => grain.ExitAsync());

    private async Task<ManualActionResponse> QueueManualAsync(string id, string action, Func<IRunnerGrain, Task<string?>> queue)
    {
        var problem = await Call(id, queue, repeatable: false);
        if (problem is not null) throw new ConflictException($"Runner '{id}' cannot {action} now: {problem}.");
        return new ManualActionResponse(id, action, "queued");
    }

    private IRunnerGrain Grain(string id) => grains.GetGrain<IRunnerGrain>(id);

    // The grain's refusals as the in-process service's; a cluster that does not answer is unavailable, not a server error.
    // While a silo stops or dies its activations move: a call that was surely not carried out is sent again (the grain is
    // activated elsewhere once the directory knows), and so is a call to a silo that went away if repeating it changes nothing.
    private async Task<T> Call<T>(string id, Func<IRunnerGrain, Task<T>> call, bool repeatable = true)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await CallOnce(id, call);
            }
            catch (Exception e) when (attempt < MoveRetries.Length && Moving(e, repeatable))
            {
                await Task.Delay(MoveRetries[attempt]);
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                throw Unreachable(id, e);
            }
        }
    }

    // A rejected call was not carried out. A stored state written by another activation (the old one saving as it leaves a
    // stopping silo) failed this activation or this call's write: nothing of it was stored or acknowledged, and the next
    // activation reads the newer state. A silo that went away may have carried the call out before it did.
    private static bool Moving(Exception e, bool repeatable) =>
        e is OrleansMessageRejectionException or InconsistentStateException || (repeatable && e is SiloUnavailableException);

    // About 6 s in all: a moving runner's silo is declared dead, and its runners active again, well within it.
    private static readonly TimeSpan[] MoveRetries = [.. new[] { 50, 100, 200, 400, 800, 1600, 3200 }.Select(ms => TimeSpan.FromMilliseconds(ms))];

    private async Task<T> CallOnce<T>(string id, Func<IRunnerGrain, Task<T>> call)
    {
        try
        {
            return await call(Grain(id));
        }
        catch (ClusterRunnerException e)
        {
            throw e.Refusal switch
            {
                ClusterRunnerRefusal.NotDefined => RunnerService.NotFound(id),
                ClusterRunnerRefusal.Invalid => new InvalidRequestException("body", e.Message),
                _ => new ConflictException(e.Message),
            };
        }
    }

    /// <summary>Whether <paramref name="e"/> says the cluster did not answer (a timeout, a silo gone or refusing), not that the grain refused.</summary>
    internal static bool IsUnreachable(Exception e) => e is TimeoutException or SiloUnavailableException or OrleansMessageRejectionException;

    private static UnavailableException Unreachable(string id, Exception e) =>
        new($"The cluster did not answer for runner '{id}' ({e.Message}); its silo may be moving it, try again in a few seconds.");

    private static RunnerStatus StatusOf(string status) => Enum.Parse<RunnerStatus>(status, ignoreCase: true);

    private static NotAvailableException NotCarried(string what) =>
        new($"{what} not available while runners run on the cluster (Cluster:Enabled=true) yet; docs/guides/cluster.md lists what is.");
}
