using System.Globalization;
using System.Text.Json.Serialization;

namespace Tickrunner.Cluster.Runners;

/// <summary>A strategy parameter or context value (number, integer, string or boolean) that both Orleans and JSON carry exactly.</summary>
/// <remarks>The engine holds these as <see cref="object"/>, which JSON would read back as an untyped element the Lua side refuses.</remarks>
[GenerateSerializer, Immutable]
public sealed record ScalarValue
{
    /// <summary>A floating-point number, when the value is one.</summary>
    [Id(0), JsonPropertyName("number")] public double? Number { get; init; }
    /// <summary>An integer, when the value is one (Lua keeps integers apart from floats).</summary>
    [Id(1), JsonPropertyName("integer")] public long? Integer { get; init; }
    /// <summary>A string, when the value is one.</summary>
    [Id(2), JsonPropertyName("text")] public string? Text { get; init; }
    /// <summary>A boolean, when the value is one.</summary>
    [Id(3), JsonPropertyName("flag")] public bool? Flag { get; init; }

    /// <summary>The value as the engine takes it.</summary>
    public object ToObject() => (object?)Integer ?? (object?)Number ?? (object?)Flag ?? Text
        ?? throw new InvalidOperationException("A scalar value holds nothing.");

    /// <summary>Wraps an engine value (string, number or boolean).</summary>
    /// <exception cref="ArgumentException">Any other kind of value.</exception>
    public static ScalarValue Of(object value) => value switch
    {
        bool b => new() { Flag = b },
        long or int or short or byte => new() { Integer = Convert.ToInt64(value, CultureInfo.InvariantCulture) },
        double or float or decimal => new() { Number = Convert.ToDouble(value, CultureInfo.InvariantCulture) },
        string s => new() { Text = s },
        _ => throw new ArgumentException($"A value must be a string, number or boolean, not {value?.GetType().Name ?? "null"}.", nameof(value)),
    };

    /// <summary>A number.</summary>
    public static implicit operator ScalarValue(double value) => new() { Number = value };
    /// <summary>An integer.</summary>
    public static implicit operator ScalarValue(long value) => new() { Integer = value };
    /// <summary>A string.</summary>
    public static implicit operator ScalarValue(string value) => new() { Text = value };
    /// <summary>A boolean.</summary>
    public static implicit operator ScalarValue(bool value) => new() { Flag = value };

    /// <inheritdoc />
    public override string ToString() => Convert.ToString(ToObject(), CultureInfo.InvariantCulture) ?? "";

    /// <summary>The engine's dictionary of values.</summary>
    public static Dictionary<string, object> ToObjects(IReadOnlyDictionary<string, ScalarValue>? values) =>
        values?.ToDictionary(p => p.Key, p => p.Value.ToObject(), StringComparer.Ordinal) ?? new(StringComparer.Ordinal);

    /// <summary>The engine's values wrapped, keyed as they were.</summary>
    public static Dictionary<string, ScalarValue> Of(IReadOnlyDictionary<string, object> values) =>
        values.ToDictionary(p => p.Key, p => Of(p.Value), StringComparer.Ordinal);
}
