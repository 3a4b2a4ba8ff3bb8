namespace Tickrunner.Engine.Strategies;

/// <summary>A strategy's code as stored, with when it last changed.</summary>
public sealed record StoredStrategy(string Name, string Code, DateTimeOffset LastModified);

/// <summary>Where uploaded strategies are kept (a directory here; SQLite in the server).</summary>
public interface IStrategyStore
{
    /// <summary>Every stored strategy.</summary>
    IReadOnlyList<StoredStrategy> List();

    /// <summary>The strategy called <paramref name="name"/>, or null.</summary>
    StoredStrategy? Find(string name);

    /// <summary>Creates or replaces a strategy.</summary>
    StoredStrategy Save(string name, string code);

    /// <summary>Removes a strategy; false when there was none.</summary>
    bool Delete(string name);
}
