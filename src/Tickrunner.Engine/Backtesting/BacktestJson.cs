using System.Text.Json.Serialization;

namespace Tickrunner.Engine.Backtesting;

/// <summary>
/// JSON of backtest reports, trades and settings, generated at compile time (the engine stays trimmable): snake_case,
/// enums by name, as everywhere on the wire.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(BacktestReport))]
[JsonSerializable(typeof(IReadOnlyList<BacktestTrade>))]
[JsonSerializable(typeof(BacktestSettings))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
public sealed partial class BacktestJson : JsonSerializerContext;
