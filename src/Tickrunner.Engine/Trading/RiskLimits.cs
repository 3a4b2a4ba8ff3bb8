using System.Globalization;
using System.Text.Json.Serialization;

namespace Tickrunner.Engine.Trading;

/// <summary>
/// Per-runner risk limits the engine enforces around the strategy (docs/backtesting.md §2.4): every one is optional, and a
/// limit left null is not checked. The same record serves live runners (<c>RunnerDefinition.Risk</c>) and backtests.
/// </summary>
public sealed record RiskLimits
{
    /// <summary>Largest ring of entry times a limit per hour may ask for (the ring is allocated once, at this size at most).</summary>
    public const int MaxEntriesPerHourLimit = 100_000;

    /// <summary>Largest notional (fill price × quantity) one entry may have, in the account currency.</summary>
    public double? MaxPositionNotional { get; init; }

    /// <summary>Largest quantity one entry may have.</summary>
    public double? MaxQuantity { get; init; }

    /// <summary>Most entries that may fill within any 3,600,000 ms of bar time (a sliding window).</summary>
    public int? MaxEntriesPerHour { get; init; }

    /// <summary>
    /// Loss of the UTC day (equity now − equity when the day's first bar arrived) at which new entries stop until the next
    /// UTC day, in the account currency.
    /// </summary>
    public double? DailyLossLimit { get; init; }

    /// <summary>When <see cref="DailyLossLimit"/> is hit, also close the open position at that bar's close.</summary>
    public bool FlattenOnDailyLoss { get; init; }

    /// <summary>
    /// Drawdown from the equity peak since the runner started, in percent (0, 100], at which the position is closed and
    /// the runner stops (a backtest ends).
    /// </summary>
    public double? MaxDrawdownPct { get; init; }

    /// <summary>True when at least one limit is set (<see cref="FlattenOnDailyLoss"/> alone sets none).</summary>
    [JsonIgnore]
    public bool Any => MaxPositionNotional is not null || MaxQuantity is not null || MaxEntriesPerHour is not null
        || DailyLossLimit is not null || MaxDrawdownPct is not null;

    /// <summary>What is wrong, by wire field name; empty when the limits are valid.</summary>
    public Dictionary<string, string> Problems()
    {
        var problems = new Dictionary<string, string>();
        Positive(problems, "max_position_notional", MaxPositionNotional);
        Positive(problems, "max_quantity", MaxQuantity);
        Positive(problems, "daily_loss_limit", DailyLossLimit);
        if (MaxEntriesPerHour is { } perHour && perHour is < 1 or > MaxEntriesPerHourLimit)
            problems["max_entries_per_hour"] = string.Create(CultureInfo.InvariantCulture,
                $"max_entries_per_hour must be a whole number from 1 to {MaxEntriesPerHourLimit:N0}, got {perHour}.");
        if (MaxDrawdownPct is { } pct && !(double.IsFinite(pct) && pct > 0 && pct <= 100))
            problems["max_drawdown_pct"] = $"max_drawdown_pct must be a percentage above 0 and at most 100, got {Describe(pct)}.";
        return problems;
    }

    private static void Positive(Dictionary<string, string> problems, string field, double? value)
    {
        if (value is { } v && !(double.IsFinite(v) && v > 0))
            problems[field] = $"{field} must be a finite number > 0, got {Describe(v)}.";
    }

    private static string Describe(double value) => value.ToString(CultureInfo.InvariantCulture);
}
