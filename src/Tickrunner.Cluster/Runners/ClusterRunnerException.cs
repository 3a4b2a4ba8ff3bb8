namespace Tickrunner.Cluster.Runners;

/// <summary>A runner grain refused a call: a definition that does not load (with the strategy's message and line), or a command that does not apply.</summary>
/// <remarks>
/// Its own type, serializable by Orleans, so the caller on any silo or client gets the message as written; the engine's exceptions
/// are not all serializable, and their messages (e.g. "inline.lua:3: ...") are what the caller needs.
/// </remarks>
[GenerateSerializer]
public sealed class ClusterRunnerException : Exception
{
    /// <summary>A refusal explained by <paramref name="message"/>.</summary>
    public ClusterRunnerException(string message) : base(message) { }

    /// <summary>A refusal explained by <paramref name="message"/>, caused by <paramref name="inner"/> (not sent across silos).</summary>
    public ClusterRunnerException(string message, Exception inner) : base(message, inner) { }

    /// <summary>For the serializer.</summary>
    public ClusterRunnerException() { }
}
