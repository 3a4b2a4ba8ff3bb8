namespace Tickrunner.Engine.Runners;

/// <summary>No runner has that id.</summary>
public sealed class RunnerNotFoundException(string runnerId) : KeyNotFoundException($"There is no runner with id '{runnerId}'.")
{
    /// <summary>The id asked for.</summary>
    public string RunnerId { get; } = runnerId;
}

/// <summary>A runner with that id exists already.</summary>
public sealed class DuplicateRunnerException(string runnerId) : InvalidOperationException($"A runner with id '{runnerId}' already exists.")
{
    /// <summary>The id that is taken.</summary>
    public string RunnerId { get; } = runnerId;
}

/// <summary>A runner definition with invalid fields; <see cref="Problems"/> is keyed by field.</summary>
public sealed class InvalidRunnerDefinitionException(IReadOnlyDictionary<string, string> problems)
    : ArgumentException(string.Join(" ", problems.Values))
{
    /// <summary>What is wrong, keyed by field (runner_id, symbol, …).</summary>
    public IReadOnlyDictionary<string, string> Problems { get; } = problems;
}
