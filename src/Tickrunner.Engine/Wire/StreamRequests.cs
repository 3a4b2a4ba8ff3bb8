using System.Text.Json;
using Tickrunner.Engine.Events;

namespace Tickrunner.Engine.Wire;

/// <summary>
/// What clients send on the event stream (docs/guides/web-app-api.md §4): the filter in the query string, and
/// <c>subscribe</c>, <c>unsubscribe</c> and <c>filter</c> messages that change it.
/// </summary>
public static class StreamRequests
{
    /// <summary>Builds a filter from query or message values; unknown event types are an error naming them.</summary>
    public static EventFilter ParseFilter(IEnumerable<string?> runnerIds, IEnumerable<string?> symbols, IEnumerable<string?> types, out string? error)
    {
        var kinds = new List<RunnerEventKind>();
        var unknown = new List<string>();
        foreach (var type in types.SelectMany(Split))
        {
            if (EventJson.TryParseKind(type, out var kind)) kinds.Add(kind);
            else unknown.Add(type);
        }
        error = unknown.Count == 0 ? null
            : $"Unknown event type(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))}; known: {string.Join(", ", Enum.GetNames<RunnerEventKind>())}.";
        return new EventFilter(runnerIds.SelectMany(Split), symbols.SelectMany(Split), kinds);
    }

    /// <summary>
    /// Applies one client message to <paramref name="current"/>: <c>{"subscribe": {...}}</c> adds values,
    /// <c>{"unsubscribe": {...}}</c> removes them, <c>{"filter": {...}}</c> replaces the filter; each takes
    /// runner_id, symbol and type arrays, and an empty dimension matches everything. Returns the new filter, or
    /// null with <paramref name="error"/> saying what is wrong.
    /// </summary>
    public static EventFilter? Apply(ReadOnlySpan<byte> utf8, EventFilter current, out string? error)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return Fail("Send a JSON object: {\"subscribe\"|\"unsubscribe\"|\"filter\": {\"runner_id\": [...], \"symbol\": [...], \"type\": [...]}}.", out error);
            foreach (var (verb, apply) in new (string, Func<EventFilter, EventFilter, EventFilter>)[]
            {
                ("subscribe", (old, add) => old.Widen(add.RunnerIds, add.Symbols, add.Kinds)),
                ("unsubscribe", (old, remove) => old.Narrow(remove.RunnerIds, remove.Symbols, remove.Kinds)),
                ("filter", (_, replacement) => replacement),
            })
            {
                if (!root.TryGetProperty(verb, out var body)) continue;
                if (body.ValueKind != JsonValueKind.Object)
                    return Fail($"'{verb}' must be an object with runner_id, symbol and type arrays.", out error);
                var parsed = ParseFilter(Strings(body, "runner_id"), Strings(body, "symbol"), Strings(body, "type"), out error);
                return error is null ? apply(current, parsed) : null;
            }
            return Fail("Unknown message; send {\"subscribe\": {...}}, {\"unsubscribe\": {...}} or {\"filter\": {...}}.", out error);
        }
        catch (JsonException e)
        {
            return Fail($"The message is not valid JSON: {e.Message}", out error);
        }
        catch (InvalidOperationException e)
        {
            return Fail(e.Message, out error);
        }
    }

    private static EventFilter? Fail(string message, out string? error)
    {
        error = message;
        return null;
    }

    // Repeated parameters (?type=a&type=b) and comma lists (?type=a,b) both work.
    private static IEnumerable<string> Split(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static IEnumerable<string?> Strings(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return [];
        if (value.ValueKind == JsonValueKind.String) return [value.GetString()];
        if (value.ValueKind != JsonValueKind.Array) throw new InvalidOperationException($"'{name}' must be an array of strings.");
        return value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : throw new InvalidOperationException($"'{name}' must be an array of strings.")).ToList();
    }
}
