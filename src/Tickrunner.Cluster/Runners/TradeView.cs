using Tickrunner.Engine.Trading;

namespace Tickrunner.Cluster.Runners;

/// <summary>A closed trade as the cluster stores and answers it.</summary>
[GenerateSerializer, Immutable]
public sealed record TradeView
{
    /// <summary>long or short.</summary>
    [Id(0)] public required string Side { get; init; }
    /// <summary>Fill price of the entry.</summary>
    [Id(1)] public double EntryPrice { get; init; }
    /// <summary>Size.</summary>
    [Id(2)] public double Quantity { get; init; }
    /// <summary>Bar time of the entry (Unix ms).</summary>
    [Id(3)] public long EntryTimestamp { get; init; }
    /// <summary>Fill price of the exit.</summary>
    [Id(4)] public double ExitPrice { get; init; }
    /// <summary>Bar time of the exit (Unix ms).</summary>
    [Id(5)] public long ExitTimestamp { get; init; }
    /// <summary>P&amp;L before fees.</summary>
    [Id(6)] public double RealizedPnl { get; init; }
    /// <summary>Entry and exit fees.</summary>
    [Id(7)] public double Fees { get; init; }
    /// <summary>Why it closed (strategy, stop_loss, take_profit, manual, …); null in trades stored before reasons were.</summary>
    [Id(8)] public string? Reason { get; init; }

    /// <summary>A closed engine position as a trade.</summary>
    public static TradeView Of(Position closed) => new()
    {
        Side = PositionView.SideName(closed.Side),
        EntryPrice = closed.EntryPrice,
        Quantity = closed.Quantity,
        EntryTimestamp = closed.EntryTimestamp,
        ExitPrice = closed.ExitPrice ?? closed.CurrentPrice,
        ExitTimestamp = closed.ExitTimestamp ?? 0,
        RealizedPnl = closed.RealizedPnl ?? 0,
        Fees = closed.Fees,
    };
}

/// <summary>An open position as the cluster stores and answers it; enough to give the engine back the same position.</summary>
[GenerateSerializer, Immutable]
public sealed record PositionView
{
    /// <summary>long or short.</summary>
    [Id(0)] public required string Side { get; init; }
    /// <summary>Fill price of the entry.</summary>
    [Id(1)] public double EntryPrice { get; init; }
    /// <summary>Size.</summary>
    [Id(2)] public double Quantity { get; init; }
    /// <summary>Bar time of the entry (Unix ms).</summary>
    [Id(3)] public long EntryTimestamp { get; init; }
    /// <summary>Stop-loss price, if any.</summary>
    [Id(4)] public double? StopLoss { get; init; }
    /// <summary>Take-profit price, if any.</summary>
    [Id(5)] public double? TakeProfit { get; init; }
    /// <summary>The fee paid for the entry fill.</summary>
    [Id(6)] public double EntryFee { get; init; }
    /// <summary>The latest close seen while open.</summary>
    [Id(7)] public double CurrentPrice { get; init; }
    /// <summary>P&amp;L at <see cref="CurrentPrice"/>.</summary>
    [Id(8)] public double UnrealizedPnl { get; init; }

    /// <summary>An open engine position.</summary>
    public static PositionView Of(Position open) => new()
    {
        Side = SideName(open.Side),
        EntryPrice = open.EntryPrice,
        Quantity = open.Quantity,
        EntryTimestamp = open.EntryTimestamp,
        StopLoss = open.StopLoss,
        TakeProfit = open.TakeProfit,
        EntryFee = open.EntryFee,
        CurrentPrice = open.CurrentPrice,
        UnrealizedPnl = open.UnrealizedPnl,
    };

    /// <summary>The engine's position again (marked at its entry until the next bar marks it).</summary>
    public Position ToPosition() =>
        new(Side == "short" ? PositionSide.Short : PositionSide.Long, EntryPrice, Quantity, EntryTimestamp, StopLoss, TakeProfit, EntryFee);

    /// <summary>The wire name of a side.</summary>
    public static string SideName(PositionSide side) => side == PositionSide.Short ? "short" : "long";
}

/// <summary>A runner's closed trades as one read: how many it closed since it was defined, and the newest ones kept, oldest first.</summary>
[GenerateSerializer, Immutable]
public sealed record TradeHistoryView(
    [property: Id(0)] string Symbol,
    [property: Id(1)] long ClosedTrades,
    [property: Id(2)] TradeView[] Trades);
