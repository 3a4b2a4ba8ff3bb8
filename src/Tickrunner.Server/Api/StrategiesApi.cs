using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Engine.Strategies;
using Tickrunner.Server.Common;
using Tickrunner.Server.Security;
using Tickrunner.Server.Strategies;

namespace Tickrunner.Server.Api;

/// <summary><c>/api/strategies</c>: list, read, upload, update, delete and validate Lua strategies, each a call on <see cref="StrategyService"/>.</summary>
public static class StrategiesApi
{
    /// <summary>Maps the strategy endpoints; the group is returned so authorization can be attached to it.</summary>
    public static RouteGroupBuilder MapStrategiesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/strategies").WithTags("Strategies");
        group.MapGet("/", List).WithSummary("Shipped and uploaded strategies");
        group.MapPost("/", Upload).Accepts<UploadStrategyRequest>("application/json").WithSummary("Upload a new strategy (validated first); 409 if the name exists")
            .RequireRateLimiting(RateLimits.Uploads);
        group.MapGet("/{name}", Get).WithSummary("A strategy's code");
        group.MapPut("/{name}", Put).Accepts<StrategyCodeRequest>("application/json")
            .WithSummary("Create or replace an uploaded strategy (running runners keep the code they loaded)")
            .RequireRateLimiting(RateLimits.Uploads);
        group.MapDelete("/{name}", Delete).WithSummary("Delete an uploaded strategy that no runner uses");
        group.MapPost("/{name}/validate", Validate).Accepts<StrategyCodeRequest>("application/json")
            .WithSummary("Validate code (or, without a body, the stored code) and report diagnostics with line numbers");
        return group;
    }

    private static Ok<IReadOnlyList<StrategyInfo>> List(StrategyService strategies) => TypedResults.Ok(strategies.List());

    private static Results<Ok<StrategyResponse>, ProblemHttpResult> Get(string name, StrategyService strategies)
    {
        try
        {
            return TypedResults.Ok(strategies.Get(name));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Created<StrategySaved>, ProblemHttpResult>> Upload(HttpRequest request, StrategyService strategies)
    {
        var (body, problem) = await RequestBody.ReadAsync<UploadStrategyRequest>(request);
        if (problem is not null) return problem;
        try
        {
            var saved = await strategies.UploadAsync(body!);
            return TypedResults.Created($"/api/strategies/{saved.Name}", saved);
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Ok<StrategySaved>, Created<StrategySaved>, ProblemHttpResult>> Put(string name, HttpRequest request, StrategyService strategies)
    {
        try
        {
            StrategyService.EnsureValidName(name); // a bad name is reported before anything about the body
            var (body, problem) = await RequestBody.ReadAsync<StrategyCodeRequest>(request);
            if (problem is not null) return problem;
            var (saved, created) = await strategies.PutAsync(name, body!);
            return created ? TypedResults.Created($"/api/strategies/{name}", saved) : TypedResults.Ok(saved);
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string name, StrategyService strategies)
    {
        try
        {
            await strategies.DeleteAsync(name);
            return TypedResults.NoContent();
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Ok<ValidationResult>, ProblemHttpResult>> Validate(string name, HttpRequest request, StrategyService strategies)
    {
        try
        {
            StrategyService.EnsureValidName(name);
            var (body, problem) = await RequestBody.ReadAsync<StrategyCodeRequest>(request, optional: true);
            if (problem is not null) return problem;
            return TypedResults.Ok(strategies.Validate(name, body?.Code));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }
}
