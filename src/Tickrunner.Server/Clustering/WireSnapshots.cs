using System.Text.Json;
using System.Text.Json.Serialization;
using Tickrunner.Engine;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Trading;
using Tickrunner.Engine.Wire;

namespace Tickrunner.Server.Clustering;

/// <summary>
/// Reads what runner grains answer as the REST API's JSON back into the engine's types, so the endpoints serve a clustered
/// runner with the very code and shape they serve an in-process one.
/// </summary>
internal static class WireSnapshots
{
    private static readonly JsonSerializerOptions Read = CreateReadOptions();

    /// <summary>A runner's snapshot from its grain's JSON.</summary>
    public static RunnerSnapshot Snapshot(byte[] json) =>
        JsonSerializer.Deserialize<RunnerSnapshot>(json, Read) ?? throw new JsonException("A runner grain answered an empty snapshot.");

    /// <summary>Bars from a grain's JSON.</summary>
    public static MarketData[] Bars(byte[] json) => JsonSerializer.Deserialize<MarketData[]>(json, Read) ?? [];

    private static JsonSerializerOptions CreateReadOptions()
    {
        var options = new JsonSerializerOptions(WireJson.Options);
        options.Converters.Add(new PositionReader());
        return options;
    }

    // A position has no constructor taking what it writes (its P&L is worked out, not set): it is rebuilt from its inputs.
    private sealed class PositionReader : JsonConverter<Position>
    {
        public override Position Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            var p = document.RootElement;
            var side = p.GetProperty("side").Deserialize<PositionSide>(options);
            return Position.Rebuild(side, p.GetProperty("entry_price").GetDouble(), p.GetProperty("quantity").GetDouble(),
                p.GetProperty("entry_timestamp").GetInt64(), Optional(p, "stop_loss"), Optional(p, "take_profit"), Number(p, "entry_fee"),
                Number(p, "current_price"), Optional(p, "exit_price"), p.TryGetProperty("exit_timestamp", out var at) && at.ValueKind == JsonValueKind.Number ? at.GetInt64() : 0,
                Number(p, "exit_fee"));
        }

        public override void Write(Utf8JsonWriter writer, Position value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value, WireJson.Options);

        private static double? Optional(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

        private static double Number(JsonElement e, string name) => Optional(e, name) ?? 0;
    }
}
