using Tickrunner.Engine.Strategies;
using Tickrunner.Server.Common;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Strategies;

/// <summary>The body of <c>POST /api/strategies</c>.</summary>
public sealed record UploadStrategyRequest(string? Name, string? Code);

/// <summary>The body of <c>PUT /api/strategies/{name}</c> and <c>POST /api/strategies/{name}/validate</c>.</summary>
public sealed record StrategyCodeRequest(string? Code);

/// <summary>A strategy with its code.</summary>
public sealed record StrategyResponse(string Name, StrategySource Source, long LastModified, string Code, IReadOnlyList<StrategyParameter> Params);

/// <summary>A saved strategy and what validation said (warnings only, or nothing).</summary>
public sealed record StrategySaved(string Name, StrategySource Source, long LastModified, IReadOnlyList<LuaDiagnostic> Diagnostics);

/// <summary>The answer to a validation that found no error.</summary>
public sealed record ValidationResult(bool Valid, IReadOnlyList<LuaDiagnostic> Diagnostics);

/// <summary>
/// Strategies as the API sees them: upload (create only), put (create or replace), delete (only while no runner
/// uses it) and validate, each serialized per name.
/// </summary>
public sealed class StrategyService(StrategyCatalog catalog, RunnerRepository runners, StrategyLocks locks)
{
    private const string CodeRequired = "code is required: the Lua source of the strategy.";

    /// <summary>Shipped and uploaded strategies.</summary>
    public IReadOnlyList<StrategyInfo> List() => catalog.List();

    /// <summary>A strategy with its code and the parameters it declares.</summary>
    public StrategyResponse Get(string name) =>
        catalog.Find(name) is { } found
            ? new StrategyResponse(found.Info.Name, found.Info.Source, found.Info.LastModified, found.Code, DeclaredParameters(name, found.Code))
            : throw NotFound(name);

    // Read by loading the code in a sandbox of its own: the declarations are data the chunk builds.
    private IReadOnlyList<StrategyParameter> DeclaredParameters(string name, string code)
    {
        try
        {
            using var strategy = LuaStrategy.FromCode(name, code, catalog.Options);
            return strategy.Parameters;
        }
        catch (StrategyLoadException)
        {
            return []; // a shipped file edited on disk into an error: the code is still shown
        }
    }

    /// <summary><see cref="InvalidRequestException"/> for a name no strategy may have (checked before a body is read).</summary>
    public static void EnsureValidName(string name)
    {
        if (StrategyName.Problem(name) is { } problem) throw new InvalidRequestException("name", problem);
    }

    /// <summary>Creates a strategy; <see cref="ConflictException"/> when the name exists.</summary>
    public async Task<StrategySaved> UploadAsync(UploadStrategyRequest body)
    {
        var errors = new Dictionary<string, string>();
        if (StrategyName.Problem(body.Name) is { } nameProblem) errors["name"] = nameProblem;
        if (body.Code is null) errors["code"] = CodeRequired;
        if (errors.Count > 0) throw new InvalidRequestException(errors);
        // POST only creates: under the name's lock the check and the save are one step, so of concurrent uploads
        // of one name exactly one is created and the others are told it exists.
        using var nameLock = await locks.AcquireAsync(body.Name!);
        if (catalog.Find(body.Name!) is { } existing)
            throw new ConflictException(existing.Info.Source == StrategySource.Shipped
                ? $"'{body.Name}' is a shipped strategy; upload yours under another name."
                : $"A strategy named '{body.Name}' exists; use PUT /api/strategies/{body.Name} to replace it.");
        return Save(body.Name!, body.Code!);
    }

    /// <summary>Creates or replaces an uploaded strategy; <c>Created</c> says which.</summary>
    public async Task<(StrategySaved Saved, bool Created)> PutAsync(string name, StrategyCodeRequest body)
    {
        EnsureValidName(name);
        if (body.Code is null) throw new InvalidRequestException("code", CodeRequired);
        // PUT creates or replaces; serialized per name, so Created goes to exactly one and the stored code is that
        // of the last write acknowledged.
        using var nameLock = await locks.AcquireAsync(name);
        if (catalog.IsShipped(name))
            throw new ConflictException($"'{name}' is a shipped strategy and cannot be changed; save it under another name.");
        var existed = catalog.Exists(name);
        return (Save(name, body.Code), !existed);
    }

    private StrategySaved Save(string name, string code)
    {
        IReadOnlyList<LuaDiagnostic> diagnostics;
        try
        {
            diagnostics = catalog.Save(name, code);
        }
        catch (StrategyCatalogException e)
        {
            throw new ConflictException(e.Message);
        }
        if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)) throw new InvalidStrategyException(name, diagnostics);
        var info = catalog.Find(name)!.Info;
        return new StrategySaved(info.Name, info.Source, info.LastModified, diagnostics);
    }

    /// <summary>Deletes an uploaded strategy that no runner uses.</summary>
    public async Task DeleteAsync(string name)
    {
        // A runner being created with this strategy holds the name's lock until its row is stored (or not).
        using var nameLock = await locks.AcquireAsync(name);
        if (catalog.Find(name) is not { } found) throw NotFound(name);
        if (found.Info.Source == StrategySource.Shipped)
            throw new ConflictException($"'{name}' is a shipped strategy and cannot be deleted.");
        var users = runners.RunnersUsing(name);
        if (users.Count > 0)
            throw new ConflictException($"'{name}' is used by runner(s) {string.Join(", ", users)}; remove them first.");
        catalog.Delete(name);
    }

    /// <summary>Validates <paramref name="code"/>, or the stored code when it is null; <see cref="InvalidStrategyException"/> on errors.</summary>
    public ValidationResult Validate(string name, string? code)
    {
        EnsureValidName(name);
        code ??= catalog.Find(name)?.Code ?? throw NotFound(name);
        var diagnostics = LuaStrategy.Validate(code, name, catalog.Options);
        return diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)
            ? throw new InvalidStrategyException(name, diagnostics)
            : new ValidationResult(true, diagnostics);
    }

    private static NotFoundException NotFound(string name) => new($"There is no strategy named '{name}'; GET /api/strategies lists them.");
}
