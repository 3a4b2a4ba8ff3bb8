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
    IReadOnlyDictionary<string, object> Params);

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
