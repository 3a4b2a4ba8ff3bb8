using System.Buffers;
using System.Text.Json;

namespace Tickrunner.Server.Api;

/// <summary>An equity curve as <c>[[timestamp, equity], …]</c>, written by hand: a curve has a point per bar, and reflection would box every number.</summary>
internal static class EquityJson
{
    /// <summary>The curve as a JSON response; a non-finite equity is null.</summary>
    public static IResult Result(long[] times, double[] equity)
    {
        var buffer = new ArrayBufferWriter<byte>(times.Length * 32 + 2);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            for (var i = 0; i < times.Length; i++)
            {
                json.WriteStartArray();
                json.WriteNumberValue(times[i]);
                if (double.IsFinite(equity[i])) json.WriteNumberValue(equity[i]);
                else json.WriteNullValue();
                json.WriteEndArray();
            }
            json.WriteEndArray();
        }
        return TypedResults.Bytes(buffer.WrittenMemory.ToArray(), "application/json");
    }
}
