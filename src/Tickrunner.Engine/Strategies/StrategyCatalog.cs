using System.Text.Json.Serialization;

namespace Tickrunner.Engine.Strategies;

/// <summary>Where a strategy comes from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StrategySource>))]
public enum StrategySource
{
    /// <summary>A .lua file shipped with the product (read-only).</summary>
    [JsonStringEnumMemberName("shipped")] Shipped,
    /// <summary>Uploaded by a user.</summary>
    [JsonStringEnumMemberName("uploaded")] Uploaded,
}

/// <summary>One entry of the catalog.</summary>
public sealed record StrategyInfo(
    string Name,
    StrategySource Source,
    long LastModified);

/// <summary>A strategy with its code.</summary>
public sealed record StrategySourceCode(StrategyInfo Info, string Code);

/// <summary>No strategy has that name.</summary>
public sealed class StrategyNotFoundException(string name)
    : KeyNotFoundException($"There is no strategy named '{name}'.")
{
    /// <summary>The name asked for.</summary>
    public string Name { get; } = name;
}

/// <summary>A change the catalog refuses (e.g. overwriting a shipped strategy).</summary>
public sealed class StrategyCatalogException(string message) : InvalidOperationException(message);

/// <summary>
/// The strategies a runner can use: the shipped .lua files of the strategies directory and the uploaded ones
/// of a store. Shipped strategies are read-only; an upload cannot take a shipped name.
/// </summary>
public sealed class StrategyCatalog(string shippedDirectory, IStrategyStore uploads, LuaSandboxOptions? options = null)
{
    private readonly string _shipped = Path.GetFullPath(shippedDirectory);

    /// <summary>The sandbox limits strategies are loaded with.</summary>
    public LuaSandboxOptions Options { get; } = options ?? LuaSandboxOptions.Default;

    /// <summary>Every strategy, shipped first, each group by name.</summary>
    public IReadOnlyList<StrategyInfo> List()
    {
        var shipped = ShippedNames().Select(name => Info(name, StrategySource.Shipped, File.GetLastWriteTimeUtc(ShippedPath(name))));
        var uploaded = uploads.List().Select(s => Info(s.Name, StrategySource.Uploaded, s.LastModified));
        return shipped.Concat(uploaded).ToList();
    }

    /// <summary>The strategy's code and catalog entry, or null when there is none.</summary>
    public StrategySourceCode? Find(string name)
    {
        if (!StrategyName.IsValid(name)) return null;
        var path = ShippedPath(name);
        if (File.Exists(path))
            return new(Info(name, StrategySource.Shipped, File.GetLastWriteTimeUtc(path)), File.ReadAllText(path));
        return uploads.Find(name) is { } stored
            ? new(Info(name, StrategySource.Uploaded, stored.LastModified), stored.Code)
            : null;
    }

    /// <summary>True when a strategy has that name.</summary>
    public bool Exists(string name) => Find(name) is not null;

    /// <summary>Loads the named strategy into a new Lua state; <paramref name="log"/> receives what it prints.</summary>
    /// <exception cref="StrategyNotFoundException">No such strategy.</exception>
    /// <exception cref="StrategyLoadException">It does not load.</exception>
    public LuaStrategy Load(string name, Action<string>? log = null)
    {
        var found = Find(name) ?? throw new StrategyNotFoundException(name);
        return LuaStrategy.FromCode(name, found.Code, Options, log);
    }

    /// <summary>Validates code and, when it has no error, stores it as an uploaded strategy.</summary>
    /// <returns>The diagnostics; the code was saved when none is an error.</returns>
    /// <exception cref="ArgumentException">The name is not valid.</exception>
    /// <exception cref="StrategyCatalogException">The name belongs to a shipped strategy.</exception>
    public IReadOnlyList<LuaDiagnostic> Save(string name, string code)
    {
        StrategyName.EnsureValid(name);
        if (IsShipped(name))
            throw new StrategyCatalogException($"'{name}' is a shipped strategy and cannot be changed; save it under another name.");
        var diagnostics = LuaStrategy.Validate(code, name, Options);
        if (!diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)) uploads.Save(name, code);
        return diagnostics;
    }

    /// <summary>Deletes an uploaded strategy; false when there was none.</summary>
    /// <exception cref="StrategyCatalogException">The name belongs to a shipped strategy.</exception>
    public bool Delete(string name)
    {
        if (IsShipped(name))
            throw new StrategyCatalogException($"'{name}' is a shipped strategy and cannot be deleted.");
        return uploads.Delete(name);
    }

    /// <summary>True when <paramref name="name"/> is a shipped strategy.</summary>
    public bool IsShipped(string name) => StrategyName.IsValid(name) && File.Exists(ShippedPath(name));

    private IEnumerable<string> ShippedNames() => Directory.Exists(_shipped)
        ? Directory.EnumerateFiles(_shipped, "*.lua").Select(p => Path.GetFileNameWithoutExtension(p)!)
            .Where(StrategyName.IsValid).Order(StringComparer.Ordinal)
        : [];

    private string ShippedPath(string name) => Path.Combine(_shipped, name + ".lua");

    private static StrategyInfo Info(string name, StrategySource source, DateTimeOffset modified) =>
        new(name, source, modified.ToUnixTimeMilliseconds());
}
