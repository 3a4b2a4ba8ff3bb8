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
    long TicksProcessed,
    long ActionsExecuted,
    long ActionsRejected,
    long Errors,
    double ErrorRate,
    double AvgTickUs,
    double MinTickUs,
    double MaxTickUs,
    long TicksDropped);

/// <summary>Everything the dashboard shows about one runner, taken on the runner's own loop.</summary>
public sealed record RunnerSnapshot(
    string RunnerId,
    string Symbol,
    string StrategyName,
    RunnerStatus Status,
    TradingState State,
    Position? Position,
    IReadOnlyDictionary<string, object> Context,
    RunnerStats Stats,
    long UptimeMs,
    int WindowSize,
    int WindowLen,
    IReadOnlyList<Transition> Transitions,
    RunnerConfig Config,
    AccountSnapshot Account,
    IReadOnlyDictionary<string, object> Params)
{
    /// <summary>The risk limits and where they stand; null when the runner has none.</summary>
    public RiskSnapshot? Risk { get; init; }

    /// <summary>A manual entry or exit waiting for the next bar (<c>enter_long</c>, <c>enter_short</c>, <c>exit</c>), or null.</summary>
    public string? ManualAction { get; init; }

    /// <summary>The guard's full state, for a checkpoint to store (not on the wire).</summary>
    [JsonIgnore]
    public RiskState? RiskState { get; init; }
}

/// <summary>A runner's risk limits as the dashboard shows them: the limits, whether entries are blocked for the day, and the refusals per limit.</summary>
public sealed record RiskSnapshot(
    RiskLimits Limits,
    bool EntriesBlocked,
    double DayStartEquity,
    double PeakEquity,
    IReadOnlyDictionary<string, long> Rejections)
{
    /// <summary>The snapshot of <paramref name="guard"/> over <paramref name="limits"/>; null without limits.</summary>
    public static RiskSnapshot? Of(RiskLimits? limits, RiskGuard? guard)
    {
        if (limits is null) return null;
        if (guard is null) return new RiskSnapshot(limits, false, 0, 0, new Dictionary<string, long>());
        return new RiskSnapshot(limits, guard.EntriesBlocked, guard.DayStartEquity, guard.PeakEquity, RejectionCounts(guard));
    }

    /// <summary>
    /// Refused entries by limit name, for every limit set that refuses entries (the maximum drawdown stops instead), and the
    /// engine-wide refusals (halt, max_total_notional, max_open_positions) once there was one.
    /// </summary>
    public static Dictionary<string, long> RejectionCounts(RiskGuard guard)
    {
        var limits = guard.Limits;
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var shared in (ReadOnlySpan<RiskLimit>)[RiskLimit.Halt, RiskLimit.MaxTotalNotional, RiskLimit.MaxOpenPositions])
            if (guard.Rejections(shared) > 0) counts[RiskNames.Of(shared)] = guard.Rejections(shared);
        if (limits.MaxPositionNotional is not null) counts[RiskNames.Of(RiskLimit.MaxPositionNotional)] = guard.Rejections(RiskLimit.MaxPositionNotional);
        if (limits.MaxQuantity is not null) counts[RiskNames.Of(RiskLimit.MaxQuantity)] = guard.Rejections(RiskLimit.MaxQuantity);
        if (limits.MaxEntriesPerHour is not null) counts[RiskNames.Of(RiskLimit.MaxEntriesPerHour)] = guard.Rejections(RiskLimit.MaxEntriesPerHour);
        if (limits.DailyLossLimit is not null) counts[RiskNames.Of(RiskLimit.DailyLossLimit)] = guard.Rejections(RiskLimit.DailyLossLimit);
        return counts;
    }
}

/// <summary>A paper account as the dashboard shows it: its settings and where it stands (equity with the position marked at the last close).</summary>
public sealed record AccountSnapshot(
    double InitialCapital,
    double FeeBps,
    double SlippageBps,
    FillTiming Fill,
    StopTiming Stops,
    double Equity,
    double Cash,
    double RealizedPnl,
    double FeesPaid)
{
    /// <summary>The account of <paramref name="account"/> with <paramref name="open"/> marked at its current price.</summary>
    public static AccountSnapshot Of(PaperAccount account, Position? open)
    {
        var s = account.Settings;
        return new AccountSnapshot(s.InitialCapital, s.FeeBps, s.SlippageBps, s.Fill, s.Stops,
            account.Equity(open), account.Cash(open), account.RealizedPnl, account.FeesPaid);
    }
}
