namespace Tickrunner.Engine.Trading;

/// <summary>Why a position was closed.</summary>
public enum ExitTrigger
{
    /// <summary>The strategy returned an exit action.</summary>
    Strategy,
    /// <summary>The close reached the stop-loss.</summary>
    StopLoss,
    /// <summary>The close reached the take-profit.</summary>
    TakeProfit,
    /// <summary>A backtest's data ended with the position open.</summary>
    EndOfData,
    /// <summary>A risk limit closed it: the daily loss limit with flattening, or the maximum drawdown.</summary>
    RiskLimit,
}

/// <summary>What one state-machine step did: executed or rejected (with why), and what changed.</summary>
public readonly record struct ActionResult
{
    /// <summary>True when the action was carried out.</summary>
    public bool Executed { get; init; }
    /// <summary>Why the action was refused; null when executed or when nothing was asked.</summary>
    public string? Rejection { get; init; }
    /// <summary>The state change this step made, if any.</summary>
    public Transition? Transition { get; init; }
    /// <summary>The position this step opened, if any (the live object).</summary>
    public Position? Opened { get; init; }
    /// <summary>The position this step closed, if any; its exit fields are set.</summary>
    public Position? Closed { get; init; }
    /// <summary>What closed <see cref="Closed"/>.</summary>
    public ExitTrigger? ExitTrigger { get; init; }
    /// <summary>The rejection is a risk limit's (<see cref="RiskGuard"/>): the guard's hits say which and by how much.</summary>
    public bool RiskRefused { get; init; }
    /// <summary>The entry or exit was accepted and waits for the next bar's open (<c>fill = next_open</c>).</summary>
    public bool Queued { get; init; }
    /// <summary>The entry fee of <see cref="Opened"/> or of <see cref="Closed"/>.</summary>
    public double EntryFee { get; init; }
    /// <summary>The exit fee of <see cref="Closed"/>.</summary>
    public double ExitFee { get; init; }
    /// <summary>The net P&amp;L of <see cref="Closed"/>: gross P&amp;L at the fill prices less both fees.</summary>
    public double NetPnl { get; init; }

    /// <summary>Nothing happened.</summary>
    public static ActionResult None => default;

    /// <summary>True when the step was refused.</summary>
    public bool IsRejected => Rejection is not null;

    internal static ActionResult Reject(string why) => new() { Rejection = why };
}
