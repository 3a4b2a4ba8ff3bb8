using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Server.Common;
using Tickrunner.Server.Optimizations;
using Tickrunner.Server.Security;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Api;

/// <summary><c>/api/optimizations</c>: submit, list, inspect, page the trials of, cancel and delete optimization jobs, each a call on <see cref="OptimizationService"/>.</summary>
public static class OptimizationsApi
{
    // How long cancel and delete wait for a running job to stop: its trials check on every bar, and the watchdog ends a slow call.
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(30);

    private static readonly Dictionary<string, TrialSort> Sorts = new(StringComparer.Ordinal)
    {
        ["trial"] = TrialSort.Trial,
        ["objective"] = TrialSort.Objective,
        ["total_return_pct"] = TrialSort.TotalReturnPct,
        ["sharpe"] = TrialSort.Sharpe,
        ["max_drawdown_pct"] = TrialSort.MaxDrawdownPct,
        ["trades"] = TrialSort.Trades,
    };

    /// <summary>Maps the optimization endpoints; the group is returned so authorization can be attached to it.</summary>
    public static RouteGroupBuilder MapOptimizationsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/optimizations").WithTags("Optimizations");
        group.MapPost("/", Submit).Accepts<CreateOptimizationRequest>("application/json")
            .WithSummary("Queue an optimization of a strategy's parameters on a dataset; 202 with its id").RequireRateLimiting(RateLimits.Jobs);
        group.MapGet("/", List).WithSummary("Optimizations, newest first, with their best objective");
        group.MapGet("/{id}", Get).WithSummary("One optimization: status, progress, settings, space, best and top trials, statistics, walk-forward");
        group.MapGet("/{id}/trials", Trials)
            .WithSummary("The trials, one row each (?offset=&limit=&sort=trial|objective|total_return_pct|sharpe|max_drawdown_pct|trades&order=asc|desc)");
        group.MapGet("/{id}/walk-forward/equity", WalkForwardEquity).Produces<double[][]>(contentType: "application/json")
            .WithSummary("The stitched out-of-sample equity of a walk-forward as [timestamp, equity] pairs; ?points=N thins it to N");
        group.MapPost("/{id}/cancel", Cancel).WithSummary("Cancel a queued or running optimization");
        group.MapDelete("/{id}", Delete).WithSummary("Delete an optimization and its trials (cancelling it first)");
        return group;
    }

    private static async Task<Results<Accepted<OptimizationAccepted>, ProblemHttpResult>> Submit(HttpRequest request, OptimizationService optimizations)
    {
        var (body, problem) = await RequestBody.ReadAsync<CreateOptimizationRequest>(request);
        if (problem is not null) return problem;
        try
        {
            var accepted = optimizations.Submit(body!);
            return TypedResults.Accepted($"/api/optimizations/{accepted.Id}", accepted);
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static Results<Ok<IReadOnlyList<OptimizationSummary>>, ProblemHttpResult> List(string? limit, OptimizationService optimizations)
    {
        var errors = new Dictionary<string, string>();
        var n = (int)QueryNumber.Read(limit, "limit", 1, 10_000, 1000, errors);
        if (errors.Count > 0) return Problems.Invalid(errors);
        return TypedResults.Ok(optimizations.List(n));
    }

    private static Results<Ok<OptimizationView>, ProblemHttpResult> Get(string id, OptimizationService optimizations)
    {
        try
        {
            return TypedResults.Ok(optimizations.Get(id));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static Results<Ok<TrialPage>, ProblemHttpResult> Trials(string id, string? offset, string? limit, string? sort, string? order,
        OptimizationService optimizations)
    {
        var errors = new Dictionary<string, string>();
        var skip = (int)QueryNumber.Read(offset, "offset", 0, int.MaxValue, 0, errors);
        var take = (int)QueryNumber.Read(limit, "limit", 1, 10_000, 100, errors);
        if (!Sorts.TryGetValue(sort ?? "objective", out var by))
            errors["sort"] = $"sort must be {string.Join(", ", Sorts.Keys)}, got '{sort}'.";
        if (order is not (null or "asc" or "desc")) errors["order"] = $"order must be asc or desc, got '{order}'.";
        if (errors.Count > 0) return Problems.Invalid(errors);
        try
        {
            return TypedResults.Ok(optimizations.Trials(id, by, (order ?? (by == TrialSort.Trial ? "asc" : "desc")) == "desc", skip, take));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static IResult WalkForwardEquity(string id, string? points, OptimizationService optimizations)
    {
        var errors = new Dictionary<string, string>();
        int? n = points is null ? null : (int)QueryNumber.Read(points, "points", 2, 10_000_000, 2, errors);
        if (errors.Count > 0) return Problems.Invalid(errors);
        try
        {
            var (times, equity) = optimizations.WalkForwardEquity(id, n);
            return EquityJson.Result(times, equity);
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Ok<OptimizationView>, ProblemHttpResult>> Cancel(string id, OptimizationService optimizations)
    {
        try
        {
            return TypedResults.Ok(await optimizations.CancelAsync(id, StopWait));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, OptimizationService optimizations)
    {
        try
        {
            await optimizations.DeleteAsync(id, StopWait);
            return TypedResults.NoContent();
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }
}
