using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tickrunner.Engine.Wire;

/// <summary>
/// The JSON conventions of docs/engine-contract.md §6.1 for everything serialized by reflection (REST bodies,
/// stored runner configs): snake_case property names, enums by name, non-finite numbers as null. The one place
/// snake_case is declared: domain records carry C# names only, and a property whose snake_case form is not its
/// wire name is renamed rather than annotated.
/// </summary>
public static class WireJson
{
    private static JsonSerializerOptions? _options;

    /// <summary>Shared read-only options with the wire conventions.</summary>
    public static JsonSerializerOptions Options
    {
        [RequiresDynamicCode(ReflectionOnly)]
        [RequiresUnreferencedCode(ReflectionOnly)]
        get
        {
            if (_options is { } ready) return ready;
            var options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
            return Interlocked.CompareExchange(ref _options, options, null) ?? options;
        }
    }

    /// <summary>Applies the wire conventions to <paramref name="options"/> (e.g. ASP.NET Core's own) and returns it.</summary>
    [RequiresDynamicCode(ReflectionOnly)]
    [RequiresUnreferencedCode(ReflectionOnly)]
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null; // context keys are the strategy's own
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new NonFiniteAsNullConverter()); // also used for double? (the serializer wraps it)
        options.NumberHandling = JsonNumberHandling.Strict;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip;
        return options;
    }

    private const string ReflectionOnly = "Reflection-based serialization; the event stream's own encoders (EventJson, StreamMessages) need none.";
}
