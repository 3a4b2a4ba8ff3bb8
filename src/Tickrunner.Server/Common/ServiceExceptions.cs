using Tickrunner.Engine.Strategies;

namespace Tickrunner.Server.Common;

/// <summary>
/// Why an application service refused a request, in terms the endpoints map to problem+json: the services
/// know nothing of HTTP, the endpoints nothing of the engine's or storage's exceptions.
/// </summary>
public abstract class ServiceException(string message) : Exception(message);

/// <summary>The request's fields are wrong; <see cref="Errors"/> is keyed by field (400).</summary>
public sealed class InvalidRequestException(IReadOnlyDictionary<string, string> errors) : ServiceException(string.Join(" ", errors.Values))
{
    /// <summary>What is wrong, keyed by field.</summary>
    public IReadOnlyDictionary<string, string> Errors { get; } = errors;

    /// <summary>One field's problem.</summary>
    public InvalidRequestException(string field, string problem) : this(new Dictionary<string, string> { [field] = problem })
    {
    }
}

/// <summary>What the request names does not exist (404).</summary>
public sealed class NotFoundException(string detail) : ServiceException(detail);

/// <summary>The request contradicts what exists (409).</summary>
public sealed class ConflictException(string detail) : ServiceException(detail);

/// <summary>The server cannot do it now, e.g. while shutting down (503).</summary>
public sealed class UnavailableException(string detail) : ServiceException(detail);

/// <summary>This server cannot do it in the mode it runs in, e.g. a command the cluster mode does not carry yet (501).</summary>
public sealed class NotAvailableException(string detail) : ServiceException(detail);

/// <summary>Lua code that does not load (422), with its diagnostics.</summary>
public sealed class InvalidStrategyException(string name, IReadOnlyList<LuaDiagnostic> diagnostics)
    : ServiceException($"Strategy '{name}' does not load.")
{
    /// <summary>The strategy's name.</summary>
    public string Name { get; } = name;

    /// <summary>What validation found, errors and warnings.</summary>
    public IReadOnlyList<LuaDiagnostic> Diagnostics { get; } = diagnostics;
}

/// <summary>The request is well-formed but its content cannot be used, e.g. a CSV with a bad row or an unknown dataset (422).</summary>
public sealed class UnprocessableException(string title, string detail, IReadOnlyDictionary<string, object?> extensions) : ServiceException(detail)
{
    /// <summary>The problem's title.</summary>
    public string Title { get; } = title;

    /// <summary>Members added to the problem (<c>errors</c> by field, a CSV's <c>line</c>, …).</summary>
    public IReadOnlyDictionary<string, object?> Extensions { get; } = extensions;
}

/// <summary>Too much work is waiting, e.g. the backtest queue is full (429).</summary>
public sealed class TooManyRequestsException(string detail) : ServiceException(detail);
