using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tickrunner.Engine.Wire;

/// <summary>
/// Writes NaN and ±infinity as <c>null</c> (JSON has no such numbers, and the serializer would otherwise throw and
/// turn a whole listing into a 500); reads numbers as the default converter does.
/// </summary>
public sealed class NonFiniteAsNullConverter : JsonConverter<double>
{
    /// <inheritdoc />
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var value)
            ? value
            : throw new JsonException(); // the serializer adds "could not be converted to System.Double" and the path

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }
}
