using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tickrunner.Engine.Strategies;

/// <summary>What kind of value a declared parameter takes.</summary>
public enum ParameterKind
{
    /// <summary>A real number in [min, max], on the grid min + k·step when a step is given.</summary>
    [JsonStringEnumMemberName("number")] Number,
    /// <summary>An integer in [min, max] on the grid min + k·step (declared with integer default, min, max and step).</summary>
    [JsonStringEnumMemberName("integer")] Integer,
    /// <summary>One of a list of strings, numbers or booleans.</summary>
    [JsonStringEnumMemberName("choice")] Choice,
}

/// <summary>
/// A tunable parameter a strategy declares in its global <c>params</c> table (docs/engine-contract.md §4.8). Values are
/// <see cref="double"/> (Number), <see cref="long"/> (Integer), or for a Choice a string, double, long or bool.
/// </summary>
public sealed record StrategyParameter
{
    /// <summary>The key in <c>params</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Number, Integer or Choice.</summary>
    public required ParameterKind Kind { get; init; }

    /// <summary>The value when no override is given.</summary>
    public required object Default { get; init; }

    /// <summary>Smallest value (numbers).</summary>
    public double? Min { get; init; }

    /// <summary>Largest value (numbers).</summary>
    public double? Max { get; init; }

    /// <summary>Grid step from <see cref="Min"/> (numbers; optional for Number).</summary>
    public double? Step { get; init; }

    /// <summary>The values a Choice takes.</summary>
    public IReadOnlyList<object>? Choices { get; init; }

    /// <summary>The line of the declaration in the strategy's source (1 when it cannot be told).</summary>
    public int Line { get; init; } = 1;

    /// <summary>
    /// <paramref name="value"/> as this parameter's value (an integral double becomes a long for an Integer), or a
    /// problem saying why it is not one.
    /// </summary>
    public (object? Value, string? Problem) Check(object? value)
    {
        switch (Kind)
        {
            case ParameterKind.Choice:
                foreach (var choice in Choices!)
                    if (SameChoice(choice, value)) return (choice, null);
                return (null, $"params.{Name} must be one of {string.Join(", ", Choices!.Select(Show))}, got {Show(value)}.");
            default:
                if (value is not (double or long or int)) return (null, $"params.{Name} must be a number, got {Show(value)}.");
                var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (!double.IsFinite(number)) return (null, $"params.{Name} must be a finite number, got {Show(value)}.");
                if (number < Min || number > Max)
                    return (null, $"params.{Name} must be between {Show(Min)} and {Show(Max)}, got {Show(value)}.");
                if (Kind == ParameterKind.Integer && Math.Floor(number) != number)
                    return (null, $"params.{Name} must be an integer, got {Show(value)}.");
                if (Step is { } step && !OnGrid(number, Min!.Value, step))
                    return (null, $"params.{Name} must be {Show(Min)} plus a multiple of {Show(step)}, got {Show(value)}.");
                return (Kind == ParameterKind.Integer ? (object)(long)number : number, null);
        }
    }

    /// <summary>A value as it came from JSON (a <see cref="JsonElement"/> once deserialized as object) made a plain string, double or bool.</summary>
    public static object? Plain(object? value) => value is JsonElement json
        ? json.ValueKind switch
        {
            JsonValueKind.Number => json.GetDouble(),
            JsonValueKind.String => json.GetString(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        }
        : value;

    // A multiple of the step from min, allowing for the rounding of decimal steps such as 0.1.
    internal static bool OnGrid(double value, double min, double step)
    {
        var k = (value - min) / step;
        return Math.Abs(k - Math.Round(k)) <= 1e-9 * Math.Max(1, Math.Abs(k));
    }

    private static bool SameChoice(object choice, object? value) => (choice, value) switch
    {
        (string a, string b) => a == b,
        (bool a, bool b) => a == b,
        (double or long, double or long or int) => Convert.ToDouble(choice, CultureInfo.InvariantCulture) == Convert.ToDouble(value, CultureInfo.InvariantCulture),
        _ => false,
    };

    /// <summary>A value as the messages show it: strings quoted, numbers invariant.</summary>
    internal static string Show(object? value) => value switch
    {
        null => "nothing",
        string s => $"'{s}'",
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

/// <summary>Parameter overrides that do not fit the strategy's declarations, by field (<c>params.NAME</c>).</summary>
public sealed class StrategyParameterException(IReadOnlyDictionary<string, string> problems)
    : ArgumentException(string.Join(" ", problems.Values))
{
    /// <summary>What is wrong, keyed <c>params.NAME</c> (or <c>params</c>).</summary>
    public IReadOnlyDictionary<string, string> Problems { get; } = problems;
}
