using System.Text.Json.Serialization;

namespace Tickrunner.Engine.Strategies;

/// <summary>How serious a diagnostic is.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DiagnosticSeverity>))]
public enum DiagnosticSeverity
{
    /// <summary>The strategy cannot run.</summary>
    Error,
    /// <summary>The strategy runs but something looks wrong.</summary>
    Warning,
}

/// <summary>One problem found in strategy code: 1-based line, optional 1-based column, message, severity.</summary>
public sealed record LuaDiagnostic(
    int Line,
    int? Column,
    string Message,
    DiagnosticSeverity Severity)
{
    /// <summary>"line:column: message", as an editor or a log shows it.</summary>
    public override string ToString() => Column is { } c ? $"{Line}:{c}: {Message}" : $"{Line}: {Message}";
}

/// <summary>A strategy that could not be loaded; <see cref="Diagnostics"/> says where and why.</summary>
public sealed class StrategyLoadException(string strategyName, IReadOnlyList<LuaDiagnostic> diagnostics)
    : Exception($"Strategy '{strategyName}' could not be loaded: " + string.Join("; ", diagnostics.Select(d => $"line {d}")))
{
    /// <summary>The strategy's name.</summary>
    public string StrategyName { get; } = strategyName;

    /// <summary>What is wrong, with line numbers.</summary>
    public IReadOnlyList<LuaDiagnostic> Diagnostics { get; } = diagnostics;
}
