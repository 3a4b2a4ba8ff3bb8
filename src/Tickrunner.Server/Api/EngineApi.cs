using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Server.Common;
using Tickrunner.Server.Runners;

namespace Tickrunner.Server.Api;

/// <summary>The body of <c>POST /api/engine/halt</c>; without one nothing is flattened.</summary>
public sealed record HaltRequest(bool Flatten = false);

/// <summary><c>/api/engine</c>: the kill switch (halt, resume) and where the limits across runners stand.</summary>
public static class EngineApi
{
    /// <summary>Maps the engine endpoints; the group is returned so authorization can be attached to it.</summary>
    public static RouteGroupBuilder MapEngineApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/engine").WithTags("Engine");
        group.MapGet("/", async (IEngineControl control, CancellationToken ct) => TypedResults.Ok(await control.StateAsync(ct)))
            .WithSummary("Whether the engine is halted, and the open positions and notional across runners against their limits");
        group.MapPost("/halt", Halt).Accepts<HaltRequest>("application/json")
            .WithSummary("Kill switch: refuse every entry from each runner's next bar; flatten: true also closes every open position there");
        group.MapPost("/resume", async (IEngineControl control) => TypedResults.Ok(await control.ResumeAsync())).WithSummary("Turn the kill switch off");
        return group;
    }

    private static async Task<Results<Ok<EngineRiskState>, ProblemHttpResult>> Halt(HttpRequest request, IEngineControl control)
    {
        var (body, problem) = await RequestBody.ReadAsync<HaltRequest>(request, optional: true);
        if (problem is not null) return problem;
        try
        {
            return TypedResults.Ok(await control.HaltAsync(body?.Flatten ?? false));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }
}
