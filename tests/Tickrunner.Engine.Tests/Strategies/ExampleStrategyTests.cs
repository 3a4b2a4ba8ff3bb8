using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Tests;

/// <summary>The shipped strategies on scripted, deterministic series: each enters and exits at least once.</summary>
public class ExampleStrategyTests
{
    internal static string StrategyPath(string name) => Path.Combine(AppContext.BaseDirectory, "strategies", name + ".lua");

    private sealed record Run(List<Position> Opened, List<(Position Position, ExitTrigger Trigger)> Closed, List<string> Errors, List<Transition> Transitions);

    private static Run Drive(string name, IEnumerable<(double Close, double Volume)> series)
    {
        using var strategy = LuaStrategy.FromFile(StrategyPath(name));
        var processor = new TickProcessor(strategy, 100);
        var run = new Run([], [], [], []);
        var t = 0L;
        foreach (var (close, volume) in series)
        {
            var outcome = processor.Process(LuaStrategyTests.Bar(t += 60_000, close, volume));
            if (outcome.Strategy.Error is { } error) run.Errors.Add(error);
            foreach (var step in new[] { outcome.Action, outcome.Exit })
            {
                if (step.Transition is { } tr) run.Transitions.Add(tr);
                if (step.Opened is { } opened) run.Opened.Add(opened.Clone());
                if (step.Closed is { } closed) run.Closed.Add((closed.Clone(), step.ExitTrigger!.Value));
            }
        }
        return run;
    }

    private static IEnumerable<(double, double)> Ramp(double from, double to, int bars, double volume = 10) =>
        Enumerable.Range(1, bars).Select(i => (from + (to - from) * i / bars, volume));

    [Fact]
    public void Ema_crossover_enters_on_a_bullish_cross_and_exits()
    {
        var series = Ramp(110, 100, 40).Concat(Ramp(100, 115, 30)).Concat(Ramp(115, 95, 40));
        var run = Drive("ema_crossover", series);
        Assert.Empty(run.Errors);
        var entry = Assert.Single(run.Opened);
        Assert.Equal(PositionSide.Long, entry.Side);
        Assert.Equal(0.1, entry.Quantity);
        Assert.Equal(entry.EntryPrice * 0.98, entry.StopLoss!.Value, 9);
        Assert.Equal(entry.EntryPrice * 1.05, entry.TakeProfit!.Value, 9);
        var (closed, _) = Assert.Single(run.Closed);
        Assert.NotNull(closed.RealizedPnl);
        Assert.Contains(run.Transitions, t => t.Reason == StateMachine.OpportunityReason);
    }

    [Fact]
    public void Rsi_mean_reversion_buys_oversold_tightens_the_stop_and_exits_at_50()
    {
        var calm = Enumerable.Range(0, 30).Select(i => (i % 2 == 0 ? 100.0 : 101.0, 10.0));
        var series = calm.Concat(Ramp(100, 80, 20)).Concat(Ramp(80, 92, 20));
        var run = Drive("rsi_mean_reversion", series);
        Assert.Empty(run.Errors);
        var entry = Assert.Single(run.Opened);
        Assert.Equal(0.15, entry.Quantity);
        Assert.Equal(entry.EntryPrice * 0.97, entry.StopLoss!.Value, 9);
        var (closed, trigger) = Assert.Single(run.Closed);
        Assert.Equal(ExitTrigger.Strategy, trigger);
        Assert.True(closed.StopLoss > entry.StopLoss, "the stop was tightened before the exit");
        Assert.True(closed.RealizedPnl > 0);
        Assert.Contains(run.Transitions, t => t.Reason == "RSI back at 50");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Range_breakout_trades_a_loud_break_and_exits_at_the_target(bool upward)
    {
        var range = Enumerable.Range(0, 120).Select(i => (i % 2 == 0 ? 99.0 : 101.0, 10.0)).ToList();
        var sign = upward ? 1 : -1;
        var breakout = new[] { (100 + sign * 3.0, 30.0), (100 + sign * 3.5, 12.0) };
        var run = Drive("range_breakout", range.Concat(breakout).Concat(Ramp(100 + sign * 3.5, 100 + sign * 14, 10)));
        Assert.Empty(run.Errors);
        var entry = Assert.Single(run.Opened);
        Assert.Equal(upward ? PositionSide.Long : PositionSide.Short, entry.Side);
        var rangeHigh = 101 * 1.01;
        var rangeLow = 99 * 0.99;
        Assert.Equal(upward ? rangeLow : rangeHigh, entry.StopLoss!.Value, 9);
        Assert.Equal(entry.EntryPrice + sign * 2 * (rangeHigh - rangeLow), entry.TakeProfit!.Value, 9);
        var (closed, trigger) = Assert.Single(run.Closed);
        Assert.Equal(ExitTrigger.TakeProfit, trigger);
        Assert.True(closed.RealizedPnl > 0);
    }

    [Fact]
    public void Range_breakout_ignores_a_quiet_break()
    {
        var range = Enumerable.Range(0, 120).Select(i => (i % 2 == 0 ? 99.0 : 101.0, 10.0));
        var run = Drive("range_breakout", range.Append((103.0, 10.0)).Append((103.5, 10.0)));
        Assert.Empty(run.Opened);
    }

    [Fact]
    public void Shipped_strategies_validate_clean()
    {
        foreach (var name in new[] { "ema_crossover", "rsi_mean_reversion", "range_breakout" })
            Assert.Empty(LuaStrategy.Validate(File.ReadAllText(StrategyPath(name)), name));
    }
}
