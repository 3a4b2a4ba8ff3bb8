using System.Text.Json.Serialization;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Runners;

/// <summary>Whether a runner processes ticks.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RunnerStatus>))]
public enum RunnerStatus
{
    /// <summary>Processing ticks.</summary>
    [JsonStringEnumMemberName("running")] Running,
    /// <summary>Skipping ticks until resumed; skipped ticks are not stored.</summary>
    [JsonStringEnumMemberName("paused")] Paused,
    /// <summary>Ended; listed until removed.</summary>
    [JsonStringEnumMemberName("stopped")] Stopped,
}

/// <summary>A runner's counters (docs/engine-contract.md §5.4); durations in microseconds.</summary>
public sealed record RunnerStats(
    [property: JsonPropertyName("ticks_processed")] long TicksProcessed,
    [property: JsonPropertyName("actions_executed")] long ActionsExecuted,
    [property: JsonPropertyName("actions_rejected")] long ActionsRejected,
    [property: JsonPropertyName("errors")] long Errors,
    [property: JsonPropertyName("error_rate")] double ErrorRate,
    [property: JsonPropertyName("avg_tick_us")] double AvgTickMicros,
    [property: JsonPropertyName("min_tick_us")] double MinTickMicros,
    [property: JsonPropertyName("max_tick_us")] double MaxTickMicros,
    [property: JsonPropertyName("ticks_dropped")] long TicksDropped);

/// <summary>Everything the dashboard shows about one runner, taken on the runner's own loop.</summary>
public sealed record RunnerSnapshot(
    [property: JsonPropertyName("runner_id")] string RunnerId,
    [property: JsonPropertyName("symbol")] string Symbol,
    [property: JsonPropertyName("strategy_name")] string StrategyName,
    [property: JsonPropertyName("status")] RunnerStatus Status,
    [property: JsonPropertyName("state")] TradingState State,
    [property: JsonPropertyName("position")] Position? Position,
    [property: JsonPropertyName("context")] IReadOnlyDictionary<string, object> Context,
    [property: JsonPropertyName("stats")] RunnerStats Stats,
    [property: JsonPropertyName("uptime_ms")] long UptimeMs,
    [property: JsonPropertyName("window_size")] int WindowSize,
    [property: JsonPropertyName("window_len")] int WindowLen,
    [property: JsonPropertyName("transitions")] IReadOnlyList<Transition> Transitions,
    [property: JsonPropertyName("config")] RunnerConfig Config);
