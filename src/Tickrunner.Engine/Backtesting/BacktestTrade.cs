using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Backtesting;

/// <summary>One closed trade of a backtest (docs/backtesting.md §5): fill prices, both fees, net P&amp;L and its return on the entry notional.</summary>
public sealed record BacktestTrade(
    PositionSide Side,
    long EntryTimestamp,
    double EntryPrice,
    long ExitTimestamp,
    double ExitPrice,
    double Quantity,
    double Fees,
    double Pnl,
    double ReturnPct,
    string Reason)
{
    /// <summary>The trade of a closed position.</summary>
    public static BacktestTrade Of(Position closed, string reason)
    {
        var net = closed.NetPnl ?? 0;
        return new BacktestTrade(closed.Side, closed.EntryTimestamp, closed.EntryPrice, closed.ExitTimestamp ?? 0, closed.ExitPrice ?? closed.CurrentPrice,
            closed.Quantity, closed.Fees, net, net / (closed.EntryPrice * closed.Quantity) * 100, reason);
    }
}
