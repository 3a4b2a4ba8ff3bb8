namespace Tickrunner.Engine.Trading;

/// <summary>What a strategy asks the state machine to do (docs/engine-contract.md §3.2).</summary>
public enum ActionKind
{
    /// <summary>Idle → Analyzing.</summary>
    StartAnalyzing,
    /// <summary>Analyzing → Idle.</summary>
    CancelAnalysis,
    /// <summary>Open a long position.</summary>
    EnterLong,
    /// <summary>Open a short position.</summary>
    EnterShort,
    /// <summary>Close the open position at a price.</summary>
    Exit,
    /// <summary>Move the stop-loss of the open position.</summary>
    UpdateStopLoss,
    /// <summary>Move the take-profit of the open position.</summary>
    UpdateTakeProfit,
}

/// <summary>An action with its fields; a value type so that building one per tick allocates nothing.</summary>
/// <param name="Kind">Which action.</param>
/// <param name="Price">Entry or exit price (enter_*, exit).</param>
/// <param name="Quantity">Position size (enter_*).</param>
/// <param name="StopLoss">Stop for an entry, or the new stop for update_stop_loss.</param>
/// <param name="TakeProfit">Target for an entry, or the new target for update_take_profit.</param>
/// <param name="Reason">Why, shown in transitions and events.</param>
public readonly record struct TradingAction(
    ActionKind Kind,
    double Price = 0,
    double Quantity = 0,
    double? StopLoss = null,
    double? TakeProfit = null,
    string? Reason = null)
{
    /// <summary>start_analyzing.</summary>
    public static TradingAction StartAnalyzing(string? reason = null) => new(ActionKind.StartAnalyzing, Reason: reason);

    /// <summary>cancel_analysis.</summary>
    public static TradingAction CancelAnalysis(string? reason = null) => new(ActionKind.CancelAnalysis, Reason: reason);

    /// <summary>enter_long.</summary>
    public static TradingAction EnterLong(double price, double quantity, double? stopLoss = null, double? takeProfit = null)
        => new(ActionKind.EnterLong, price, quantity, stopLoss, takeProfit);

    /// <summary>enter_short.</summary>
    public static TradingAction EnterShort(double price, double quantity, double? stopLoss = null, double? takeProfit = null)
        => new(ActionKind.EnterShort, price, quantity, stopLoss, takeProfit);

    /// <summary>exit.</summary>
    public static TradingAction Exit(double price, string? reason = null) => new(ActionKind.Exit, price, Reason: reason);

    /// <summary>update_stop_loss.</summary>
    public static TradingAction UpdateStopLoss(double newStop) => new(ActionKind.UpdateStopLoss, StopLoss: newStop);

    /// <summary>update_take_profit.</summary>
    public static TradingAction UpdateTakeProfit(double newTarget) => new(ActionKind.UpdateTakeProfit, TakeProfit: newTarget);

    /// <summary>The Lua/wire name of the action, e.g. "enter_long".</summary>
    public string Name => ActionNames.Of(Kind);
}

/// <summary>Maps actions to and from their Lua names.</summary>
public static class ActionNames
{
    private static readonly string[] Names =
        ["start_analyzing", "cancel_analysis", "enter_long", "enter_short", "exit", "update_stop_loss", "update_take_profit"];

    /// <summary>The Lua name of <paramref name="kind"/>.</summary>
    public static string Of(ActionKind kind) => Names[(int)kind];

    /// <summary>Parses a Lua action name; false for an unknown name.</summary>
    public static bool TryParse(ReadOnlySpan<char> name, out ActionKind kind)
    {
        for (var i = 0; i < Names.Length; i++)
        {
            if (name.SequenceEqual(Names[i]))
            {
                kind = (ActionKind)i;
                return true;
            }
        }
        kind = default;
        return false;
    }

    /// <summary>Every Lua action name, in enum order.</summary>
    public static IReadOnlyList<string> All => Names;
}
