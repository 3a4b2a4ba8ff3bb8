namespace Tickrunner.Engine.Trading;

/// <summary>
/// A paper account: fill prices with slippage, fees, and the cash, equity and realized P&amp;L that follow
/// (docs/backtesting.md §2). One per runner and per backtest; the same arithmetic for both.
/// </summary>
/// <remarks>
/// Equity = initial capital + Σ net P&amp;L of closed trades + unrealized P&amp;L of the open position − its entry fee.
/// Cash is the equity not tied up in the open position: its entry notional is reserved (no leverage, shorts
/// alike), so cash = equity − entry notional − unrealized P&amp;L.
/// </remarks>
public sealed class PaperAccount(AccountSettings settings)
{
    private readonly double _slippage = settings.SlippageBps / 10_000;
    private readonly double _feeRate = settings.FeeBps / 10_000;

    /// <summary>The settings.</summary>
    public AccountSettings Settings { get; } = settings;

    /// <summary>Cash at the start.</summary>
    public double InitialCapital => Settings.InitialCapital;

    /// <summary>Σ net P&amp;L of closed trades.</summary>
    public double RealizedPnl { get; private set; }

    /// <summary>Σ fees paid, entries and exits.</summary>
    public double FeesPaid { get; private set; }

    /// <summary>The fee paid to open the position still open (0 when flat).</summary>
    public double OpenEntryFee { get; private set; }

    /// <summary>The fill price of a buy whose reference price is <paramref name="price"/>.</summary>
    public double BuyPrice(double price) => price * (1 + _slippage);

    /// <summary>The fill price of a sell whose reference price is <paramref name="price"/>.</summary>
    public double SellPrice(double price) => price * (1 - _slippage);

    /// <summary>The fill price of an entry on <paramref name="side"/> (a long buys, a short sells).</summary>
    public double EntryPrice(PositionSide side, double price) => side == PositionSide.Long ? BuyPrice(price) : SellPrice(price);

    /// <summary>The fill price of closing a position on <paramref name="side"/> (a long sells, a short buys back).</summary>
    public double ExitPrice(PositionSide side, double price) => side == PositionSide.Long ? SellPrice(price) : BuyPrice(price);

    /// <summary>The fee of a fill of <paramref name="notional"/>.</summary>
    public double Fee(double notional) => notional * _feeRate;

    /// <summary>Equity with <paramref name="open"/> marked at its current price.</summary>
    public double Equity(Position? open) => InitialCapital + RealizedPnl + (open is null ? 0 : open.UnrealizedPnl - OpenEntryFee);

    /// <summary>Cash: equity less what the open position holds.</summary>
    public double Cash(Position? open) => InitialCapital + RealizedPnl - (open is null ? 0 : OpenEntryFee + open.EntryPrice * open.Quantity);

    /// <summary>Records the fee of an entry that filled.</summary>
    public void Opened(double fee)
    {
        OpenEntryFee = fee;
        FeesPaid += fee;
    }

    /// <summary>Records a closed position and its exit fee; returns the trade's net P&amp;L (gross − both fees).</summary>
    public double Closed(Position closed, double exitFee)
    {
        var net = (closed.RealizedPnl ?? 0) - OpenEntryFee - exitFee;
        RealizedPnl += net;
        FeesPaid += exitFee;
        OpenEntryFee = 0;
        return net;
    }

    /// <summary>Restores the account after a restart.</summary>
    public void Restore(double realizedPnl, double feesPaid, double openEntryFee)
    {
        RealizedPnl = realizedPnl;
        FeesPaid = feesPaid;
        OpenEntryFee = openEntryFee;
    }
}
