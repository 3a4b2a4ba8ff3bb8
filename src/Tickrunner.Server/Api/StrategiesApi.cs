using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Engine.Strategies;
using Tickrunner.Server.Hosting;

namespace Tickrunner.Server.Api;

/// <summary>The body of <c>POST /api/strategies</c>.</summary>
public sealed record UploadStrategyRequest(string? Name, string? Code);

/// <summary>The body of <c>PUT /api/strategies/{name}</c> and <c>POST /api/strategies/{name}/validate</c>.</summary>
public sealed record StrategyCodeRequest(string? Code);

/// <summary>A strategy with its code.</summary>
public sealed record StrategyResponse(string Name, StrategySource Source, long LastModified, string Code);

/// <summary>A saved strategy and what validation said (warnings only, or nothing).</summary>
public sealed record StrategySaved(string Name, StrategySource Source, long LastModified, IReadOnlyList<LuaDiagnostic> Diagnostics);

/// <summary>The answer to a validation that found no error.</summary>
public sealed record ValidationResult(bool Valid, IReadOnlyList<LuaDiagnostic> Diagnostics);

/// <summary><c>/api/strategies</c>: list, read, upload, update, delete and validate Lua strategies.</summary>
public static class StrategiesApi
{
    /// <summary>Maps the strategy endpoints.</summary>
    public static RouteGroupBuilder MapStrategiesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/strategies").WithTags("Strategies");
        group.MapGet("/", List).WithSummary("Shipped and uploaded strategies");
        group.MapPost("/", Upload).Accepts<UploadStrategyRequest>("application/json").WithSummary("Upload a new strategy (validated first); 409 if the name exists");
        group.MapGet("/{name}", Get).WithSummary("A strategy's code");
        group.MapPut("/{name}", Put).Accepts<StrategyCodeRequest>("application/json")
            .WithSummary("Create or replace an uploaded strategy (running runners keep the code they loaded)");
        group.MapDelete("/{name}", Delete).WithSummary("Delete an uploaded strategy that no runner uses");
        group.MapPost("/{name}/validate", Validate).Accepts<StrategyCodeRequest>("application/json")
            .WithSummary("Validate code (or, without a body, the stored code) and report diagnostics with line numbers");
        return group;
    }

    private static Ok<IReadOnlyList<StrategyInfo>> List(TickrunnerRuntime runtime) => TypedResults.Ok(runtime.Catalog.List());

    private static Results<Ok<StrategyResponse>, ProblemHttpResult> Get(string name, TickrunnerRuntime runtime) =>
        runtime.Catalog.Find(name) is { } found
            ? TypedResults.Ok(new StrategyResponse(found.Info.Name, found.Info.Source, found.Info.LastModified, found.Code))
            : StrategyNotFound(name);

    private static async Task<Results<Created<StrategySaved>, ProblemHttpResult>> Upload(HttpRequest request, TickrunnerRuntime runtime)
    {
        var (body, problem) = await RequestBody.ReadAsync<UploadStrategyRequest>(request);
        if (problem is not null) return problem;
        var errors = new Dictionary<string, string>();
        if (StrategyName.Problem(body!.Name) is { } nameProblem) errors["name"] = nameProblem;
        if (body.Code is null) errors["code"] = "code is required: the Lua source of the strategy.";
        if (errors.Count > 0) return Problems.Invalid(errors);
        // POST only creates: under the name's lock the check and the save are one step, so of concurrent uploads
        // of one name exactly one is created and the others are told it exists.
        using var nameLock = await runtime.StrategyLocks.AcquireAsync(body.Name!);
        if (runtime.Catalog.Find(body.Name!) is { } existing)
            return Problems.Conflict(existing.Info.Source == StrategySource.Shipped
                ? $"'{body.Name}' is a shipped strategy; upload yours under another name."
                : $"A strategy named '{body.Name}' exists; use PUT /api/strategies/{body.Name} to replace it.");
        var result = Save(runtime, body.Name!, body.Code!);
        return result.Saved is { } saved ? TypedResults.Created($"/api/strategies/{saved.Name}", saved) : result.Problem!;
    }

    private static async Task<Results<Ok<StrategySaved>, Created<StrategySaved>, ProblemHttpResult>> Put(string name, HttpRequest request, TickrunnerRuntime runtime)
    {
        if (StrategyName.Problem(name) is { } nameProblem) return Problems.Invalid(new Dictionary<string, string> { ["name"] = nameProblem });
        var (body, problem) = await RequestBody.ReadAsync<StrategyCodeRequest>(request);
        if (problem is not null) return problem;
        if (body!.Code is null) return Problems.Invalid(new Dictionary<string, string> { ["code"] = "code is required: the Lua source of the strategy." });
        // PUT creates or replaces; serialized per name, so 201 goes to exactly one and the stored code is that
        // of the last write acknowledged.
        using var nameLock = await runtime.StrategyLocks.AcquireAsync(name);
        if (runtime.Catalog.IsShipped(name))
            return Problems.Conflict($"'{name}' is a shipped strategy and cannot be changed; save it under another name.");
        var existed = runtime.Catalog.Exists(name);
        var result = Save(runtime, name, body.Code);
        if (result.Saved is not { } saved) return result.Problem!;
        return existed ? TypedResults.Ok(saved) : TypedResults.Created($"/api/strategies/{name}", saved);
    }

    private static (StrategySaved? Saved, ProblemHttpResult? Problem) Save(TickrunnerRuntime runtime, string name, string code)
    {
        try
        {
            var diagnostics = runtime.Catalog.Save(name, code);
            if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)) return (null, Problems.InvalidStrategy(name, diagnostics));
            var info = runtime.Catalog.Find(name)!.Info;
            return (new StrategySaved(info.Name, info.Source, info.LastModified, diagnostics), null);
        }
        catch (StrategyCatalogException e)
        {
            return (null, Problems.Conflict(e.Message));
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string name, TickrunnerRuntime runtime)
    {
        // A runner being created with this strategy holds the name's lock until its row is stored (or not).
        using var nameLock = await runtime.StrategyLocks.AcquireAsync(name);
        if (runtime.Catalog.Find(name) is not { } found) return StrategyNotFound(name);
        if (found.Info.Source == StrategySource.Shipped)
            return Problems.Conflict($"'{name}' is a shipped strategy and cannot be deleted.");
        var users = runtime.Runners.RunnersUsing(name);
        if (users.Count > 0)
            return Problems.Conflict($"'{name}' is used by runner(s) {string.Join(", ", users)}; remove them first.");
        runtime.Catalog.Delete(name);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<ValidationResult>, ProblemHttpResult>> Validate(string name, HttpRequest request, TickrunnerRuntime runtime)
    {
        if (StrategyName.Problem(name) is { } nameProblem) return Problems.Invalid(new Dictionary<string, string> { ["name"] = nameProblem });
        var (body, problem) = await RequestBody.ReadAsync<StrategyCodeRequest>(request, optional: true);
        if (problem is not null) return problem;
        string code;
        if (body?.Code is { } sent) code = sent;
        else if (runtime.Catalog.Find(name) is { } stored) code = stored.Code;
        else return StrategyNotFound(name);
        var diagnostics = LuaStrategy.Validate(code, name, runtime.Catalog.Options);
        return diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)
            ? Problems.InvalidStrategy(name, diagnostics)
            : TypedResults.Ok(new ValidationResult(true, diagnostics));
    }

    private static ProblemHttpResult StrategyNotFound(string name) =>
        Problems.NotFound($"There is no strategy named '{name}'; GET /api/strategies lists them.");
}
