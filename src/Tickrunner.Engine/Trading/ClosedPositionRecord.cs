namespace Tickrunner.Engine.Trading;

/// <summary>A closed position as plain values, for histories that keep many of them.</summary>
/// <remarks>
/// A runner keeps its last 1,000 trades. Kept as <see cref="Position"/> objects, every trade outlived a gen0
/// collection and was copied into the older generations (4 MB a collection at 8,000 trades/s, a 6–10 ms
/// pause); as values in a preallocated ring the position objects die young and nothing is scanned.
/// </remarks>
public readonly struct ClosedPositionRecord
{
    private readonly double _entryPrice, _quantity, _exitPrice, _entryFee, _exitFee;
    private readonly double? _stopLoss, _takeProfit; // values too: nothing here for the GC to trace
    private readonly long _entryTimestamp, _exitTimestamp;
    private readonly PositionSide _side;

    /// <summary>Copies a closed position.</summary>
    public ClosedPositionRecord(Position closed)
    {
        if (!closed.IsClosed) throw new ArgumentException("The position is still open.", nameof(closed));
        _side = closed.Side;
        _entryPrice = closed.EntryPrice;
        _quantity = closed.Quantity;
        _entryTimestamp = closed.EntryTimestamp;
        _exitPrice = closed.ExitPrice!.Value;
        _exitTimestamp = closed.ExitTimestamp!.Value;
        _stopLoss = closed.StopLoss;
        _takeProfit = closed.TakeProfit;
        _entryFee = closed.EntryFee;
        _exitFee = closed.ExitFee;
    }

    /// <summary>The position again (realized P&amp;L recomputed by the same formula, so it is the same value).</summary>
    public Position ToPosition()
    {
        var position = new Position(_side, _entryPrice, _quantity, _entryTimestamp, _stopLoss, _takeProfit);
        position.Close(_exitPrice, _exitTimestamp);
        position.EntryFee = _entryFee;
        position.ExitFee = _exitFee;
        return position;
    }
}
