using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Strategies;

/// <summary>What one strategy call produced.</summary>
public enum StrategySignal
{
    /// <summary>nil, or a table without an action: nothing to do.</summary>
    None,
    /// <summary>detect_opportunity returned a table (merged into context): Idle → Analyzing.</summary>
    Opportunity,
    /// <summary>filter_commitment or manage_position returned an action table.</summary>
    Action,
    /// <summary>The call failed; <see cref="StrategyResult.Error"/> says why and where.</summary>
    Error,
}

/// <summary>The outcome of one tick's strategy call; a value type so the per-tick path allocates nothing.</summary>
public readonly record struct StrategyResult(StrategySignal Signal, TradingAction Action = default, string? Error = null)
{
    /// <summary>Nothing to do.</summary>
    public static StrategyResult None => default;

    /// <summary>An opportunity was detected.</summary>
    public static StrategyResult Opportunity => new(StrategySignal.Opportunity);

    /// <summary>The call failed with <paramref name="error"/>.</summary>
    public static StrategyResult Failed(string error) => new(StrategySignal.Error, Error: error);
}
