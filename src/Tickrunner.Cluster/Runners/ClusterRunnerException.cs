namespace Tickrunner.Cluster.Runners;

/// <summary>Why a runner grain refused a call, so that a caller can answer it as the single-process engine would.</summary>
[GenerateSerializer]
public enum ClusterRunnerRefusal
{
    /// <summary>The definition or the command's arguments are wrong (the message says which).</summary>
    Invalid,
    /// <summary>No runner is defined under the grain's key.</summary>
    NotDefined,
    /// <summary>A runner is already defined under the key.</summary>
    Exists,
    /// <summary>The runner is defined but cannot do it now (its stored definition no longer loads).</summary>
    Conflict,
}

/// <summary>A runner grain refused a call: a definition that does not load (with the strategy's message and line), or a command that does not apply.</summary>
/// <remarks>
/// Its own type, serializable by Orleans, so the caller on any silo or client gets the message as written; the engine's exceptions
/// are not all serializable, and their messages (e.g. "inline.lua:3: ...") are what the caller needs.
/// </remarks>
[GenerateSerializer]
public sealed class ClusterRunnerException : Exception
{
    /// <summary>A refusal of kind <paramref name="refusal"/> explained by <paramref name="message"/>.</summary>
    public ClusterRunnerException(string message, ClusterRunnerRefusal refusal = ClusterRunnerRefusal.Invalid) : base(message) => Refusal = refusal;

    /// <summary>A refusal explained by <paramref name="message"/>, caused by <paramref name="inner"/> (not sent across silos).</summary>
    public ClusterRunnerException(string message, Exception inner) : base(message, inner) { }

    /// <summary>For the serializer.</summary>
    public ClusterRunnerException() { }

    /// <summary>What kind of refusal it is.</summary>
    [Id(0)] public ClusterRunnerRefusal Refusal { get; private set; }
}
