using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Runners;

/// <summary>What one tick did: the strategy's answer, the state machine's response, and any stop/target exit.</summary>
public readonly record struct TickOutcome(StrategyResult Strategy, ActionResult Action, ActionResult Exit);

/// <summary>
/// One runner's synchronous per-tick pipeline: push the bar, call the strategy for the state before the tick,
/// apply its answer through the state machine, then mark the position to the close (stop first, then target).
/// Live runners and backtests share it; it knows nothing of threads or events.
/// </summary>
public sealed class TickProcessor(LuaStrategy strategy, int windowSize)
{
    /// <summary>The runner's bars.</summary>
    public MarketDataWindow Window { get; } = new(windowSize);

    /// <summary>The runner's state machine.</summary>
    public StateMachine Machine { get; } = new();

    /// <summary>The strategy called on each tick.</summary>
    public LuaStrategy Strategy { get; } = strategy;

    /// <summary>Processes one bar.</summary>
    public TickOutcome Process(in MarketData bar)
    {
        Window.Push(bar);
        var result = Strategy.OnTick(Machine.State, bar, Window);
        var action = result.Signal switch
        {
            StrategySignal.Opportunity => Machine.DetectOpportunity(bar.Timestamp),
            StrategySignal.Action => Machine.Apply(result.Action, bar.Timestamp),
            _ => ActionResult.None,
        };
        var exit = Machine.MarkToMarket(bar.Close, bar.Timestamp);
        return new TickOutcome(result, action, exit);
    }
}
