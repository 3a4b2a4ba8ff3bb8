using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Engine.Runners;
using Tickrunner.Server.Common;
using Tickrunner.Server.Runners;

namespace Tickrunner.Server.Api;

/// <summary><c>/api/symbols</c>: what the feed offers and who trades it.</summary>
public static class SymbolsApi
{
    /// <summary>Maps the symbol endpoints; the group is returned so authorization can be attached to it.</summary>
    public static RouteGroupBuilder MapSymbolsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/symbols").WithTags("Symbols");
        group.MapGet("/", (RunnerService runners) => TypedResults.Ok(runners.Symbols))
            .WithSummary("Symbols the feed streams (the ones a runner can trade)");
        group.MapGet("/{symbol}/runners", RunnersFor).WithSummary("Snapshots of the runners trading a symbol");
        return group;
    }

    private static async Task<Results<Ok<IReadOnlyList<RunnerSnapshot>>, ProblemHttpResult>> RunnersFor(string symbol, RunnerService runners, CancellationToken ct)
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
}
