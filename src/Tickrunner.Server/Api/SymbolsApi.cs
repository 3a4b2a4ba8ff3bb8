using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Engine.Runners;
using Tickrunner.Server.Candles;
using Tickrunner.Server.Common;
using Tickrunner.Server.Runners;

namespace Tickrunner.Server.Api;

/// <summary><c>/api/symbols</c>: what the feed offers, who trades it, and its candle history.</summary>
public static class SymbolsApi
{
    /// <summary>Maps the symbol endpoints; the group is returned so authorization can be attached to it.</summary>
    public static RouteGroupBuilder MapSymbolsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/symbols").WithTags("Symbols");
        group.MapGet("/", (IRunnerService runners) => TypedResults.Ok(runners.Symbols))
            .WithSummary("Symbols the feed streams (the ones a runner can trade)");
        group.MapGet("/{symbol}/runners", RunnersFor).WithSummary("Snapshots of the runners trading a symbol");
        group.MapGet("/{symbol}/candles", Candles)
            .WithSummary("The symbol's candles at ?interval= (1s 1m 5m 15m 1h 4h 1d, UTC-aligned), the newest ?limit= before ?to=, from ?from= on, oldest first");
        return group;
    }

    private static async Task<Results<Ok<IReadOnlyList<RunnerSnapshot>>, ProblemHttpResult>> RunnersFor(string symbol, IRunnerService runners, CancellationToken ct)
    {
        try
        {
            return TypedResults.Ok(await runners.ListForSymbolAsync(symbol, ct));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static Results<Ok<List<Candle>>, ProblemHttpResult> Candles(string symbol, string? interval, string? from, string? to, string? limit,
        IRunnerService runners, CandleStore candles)
    {
        var options = candles.Options;
        var errors = new Dictionary<string, string>();
        var intervalMs = CandleIntervals.Parse(interval ?? "1m");
        if (intervalMs is null)
            errors["interval"] = $"interval must be one of {string.Join(", ", CandleIntervals.All.Select(i => i.Name))}, got '{interval}'.";
        var start = QueryNumber.Read(from, "from", 0, long.MaxValue, 0, errors);
        var end = QueryNumber.Read(to, "to", 0, long.MaxValue, long.MaxValue, errors);
        var n = (int)QueryNumber.Read(limit, "limit", 1, options.MaxLimit, options.DefaultLimit, errors);
        if (!errors.ContainsKey("from") && !errors.ContainsKey("to") && start >= end)
            errors["from"] = $"from ({start}) must be before to ({end}).";
        if (errors.Count > 0) return Problems.Invalid(errors);
        if (!runners.Symbols.Contains(symbol))
            return Problems.NotFound($"The feed does not stream {symbol}; GET /api/symbols lists the symbols it does.");
        return TypedResults.Ok(candles.Query(symbol, intervalMs!.Value, start, end, n));
    }
}
