using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Cluster.Runners;

/// <summary>A runner's risk limits as a grain call carries them (the engine's <see cref="RiskLimits"/>); a null limit is not checked.</summary>
[GenerateSerializer, Immutable]
public sealed record RiskSpec
{
    /// <summary>Largest notional (fill price × quantity) of one entry.</summary>
    [Id(0)] public double? MaxPositionNotional { get; init; }
    /// <summary>Largest quantity of one entry.</summary>
    [Id(1)] public double? MaxQuantity { get; init; }
    /// <summary>Most entries within any hour of bar time.</summary>
    [Id(2)] public int? MaxEntriesPerHour { get; init; }
    /// <summary>Loss of the UTC day at which entries stop until the next day.</summary>
    [Id(3)] public double? DailyLossLimit { get; init; }
    /// <summary>Also close the position when the daily loss limit is hit.</summary>
    [Id(4)] public bool FlattenOnDailyLoss { get; init; }
    /// <summary>Drawdown from the equity peak, in percent, at which the position is closed and the runner stops.</summary>
    [Id(5)] public double? MaxDrawdownPct { get; init; }

    /// <summary>The engine's limits.</summary>
    public RiskLimits ToLimits() => new()
    {
        MaxPositionNotional = MaxPositionNotional, MaxQuantity = MaxQuantity, MaxEntriesPerHour = MaxEntriesPerHour,
        DailyLossLimit = DailyLossLimit, FlattenOnDailyLoss = FlattenOnDailyLoss, MaxDrawdownPct = MaxDrawdownPct,
    };
}

/// <summary>What a runner's risk guard resumes with on another activation (the engine's <see cref="RiskState"/>), as stored.</summary>
[GenerateSerializer, Immutable]
public sealed record RiskStateView
{
    /// <summary>Bar time at which the next UTC day starts.</summary>
    [Id(0)] public long NextDay { get; init; }
    /// <summary>Equity when the day's first bar arrived.</summary>
    [Id(1)] public double DayStartEquity { get; init; }
    /// <summary>Entries are blocked until the next day (the daily loss limit was hit).</summary>
    [Id(2)] public bool EntriesBlocked { get; init; }
    /// <summary>The equity peak the drawdown is measured from (as of the last write: marks after it are not stored).</summary>
    [Id(3)] public double PeakEquity { get; init; }
    /// <summary>The drawdown limit stopped the runner.</summary>
    [Id(4)] public bool Stopped { get; init; }
    /// <summary>Bar times of the entries within the last hour, oldest first.</summary>
    [Id(5)] public long[] EntryTimes { get; init; } = [];
    /// <summary>Entries refused, by limit (the engine's <see cref="RiskLimit"/> order).</summary>
    [Id(6)] public long[] Rejections { get; init; } = [];

    /// <summary>The stored form of a guard's state; null for null.</summary>
    public static RiskStateView? Of(RiskState? state) => state is null ? null : new()
    {
        NextDay = state.NextDay, DayStartEquity = state.DayStartEquity, EntriesBlocked = state.EntriesBlocked,
        PeakEquity = state.PeakEquity, Stopped = state.Stopped, EntryTimes = [.. state.EntryTimes], Rejections = [.. state.Rejections],
    };

    /// <summary>The engine's state.</summary>
    public RiskState ToState() => new(NextDay, DayStartEquity, EntriesBlocked, PeakEquity, Stopped, EntryTimes, Rejections);
}

/// <summary>An entry or exit waiting for the runner's next bar (a manual one, or one queued for the next open), as stored, so that it survives a move.</summary>
[GenerateSerializer, Immutable]
public sealed record PendingActionView
{
    /// <summary>enter_long, enter_short or exit.</summary>
    [Id(0)] public required string Action { get; init; }
    /// <summary>The entry's quantity (0 for an exit).</summary>
    [Id(1)] public double Quantity { get; init; }
    /// <summary>The entry's stop.</summary>
    [Id(2)] public double? StopLoss { get; init; }
    /// <summary>The entry's target.</summary>
    [Id(3)] public double? TakeProfit { get; init; }
    /// <summary>The exit's reason (null: a manual exit).</summary>
    [Id(4)] public string? Reason { get; init; }
    /// <summary>The price the strategy gave (an order for the next open fills there, but the price must still be valid); 0 for a manual one.</summary>
    [Id(5)] public double Price { get; init; }

    /// <summary>The stored form of a waiting action.</summary>
    public static PendingActionView Of(in TradingAction action) => new()
    {
        Action = action.Name, Quantity = action.Quantity, StopLoss = action.StopLoss, TakeProfit = action.TakeProfit, Reason = action.Reason,
        Price = action.Price,
    };

    /// <summary>The engine's action (priced by the bar it fills on).</summary>
    public TradingAction ToAction() => Action switch
    {
        "enter_long" => TradingAction.EnterLong(Price, Quantity, StopLoss, TakeProfit),
        "enter_short" => TradingAction.EnterShort(Price, Quantity, StopLoss, TakeProfit),
        _ => TradingAction.Exit(Price, Reason ?? TickProcessor.ManualReason),
    };
}
