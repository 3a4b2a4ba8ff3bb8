using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Engine.Runners;
using Tickrunner.Server.Hosting;

namespace Tickrunner.Server.Api;

/// <summary><c>/api/symbols</c>: what the feed offers and who trades it.</summary>
public static class SymbolsApi
{
    /// <summary>Maps the symbol endpoints.</summary>
    public static RouteGroupBuilder MapSymbolsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/symbols").WithTags("Symbols");
        group.MapGet("/", (TickrunnerRuntime runtime) => TypedResults.Ok(runtime.Feed.Symbols))
            .WithSummary("Symbols the feed streams (the ones a runner can trade)");
        group.MapGet("/{symbol}/runners", RunnersFor).WithSummary("Snapshots of the runners trading a symbol");
        return group;
    }

    private static async Task<Results<Ok<IReadOnlyList<RunnerSnapshot>>, ProblemHttpResult>> RunnersFor(string symbol, TickrunnerRuntime runtime, CancellationToken ct)
    {
        if (!runtime.Feed.Symbols.Contains(symbol))
            return Problems.NotFound($"'{symbol}' is not a symbol of the {runtime.Feed.Kind} feed; it offers: {string.Join(", ", runtime.Feed.Symbols)}.");
        return TypedResults.Ok(await runtime.Engine.GetSnapshotsForAsync(symbol, ct));
    }
}
