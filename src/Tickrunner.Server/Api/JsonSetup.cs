using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tickrunner.Server.Api;

/// <summary>The wire conventions of docs/engine-contract.md §6.1: snake_case, enums by name, non-finite numbers as null.</summary>
internal static class JsonSetup
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

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
}
