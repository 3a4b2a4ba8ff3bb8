using System.Text.Json;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Server.Common;

/// <summary>The <c>params</c> of a create-runner or backtest body: strategy parameter values by name, each a number, a string or a boolean.</summary>
internal static class ParameterValues
{
    /// <summary>The values as plain scalars (null when none were given); a problem per value of another JSON kind.</summary>
    public static IReadOnlyDictionary<string, object>? From(Dictionary<string, JsonElement>? body, Dictionary<string, string> errors)
    {
        if (body is null || body.Count == 0) return null;
        var values = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, value) in body)
        {
            if (StrategyParameter.Plain(value) is { } plain) values[name] = plain;
            else errors[$"params.{name}"] = $"params.{name} must be a number, a string or a boolean, not {value.ValueKind.ToString().ToLowerInvariant()}.";
        }
        return values;
    }
}
