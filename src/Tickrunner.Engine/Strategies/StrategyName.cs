using System.Text.RegularExpressions;

namespace Tickrunner.Engine.Strategies;

/// <summary>The rule for strategy names: 1–64 characters of A–Z, a–z, 0–9, '_' and '-'.</summary>
public static partial class StrategyName
{
    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,64}\z")] // \z, not $: $ also matches before a final newline
    private static partial Regex Pattern();

    /// <summary>True when <paramref name="name"/> follows the rule.</summary>
    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    /// <summary>Why <paramref name="name"/> is not a valid name, or null when it is.</summary>
    public static string? Problem(string? name) => IsValid(name) ? null
        : $"'{name}' is not a valid strategy name: use 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'.";

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="name"/> is not valid.</summary>
    public static void EnsureValid(string? name, string parameter = "name")
    {
        if (Problem(name) is { } problem) throw new ArgumentException(problem, parameter);
    }
}
