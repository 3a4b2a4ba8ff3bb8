using System.Text.Json.Serialization;

namespace Tickrunner.Engine.Optimization;

/// <summary>JSON of optimization settings and results, generated at compile time: snake_case, enums by name, as on the wire.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(OptimizationResult))]
[JsonSerializable(typeof(OptimizationSettings))]
[JsonSerializable(typeof(IReadOnlyList<TrialRow>))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
public sealed partial class OptimizationJson : JsonSerializerContext;
