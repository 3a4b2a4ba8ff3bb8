namespace Tickrunner.Server.Storage;

/// <summary>A storage operation that failed for a reason its caller can act on (SQLite's own errors stay inside storage).</summary>
public abstract class StorageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A runner row with that id exists already.</summary>
public sealed class RunnerAlreadyStoredException(string runnerId, Exception? inner = null)
    : StorageException($"A runner with id '{runnerId}' is stored already.", inner)
{
    /// <summary>The id that is taken.</summary>
    public string RunnerId { get; } = runnerId;
}
