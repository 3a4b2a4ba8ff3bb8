using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Engine;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Trading;
using Tickrunner.Server.Common;
using Tickrunner.Server.Runners;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Api;

/// <summary><c>/api/runners</c>: create, list, inspect, steer and remove runners, each a call on <see cref="IRunnerService"/>.</summary>
public static class RunnersApi
{
    /// <summary>Maps the runner endpoints; the group is returned so authorization can be attached to it.</summary>
    public static RouteGroupBuilder MapRunnersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/runners").WithTags("Runners");
        group.MapGet("/", List).WithSummary("All runners with their state, position and stats");
        group.MapPost("/", Create).Accepts<CreateRunnerRequest>("application/json").WithSummary("Create and start a runner");
        group.MapGet("/{id}", Get).WithSummary("One runner (its full snapshot)");
        group.MapGet("/{id}/snapshot", Get).WithSummary("Full state snapshot: state, position, context, stats, transitions");
        group.MapGet("/{id}/history", History).WithSummary("The newest bars of the runner's window, oldest first");
        group.MapGet("/{id}/trades", Trades)
            .WithSummary("Closed positions, oldest first: the newest ?limit, or ?offset= pages in closing order; ?from=&to= keeps those open in that range");
        group.MapGet("/{id}/trades/totals", TradeTotals).WithSummary("Count, wins, win rate, net P&L and fees of all the closed positions");
        group.MapGet("/{id}/events", Events).Produces<object[]>(contentType: "application/json")
            .WithSummary("The runner's events the hub still holds: after ?since=seq (oldest first), or else the newest ?limit");
        group.MapGet("/{id}/plots", Plots)
            .WithSummary("What the runner's strategy plotted (plot()), at ?interval= like the candles (the last value per bucket), the newest ?limit= buckets before ?to=, from ?from= on, oldest first");
        group.MapDelete("/{id}", Delete).WithSummary("Stop and remove a runner and its trades");
        group.MapPost("/{id}/pause", Pause).WithSummary("Skip ticks until resumed");
        group.MapPost("/{id}/resume", Resume).WithSummary("Process ticks again");
        group.MapPost("/{id}/stop", Stop).WithSummary("End tick processing; the runner stays listed until removed");
        group.MapPost("/{id}/start", Start)
            .WithSummary("Start a stopped runner again on its strategy's current code, resuming its position, context and account; its trades are kept");
        group.MapPost("/{id}/reload", Reload)
            .WithSummary("Hot reload: a running or paused runner continues on its strategy's current code, keeping its position, context and account");
        group.MapPatch("/{id}/risk", ChangeRisk).Accepts<RiskLimits>("application/json")
            .WithSummary("Replace the runner's risk limits ({} or null: none) from its next bar on, keeping its position and the guard's state");
        group.MapPost("/{id}/enter", Enter).Accepts<ManualEntryRequest>("application/json")
            .WithSummary("Manual entry {side, quantity, stop_loss?, take_profit?}, carried out at the runner's next bar as if the strategy had returned it");
        group.MapPost("/{id}/exit", Exit).WithSummary("Manual exit (reason \"manual\"), carried out at the runner's next bar as if the strategy had returned it");
        return group;
    }

    private static async Task<Ok<IReadOnlyList<RunnerSnapshot>>> List(IRunnerService runners, CancellationToken ct) =>
        TypedResults.Ok(await runners.ListAsync(ct));

    private static async Task<Results<Created<RunnerSnapshot>, ProblemHttpResult>> Create(HttpRequest request, IRunnerService runners, CancellationToken ct)
    {
        var (body, problem) = await RequestBody.ReadAsync<CreateRunnerRequest>(request);
        if (problem is not null) return problem;
        try
        {
            var created = await runners.CreateAsync(body!, ct);
            return TypedResults.Created($"/api/runners/{created.RunnerId}", created);
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Ok<RunnerSnapshot>, ProblemHttpResult>> Get(string id, IRunnerService runners, CancellationToken ct)
    {
        try
        {
            return TypedResults.Ok(await runners.GetAsync(id, ct));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Ok<MarketData[]>, ProblemHttpResult>> History(string id, string? count, IRunnerService runners, CancellationToken ct)
    {
        var errors = new Dictionary<string, string>();
        var n = (int)QueryNumber.Read(count, "count", 1, RunnerDefinition.MaxWindowSize, 100, errors);
        if (errors.Count > 0) return Problems.Invalid(errors);
        try
        {
            return TypedResults.Ok(await runners.HistoryAsync(id, n, ct));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Ok<IReadOnlyList<TradeRecord>>, ProblemHttpResult>> Trades(string id, string? limit, string? offset, string? from, string? to,
        IRunnerService runners)
    {
        var errors = new Dictionary<string, string>();
        var n = (int)QueryNumber.Read(limit, "limit", 1, 100_000, 1000, errors);
        long? skip = offset is null ? null : QueryNumber.Read(offset, "offset", 0, long.MaxValue, 0, errors);
        long? start = from is null ? null : QueryNumber.Read(from, "from", 0, long.MaxValue, 0, errors);
        long? end = to is null ? null : QueryNumber.Read(to, "to", 0, long.MaxValue, 0, errors);
        if (start > end) errors["from"] = $"from ({start}) must not be after to ({end}).";
        if (errors.Count > 0) return Problems.Invalid(errors);
        try
        {
            return TypedResults.Ok(await runners.TradesAsync(id, n, skip, start, end));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Ok<PlotsResponse>, ProblemHttpResult>> Plots(string id, string? interval, string? from, string? to, string? limit,
        IRunnerService runners, Plots.PlotStore plots)
    {
        var options = plots.Options;
        var errors = new Dictionary<string, string>();
        var intervalMs = Candles.CandleIntervals.Parse(interval ?? "1m");
        if (intervalMs is null)
            errors["interval"] = $"interval must be one of {string.Join(", ", Candles.CandleIntervals.All.Select(i => i.Name))}, got '{interval}'.";
        var start = QueryNumber.Read(from, "from", 0, long.MaxValue, 0, errors);
        var end = QueryNumber.Read(to, "to", 0, long.MaxValue, long.MaxValue, errors);
        var n = (int)QueryNumber.Read(limit, "limit", 1, options.MaxLimit, options.DefaultLimit, errors);
        if (!errors.ContainsKey("from") && !errors.ContainsKey("to") && start >= end)
            errors["from"] = $"from ({start}) must be before to ({end}).";
        if (errors.Count > 0) return Problems.Invalid(errors);
        try
        {
            return TypedResults.Ok(PlotsResponse.Of(await runners.PlotsAsync(id, intervalMs!.Value, start, end, n)));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Ok<TradeTotals>, ProblemHttpResult>> TradeTotals(string id, IRunnerService runners)
    {
        try
        {
            return TypedResults.Ok(await runners.TradeTotalsAsync(id));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<IResult> Events(string id, string? since, string? limit, IRunnerService runners)
    {
        var errors = new Dictionary<string, string>();
        var n = (int)QueryNumber.Read(limit, "limit", 1, 10_000, 1000, errors);
        long? after = since is null ? null : QueryNumber.Read(since, "since", 0, long.MaxValue, 0, errors);
        if (errors.Count > 0) return Problems.Invalid(errors);
        try
        {
            // The frames' shared JSON, as a JSON array: no event is serialized again for this answer.
            var frames = await runners.EventsAsync(id, after, n);
            var body = new MemoryStream();
            body.WriteByte((byte)'[');
            for (var i = 0; i < frames.Count; i++)
            {
                if (i > 0) body.WriteByte((byte)',');
                body.Write(frames[i].Json);
            }
            body.WriteByte((byte)']');
            return TypedResults.Bytes(body.ToArray(), "application/json");
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, IRunnerService runners)
    {
        try
        {
            await runners.RemoveAsync(id);
            return TypedResults.NoContent();
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    // Not cancelled with the request: a command the runner may already have carried out must have its status stored.
    private static Task<Results<Ok<RunnerStatusResponse>, ProblemHttpResult>> Pause(string id, IRunnerService runners) =>
        Steer(id, runners.PauseAsync);

    private static Task<Results<Ok<RunnerStatusResponse>, ProblemHttpResult>> Resume(string id, IRunnerService runners) =>
        Steer(id, runners.ResumeAsync);

    private static Task<Results<Ok<RunnerStatusResponse>, ProblemHttpResult>> Stop(string id, IRunnerService runners) =>
        Steer(id, runners.StopAsync);

    private static Task<Results<Ok<RunnerSnapshot>, ProblemHttpResult>> Start(string id, IRunnerService runners) => Replace(() => runners.StartAsync(id));

    private static Task<Results<Ok<RunnerSnapshot>, ProblemHttpResult>> Reload(string id, IRunnerService runners) => Replace(() => runners.ReloadAsync(id));

    private static async Task<Results<Ok<RunnerSnapshot>, ProblemHttpResult>> Replace(Func<Task<RunnerSnapshot>> replace)
    {
        try
        {
            return TypedResults.Ok(await replace());
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Ok<RunnerSnapshot>, ProblemHttpResult>> ChangeRisk(string id, HttpRequest request, IRunnerService runners)
    {
        var (limits, problem) = await RequestBody.ReadAsync<RiskLimits>(request, optional: true);
        if (problem is not null) return problem;
        try
        {
            return TypedResults.Ok(await runners.ChangeRiskAsync(id, limits));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Accepted<ManualActionResponse>, ProblemHttpResult>> Enter(string id, HttpRequest request, IRunnerService runners)
    {
        var (body, problem) = await RequestBody.ReadAsync<ManualEntryRequest>(request);
        if (problem is not null) return problem;
        try
        {
            return TypedResults.Accepted($"/api/runners/{id}", await runners.EnterAsync(id, body!));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Accepted<ManualActionResponse>, ProblemHttpResult>> Exit(string id, IRunnerService runners)
    {
        try
        {
            return TypedResults.Accepted($"/api/runners/{id}", await runners.ExitAsync(id));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Ok<RunnerStatusResponse>, ProblemHttpResult>> Steer(string id, Func<string, Task<RunnerStatus>> command)
    {
        try
        {
            return TypedResults.Ok(new RunnerStatusResponse(id, await command(id)));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }
}

/// <summary>The answer of <c>GET /api/runners/{id}/plots</c>: the series, and the buckets with the value of each series that has one.</summary>
public sealed record PlotsResponse(IReadOnlyList<PlotSeriesResponse> Series, IReadOnlyList<PlotPointResponse> Points)
{
    internal static PlotsResponse Of(Plots.PlotQueryResult result)
    {
        var series = result.Series;
        var points = new List<PlotPointResponse>(result.Points.Count);
        foreach (var p in result.Points)
        {
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            for (var i = 0; i < series.Length; i++)
                if ((p.Mask & (1 << i)) != 0) values[series[i].Name] = p.Values[i];
            points.Add(new PlotPointResponse(p.Time, values));
        }
        return new PlotsResponse([.. series.Select(s => new PlotSeriesResponse(s.Name, s.Pane, s.Color, [.. s.Lines]))], points);
    }
}

/// <summary>One plotted series: its name, its pane (<c>overlay</c> or a pane's name), its colour and its horizontal lines.</summary>
public sealed record PlotSeriesResponse(string Name, string Pane, string Color, double[] Lines);

/// <summary>One bucket: its start (Unix ms) and the value of each series that has one in it, by name.</summary>
public sealed record PlotPointResponse(long Time, IReadOnlyDictionary<string, double> Values);
