using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Server.Backtests;
using Tickrunner.Server.Common;
using Tickrunner.Server.Security;

namespace Tickrunner.Server.Api;

/// <summary><c>/api/backtests</c>: submit, list, inspect, cancel and delete backtest jobs, each a call on <see cref="BacktestService"/>.</summary>
public static class BacktestsApi
{
    // How long cancel and delete wait for a running job to stop: it checks every 4,096 bars, and the watchdog ends a slow call.
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(30);

    /// <summary>Maps the backtest endpoints; the group is returned so authorization can be attached to it.</summary>
    public static RouteGroupBuilder MapBacktestsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/backtests").WithTags("Backtests");
        group.MapPost("/", Submit).Accepts<CreateBacktestRequest>("application/json").WithSummary("Queue a backtest of a strategy on a dataset; 202 with its id")
            .RequireRateLimiting(RateLimits.Jobs);
        group.MapGet("/", List).WithSummary("Backtests, newest first, with headline metrics");
        group.MapGet("/{id}", Get).WithSummary("One backtest: status, progress, settings, report, error");
        group.MapGet("/{id}/trades", Trades).WithSummary("The backtest's trades, in the order they closed (?offset=&limit=; ?from=&to= keeps those open in that time range)");
        group.MapGet("/{id}/monthly", Monthly).WithSummary("The backtest's return per calendar month (UTC), for the heatmap");
        group.MapGet("/{id}/equity", Equity).Produces<double[][]>(contentType: "application/json")
            .WithSummary("The equity curve as [timestamp, equity] pairs; ?points=N thins it to N (first, last, and each bucket's min and max)");
        group.MapPost("/{id}/cancel", Cancel).WithSummary("Cancel a queued or running backtest");
        group.MapDelete("/{id}", Delete).WithSummary("Delete a backtest and its results (cancelling it first)");
        return group;
    }

    private static async Task<Results<Accepted<BacktestAccepted>, ProblemHttpResult>> Submit(HttpRequest request, BacktestService backtests)
    {
        var (body, problem) = await RequestBody.ReadAsync<CreateBacktestRequest>(request);
        if (problem is not null) return problem;
        try
        {
            var accepted = backtests.Submit(body!);
            return TypedResults.Accepted($"/api/backtests/{accepted.Id}", accepted);
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static Results<Ok<IReadOnlyList<BacktestSummary>>, ProblemHttpResult> List(string? limit, BacktestService backtests)
    {
        var errors = new Dictionary<string, string>();
        var n = (int)QueryNumber.Read(limit, "limit", 1, 10_000, 1000, errors);
        if (errors.Count > 0) return Problems.Invalid(errors);
        return TypedResults.Ok(backtests.List(n));
    }

    private static Results<Ok<BacktestView>, ProblemHttpResult> Get(string id, BacktestService backtests)
    {
        try
        {
            return TypedResults.Ok(backtests.Get(id));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static Results<Ok<IReadOnlyList<JsonElement>>, ProblemHttpResult> Trades(string id, string? offset, string? limit, string? from,
        string? to, BacktestService backtests)
    {
        var errors = new Dictionary<string, string>();
        var skip = (int)QueryNumber.Read(offset, "offset", 0, int.MaxValue, 0, errors);
        var take = (int)QueryNumber.Read(limit, "limit", 1, 100_000, 1000, errors);
        long? start = from is null ? null : QueryNumber.Read(from, "from", long.MinValue, long.MaxValue, 0, errors);
        long? end = to is null ? null : QueryNumber.Read(to, "to", long.MinValue, long.MaxValue, 0, errors);
        if (start > end) errors["to"] = "to must not be before from.";
        if (errors.Count > 0) return Problems.Invalid(errors);
        try
        {
            return TypedResults.Ok(backtests.Trades(id, skip, take, start, end));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static Results<Ok<IReadOnlyList<MonthlyReturn>>, ProblemHttpResult> Monthly(string id, BacktestService backtests)
    {
        try
        {
            return TypedResults.Ok(backtests.Monthly(id));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static IResult Equity(string id, string? points, BacktestService backtests)
    {
        var errors = new Dictionary<string, string>();
        int? n = points is null ? null : (int)QueryNumber.Read(points, "points", 2, 10_000_000, 2, errors);
        if (errors.Count > 0) return Problems.Invalid(errors);
        try
        {
            var (times, equity) = backtests.Equity(id, n);
            return EquityJson.Result(times, equity);
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Ok<BacktestView>, ProblemHttpResult>> Cancel(string id, BacktestService backtests)
    {
        try
        {
            return TypedResults.Ok(await backtests.CancelAsync(id, StopWait));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, BacktestService backtests)
    {
        try
        {
            await backtests.DeleteAsync(id, StopWait);
            return TypedResults.NoContent();
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }
}
