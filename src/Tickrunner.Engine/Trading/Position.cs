using System.Text.Json.Serialization;

namespace Tickrunner.Engine.Trading;

/// <summary>An open or closed position and its P&amp;L (docs/engine-contract.md §3.4).</summary>
/// <remarks>Mutable so the per-tick price update allocates nothing; hand out <see cref="Clone"/> to readers.</remarks>
public sealed class Position
{
    /// <summary>Opens a position; throws when the price or quantity is not finite and positive.</summary>
    public Position(PositionSide side, double entryPrice, double quantity, long entryTimestamp,
        double? stopLoss = null, double? takeProfit = null, double entryFee = 0)
    {
        EntryFee = double.IsFinite(entryFee) && entryFee >= 0 ? entryFee : 0;
        if (!double.IsFinite(entryPrice) || entryPrice <= 0)
            throw new ArgumentOutOfRangeException(nameof(entryPrice), entryPrice, "Entry price must be a finite number > 0.");
        if (!double.IsFinite(quantity) || quantity <= 0)
            throw new ArgumentOutOfRangeException(nameof(quantity), quantity, "Quantity must be a finite number > 0.");
        Side = side;
        EntryPrice = entryPrice;
        Quantity = quantity;
        EntryTimestamp = entryTimestamp;
        CurrentPrice = entryPrice;
        StopLoss = stopLoss;
        TakeProfit = takeProfit;
    }

    private Position(Position other)
    {
        Side = other.Side;
        EntryPrice = other.EntryPrice;
        Quantity = other.Quantity;
        EntryTimestamp = other.EntryTimestamp;
        CurrentPrice = other.CurrentPrice;
        StopLoss = other.StopLoss;
        TakeProfit = other.TakeProfit;
        ExitPrice = other.ExitPrice;
        ExitTimestamp = other.ExitTimestamp;
        RealizedPnl = other.RealizedPnl;
        EntryFee = other.EntryFee;
        ExitFee = other.ExitFee;
    }

    /// <summary>Long or Short.</summary>
    public PositionSide Side { get; }
    /// <summary>Fill price of the entry.</summary>
    public double EntryPrice { get; }
    /// <summary>Size, always &gt; 0.</summary>
    public double Quantity { get; }
    /// <summary>Bar time of the entry (Unix ms).</summary>
    public long EntryTimestamp { get; }
    /// <summary>Latest close seen while open; the exit price once closed.</summary>
    public double CurrentPrice { get; private set; }
    /// <summary>Stop-loss price, if any.</summary>
    public double? StopLoss { get; internal set; }
    /// <summary>Take-profit price, if any.</summary>
    public double? TakeProfit { get; internal set; }
    /// <summary>Fill price of the exit; null while open.</summary>
    public double? ExitPrice { get; private set; }
    /// <summary>Bar time of the exit (Unix ms); null while open.</summary>
    public long? ExitTimestamp { get; private set; }
    /// <summary>P&amp;L at the exit; null while open.</summary>
    public double? RealizedPnl { get; private set; }

    /// <summary>The fee paid for the entry fill.</summary>
    public double EntryFee { get; internal set; }
    /// <summary>The fee paid for the exit fill (0 while open).</summary>
    public double ExitFee { get; internal set; }
    /// <summary>Both fees.</summary>
    public double Fees => EntryFee + ExitFee;
    /// <summary>P&amp;L after both fees (gross <see cref="RealizedPnl"/> − fees); null while open.</summary>
    public double? NetPnl => RealizedPnl - EntryFee - ExitFee;

    /// <summary>True once the position has been closed.</summary>
    [JsonIgnore]
    public bool IsClosed => ExitPrice.HasValue;

    /// <summary>P&amp;L at <see cref="CurrentPrice"/>: Long (price − entry) × qty, Short (entry − price) × qty.</summary>
    public double UnrealizedPnl => PnlAt(CurrentPrice);

    /// <summary>P&amp;L if the position were closed at <paramref name="price"/>.</summary>
    public double PnlAt(double price) => Side == PositionSide.Long
        ? (price - EntryPrice) * Quantity
        : (EntryPrice - price) * Quantity;

    /// <summary>True when <paramref name="close"/> reaches the stop (Long: ≤ stop, Short: ≥ stop).</summary>
    public bool IsStopHit(double close) => StopLoss is { } stop && (Side == PositionSide.Long ? close <= stop : close >= stop);

    /// <summary>True when <paramref name="close"/> reaches the target (Long: ≥ target, Short: ≤ target).</summary>
    public bool IsTargetHit(double close) => TakeProfit is { } target && (Side == PositionSide.Long ? close >= target : close <= target);

    /// <summary>A detached copy for snapshots and events.</summary>
    public Position Clone() => new(this);

    /// <summary>
    /// A position as read back from elsewhere (another process's event): marked at <paramref name="currentPrice"/> and, when
    /// <paramref name="exitPrice"/> is given, closed there at <paramref name="exitTimestamp"/>; its P&amp;L is worked out here
    /// exactly as when the engine marks or closes one.
    /// </summary>
    public static Position Rebuild(PositionSide side, double entryPrice, double quantity, long entryTimestamp, double? stopLoss,
        double? takeProfit, double entryFee, double currentPrice, double? exitPrice = null, long exitTimestamp = 0, double exitFee = 0)
    {
        var position = new Position(side, entryPrice, quantity, entryTimestamp, stopLoss, takeProfit, entryFee);
        if (exitPrice is { } exit) position.Close(exit, exitTimestamp);
        else position.MarkToMarket(currentPrice);
        position.ExitFee = exitFee;
        return position;
    }

    internal void MarkToMarket(double price) => CurrentPrice = price;

    internal void Close(double price, long timestamp)
    {
        CurrentPrice = price;
        ExitPrice = price;
        ExitTimestamp = timestamp;
        RealizedPnl = PnlAt(price);
    }
}
