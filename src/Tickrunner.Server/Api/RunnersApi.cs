using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Engine;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Server.Hosting;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Api;

/// <summary>The body of <c>POST /api/runners</c> (the create-runner request of docs/guides/web-app-api.md; fields in docs/engine-contract.md §5.1–§5.2).</summary>
public sealed record CreateRunnerRequest(string? RunnerId, string? Symbol, string? StrategyName, int? WindowSize, RunnerConfig? Config);

/// <summary>The answer to pause, resume and stop.</summary>
public sealed record RunnerStatusResponse(string RunnerId, RunnerStatus Status);

/// <summary><c>/api/runners</c>: create, list, inspect, steer and remove runners.</summary>
public static class RunnersApi
{
    /// <summary>Maps the runner endpoints.</summary>
    public static RouteGroupBuilder MapRunnersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/runners").WithTags("Runners");
        group.MapGet("/", List).WithSummary("All runners with their state, position and stats");
        group.MapPost("/", Create).Accepts<CreateRunnerRequest>("application/json").WithSummary("Create and start a runner");
        group.MapGet("/{id}", Get).WithSummary("One runner (its full snapshot)");
        group.MapGet("/{id}/snapshot", Get).WithSummary("Full state snapshot: state, position, context, stats, transitions");
        group.MapGet("/{id}/history", History).WithSummary("The newest bars of the runner's window, oldest first");
        group.MapGet("/{id}/trades", Trades).WithSummary("Closed positions, oldest first");
        group.MapGet("/{id}/events", Events).Produces<object[]>(contentType: "application/json")
            .WithSummary("The runner's events the hub still holds: after ?since=seq (oldest first), or else the newest ?limit");
        group.MapDelete("/{id}", Delete).WithSummary("Stop and remove a runner and its trades");
        group.MapPost("/{id}/pause", Pause).WithSummary("Skip ticks until resumed");
        group.MapPost("/{id}/resume", Resume).WithSummary("Process ticks again");
        group.MapPost("/{id}/stop", Stop).WithSummary("End tick processing; the runner stays listed until removed");
        return group;
    }

    private static async Task<Ok<IReadOnlyList<RunnerSnapshot>>> List(TickrunnerRuntime runtime, CancellationToken ct) =>
        TypedResults.Ok(await runtime.Engine.GetAllSnapshotsAsync(ct));

    private static async Task<Results<Created<RunnerSnapshot>, ProblemHttpResult>> Create(HttpRequest request, TickrunnerRuntime runtime, CancellationToken ct)
    {
        var (body, problem) = await RequestBody.ReadAsync<CreateRunnerRequest>(request);
        if (problem is not null) return problem;
        var definition = new RunnerDefinition
        {
            RunnerId = body!.RunnerId ?? "",
            Symbol = body.Symbol ?? "",
            StrategyName = body.StrategyName ?? "",
            WindowSize = body.WindowSize ?? RunnerDefinition.DefaultWindowSize,
            Config = body.Config ?? new RunnerConfig(),
        };
        var errors = definition.Problems();
        if (body.RunnerId is null) errors["runner_id"] = "runner_id is required.";
        if (!errors.ContainsKey("symbol") && !runtime.Feed.Symbols.Contains(definition.Symbol))
            errors["symbol"] = $"'{definition.Symbol}' is not a symbol of the {runtime.Feed.Kind} feed; it offers: {string.Join(", ", runtime.Feed.Symbols)}.";
        if (!errors.ContainsKey("strategy_name") && !runtime.Catalog.Exists(definition.StrategyName))
            errors["strategy_name"] = $"There is no strategy named '{definition.StrategyName}'; GET /api/strategies lists them.";
        if (errors.Count > 0) return Problems.Invalid(errors);

        // The id's lock for the whole check-insert-start (a delete of the same id waits for it), and the
        // strategy's lock so it cannot be deleted between the check that no runner uses it and its deletion.
        using var runnerLock = await runtime.RunnerLocks.AcquireAsync(definition.RunnerId, ct);
        using var strategyLock = await runtime.StrategyLocks.AcquireAsync(definition.StrategyName, ct);
        if (runtime.Engine.Contains(definition.RunnerId) || runtime.Runners.Exists(definition.RunnerId))
            return Problems.Conflict($"A runner with id '{definition.RunnerId}' already exists; remove it first or choose another id.");

        // Stored first, so the journal's writes for its first events find the row.
        try
        {
            runtime.Runners.Insert(definition);
        }
        catch (RunnerAlreadyStoredException) // the row exists after all
        {
            return Problems.Conflict($"A runner with id '{definition.RunnerId}' already exists; remove it first or choose another id.");
        }
        SymbolRunner runner;
        try
        {
            runner = runtime.Engine.AddRunner(definition);
        }
        catch (Exception e) when (e is DuplicateRunnerException or StrategyLoadException or StrategyNotFoundException or ObjectDisposedException)
        {
            runtime.Runners.Delete(definition.RunnerId); // nothing half-made survives
            return e switch
            {
                ObjectDisposedException => Problems.Unavailable("The server is shutting down; create the runner again once it is back."),
                StrategyLoadException load => Problems.InvalidStrategy(definition.StrategyName, load.Diagnostics),
                StrategyNotFoundException => Problems.Invalid(new Dictionary<string, string> { ["strategy_name"] = e.Message }),
                _ => Problems.Conflict(e.Message),
            };
        }
        // Not cancelled with the request: the runner exists and is stored now, and the answer should say so.
        return TypedResults.Created($"/api/runners/{definition.RunnerId}", await runner.GetSnapshotAsync(CancellationToken.None));
    }

    private static async Task<Results<Ok<RunnerSnapshot>, ProblemHttpResult>> Get(string id, TickrunnerRuntime runtime, CancellationToken ct)
    {
        if (Find(runtime, id) is not { } runner) return RunnerNotFound(id);
        try
        {
            return TypedResults.Ok(await runner.GetSnapshotAsync(ct));
        }
        catch (RunnerNotFoundException)
        {
            return RunnerNotFound(id);
        }
    }

    private static async Task<Results<Ok<MarketData[]>, ProblemHttpResult>> History(string id, string? count, TickrunnerRuntime runtime, CancellationToken ct)
    {
        var errors = new Dictionary<string, string>();
        var n = (int)QueryNumber.Read(count, "count", 1, RunnerDefinition.MaxWindowSize, 100, errors);
        if (errors.Count > 0) return Problems.Invalid(errors);
        if (Find(runtime, id) is not { } runner) return RunnerNotFound(id);
        return TypedResults.Ok(await runner.GetPriceHistoryAsync(n, ct));
    }

    private static Results<Ok<IReadOnlyList<TradeRecord>>, ProblemHttpResult> Trades(string id, string? limit, TickrunnerRuntime runtime)
    {
        var errors = new Dictionary<string, string>();
        var n = (int)QueryNumber.Read(limit, "limit", 1, 100_000, 1000, errors);
        if (errors.Count > 0) return Problems.Invalid(errors);
        if (Find(runtime, id) is null) return RunnerNotFound(id);
        return TypedResults.Ok(runtime.Runners.Trades(id, n));
    }

    private static IResult Events(string id, string? since, string? limit, TickrunnerRuntime runtime)
    {
        var errors = new Dictionary<string, string>();
        var n = (int)QueryNumber.Read(limit, "limit", 1, 10_000, 1000, errors);
        long? after = since is null ? null : QueryNumber.Read(since, "since", 0, long.MaxValue, 0, errors);
        if (errors.Count > 0) return Problems.Invalid(errors);
        if (Find(runtime, id) is null) return RunnerNotFound(id);
        // With since: the events after it, oldest first (to resume). Without: the newest n, oldest first (a log).
        var filter = new EventFilter([id], [], []);
        var frames = after is { } seq ? runtime.Hub.Recent(seq, filter, n) : runtime.Hub.Recent(0, filter).TakeLast(n).ToList();
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

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, TickrunnerRuntime runtime)
    {
        using var runnerLock = await runtime.RunnerLocks.AcquireAsync(id);
        try
        {
            await runtime.Engine.RemoveRunnerAsync(id);
        }
        catch (RunnerNotFoundException)
        {
            // Stored but not running (its strategy failed to load at start-up): removing it must still work.
            if (!runtime.Runners.Exists(id)) return RunnerNotFound(id);
        }
        runtime.Runners.Delete(id);
        return TypedResults.NoContent();
    }

    // Not cancelled with the request: a command the runner may already have carried out must have its status stored.
    private static Task<Results<Ok<RunnerStatusResponse>, ProblemHttpResult>> Pause(string id, TickrunnerRuntime runtime) =>
        Steer(id, runtime, r => r.PauseAsync());

    private static Task<Results<Ok<RunnerStatusResponse>, ProblemHttpResult>> Resume(string id, TickrunnerRuntime runtime) =>
        Steer(id, runtime, r => r.ResumeAsync());

    private static Task<Results<Ok<RunnerStatusResponse>, ProblemHttpResult>> Stop(string id, TickrunnerRuntime runtime) =>
        Steer(id, runtime, r => r.StopAsync("stopped by request"));

    private static async Task<Results<Ok<RunnerStatusResponse>, ProblemHttpResult>> Steer(string id, TickrunnerRuntime runtime,
        Func<SymbolRunner, Task<RunnerStatus>> command)
    {
        using var runnerLock = await runtime.RunnerLocks.AcquireAsync(id);
        if (Find(runtime, id) is not { } runner) return RunnerNotFound(id);
        try
        {
            var status = await command(runner);
            runtime.Runners.SetStatus(id, status); // committed before the answer: an acknowledged status survives a crash
            return TypedResults.Ok(new RunnerStatusResponse(id, status));
        }
        catch (RunnerNotFoundException)
        {
            return RunnerNotFound(id);
        }
    }

    private static SymbolRunner? Find(TickrunnerRuntime runtime, string id) =>
        runtime.Engine.TryGetRunner(id, out var runner) ? runner : null;

    private static ProblemHttpResult RunnerNotFound(string id) =>
        Problems.NotFound($"There is no runner with id '{id}'; GET /api/runners lists them.");
}
