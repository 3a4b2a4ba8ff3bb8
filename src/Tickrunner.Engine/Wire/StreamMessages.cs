using System.Text.Json;
using Tickrunner.Engine.Events;

namespace Tickrunner.Engine.Wire;

/// <summary>
/// The server's own messages on the event stream besides events (docs/guides/web-app-api.md §4), each an
/// externally tagged object like the events: <c>Lagged</c>, <c>Heartbeat</c>, <c>Subscribed</c>, <c>ProtocolError</c>.
/// </summary>
public static class StreamMessages
{
    /// <summary>A lag notice for a subscriber that lost <paramref name="dropped"/> events: <c>{"Lagged": {"dropped": n, "timestamp": ms}}</c>.</summary>
    public static byte[] Lagged(long dropped, long timestamp)
    {
        var b = new JsonBuffer();
        b.Raw("{\"Lagged\":{\"dropped\":"u8);
        b.Number(dropped);
        b.Raw(",\"timestamp\":"u8);
        b.Number(timestamp);
        b.Raw("}}"u8);
        return b.ToArray();
    }

    /// <summary>The periodic keep-alive: <c>{"Heartbeat": {"timestamp": ms, "last_seq": n}}</c>.</summary>
    public static byte[] Heartbeat(long timestamp, long lastSeq)
    {
        var b = new JsonBuffer();
        b.Raw("{\"Heartbeat\":{\"timestamp\":"u8);
        b.Number(timestamp);
        b.Raw(",\"last_seq\":"u8);
        b.Number(lastSeq);
        b.Raw("}}"u8);
        return b.ToArray();
    }

    /// <summary>The answer to a filter change: the filter now in effect, each list sorted, and the hub's newest seq.</summary>
    public static byte[] Subscribed(EventFilter filter, long lastSeq) => Write(w =>
    {
        w.WriteStartObject("Subscribed");
        WriteStrings(w, "runner_id", filter.RunnerIds.Order());
        WriteStrings(w, "symbol", filter.Symbols.Order());
        WriteStrings(w, "type", filter.Kinds.Select(EventJson.KindName).Order());
        w.WriteNumber("last_seq", lastSeq);
        w.WriteEndObject();
    });

    /// <summary>The answer to a client message the server could not act on: <c>{"ProtocolError": {"error": "…"}}</c>.</summary>
    public static byte[] ProtocolError(string error) => Write(w =>
    {
        w.WriteStartObject("ProtocolError");
        w.WriteString("error", error);
        w.WriteEndObject();
    });

    // Utf8JsonWriter's default escaping is the serializer's default, which these two messages were first written with.
    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values) writer.WriteStringValue(value);
        writer.WriteEndArray();
    }
}
