using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;
using Tickrunner.Engine.Wire;

namespace Tickrunner.Engine.Tests;

/// <summary>plot(): what reaches the Plot event and its JSON, the limits and the errors (with their line), and no allocation per bar.</summary>
public class LuaPlotTests
{
    private static LuaStrategy With(string detect, string top = "") =>
        LuaStrategy.FromCode("plotter", $"""
            {top}
            function detect_opportunity(market_data, context, indicators)
            {detect}
            end
            function filter_commitment(market_data, context, indicators) return nil end
            function manage_position(market_data, context, indicators) return nil end
            """);

    // Runs bars 100, 101, … through a step with a sink; returns the events.
    private static List<RunnerEvent> Run(LuaStrategy strategy, int bars)
    {
        var sink = new CollectingSink();
        var step = new RunnerStep(EngineTestKit.Definition("p", strategy: "plotter"), strategy, sink, new BarTimeClock(), NullLogger.Instance);
        for (var i = 0; i < bars; i++) step.Process(EngineTestKit.Bar("BTCUSDT", 60_000L * (i + 1), 100 + i), 0);
        return sink.Snapshot();
    }

    [Fact]
    public void Values_plotted_on_a_bar_reach_one_Plot_event_after_the_bars_other_events_with_the_series_layout()
    {
        using var s = With("""
              plot("close", market_data.close)
              plot("rsi", indicators.rsi(3), { pane = "own", color = "#A78BFA", lines = { 30, 70 } })
              plot("half", market_data.close / 2, { pane = "osc" })
              plot("close", market_data.close + 1) -- the last value of a bar wins
            """);
        var events = Run(s, 5);
        var plots = events.Where(e => e.Kind == RunnerEventKind.Plot).ToList();
        Assert.Equal(5, plots.Count); // one per bar
        Assert.Equal(RunnerEventKind.Plot, events[^1].Kind);

        var layout = plots[^1].PlotLayout!;
        Assert.Equal(["close", "rsi", "half"], layout.Series.Select(x => x.Name));
        Assert.Equal(("overlay", PlotLimits.Palette[0], 0), (layout.Series[0].Pane, layout.Series[0].Color, layout.Series[0].Lines.Length));
        Assert.Equal(("rsi", "#a78bfa"), (layout.Series[1].Pane, layout.Series[1].Color));
        Assert.Equal([30.0, 70.0], layout.Series[1].Lines.ToArray());
        Assert.Equal("osc", layout.Series[2].Pane);
        Assert.Same(layout, plots[^2].PlotLayout); // replaced only when a new series appears

        // RSI(3) is nil on the first 3 bars: no rsi value then, the others are there.
        Assert.Equal(0b101, plots[0].PlotMask);
        Assert.Equal(0b111, plots[^1].PlotMask);
        Assert.Equal(105, plots[^1].PlotValue(0));
        Assert.Equal(100, plots[^1].PlotValue(1)); // rising closes: RSI 100
        Assert.Equal(52, plots[^1].PlotValue(2));
        Assert.Equal(5 * 60_000, plots[^1].PlotBarTime);
        Assert.Equal("BTCUSDT", plots[^1].Symbol);
    }

    [Fact]
    public void A_strategy_that_does_not_plot_emits_no_Plot_event_and_a_backtest_ignores_plots()
    {
        using var quiet = With("return nil");
        Assert.DoesNotContain(Run(quiet, 3), e => e.Kind == RunnerEventKind.Plot);

        using var s = With("plot('close', market_data.close)");
        var step = new RunnerStep(EngineTestKit.Definition("b", strategy: "plotter"), s, events: null, new BarTimeClock(), NullLogger.Instance);
        for (var i = 0; i < 3; i++) Assert.Null(step.Process(EngineTestKit.Bar("BTCUSDT", 60_000L * (i + 1), 100), 0));
        Assert.Equal(0, step.Errors);
    }

    [Fact]
    public void The_Plot_event_is_written_as_its_values_by_name_and_every_series()
    {
        using var s = With("""
              plot("ema_fast", market_data.close, { color = "#112233" })
              plot("rsi", nil, { pane = "own", lines = { 30, 70.5 } })
            """);
        var plot = Run(s, 1).Single(e => e.Kind == RunnerEventKind.Plot);
        var json = JsonDocument.Parse(EventJson.Serialize(plot, 42)).RootElement.GetProperty("Plot");
        Assert.Equal("p", json.GetProperty("runner_id").GetString());
        Assert.Equal("BTCUSDT", json.GetProperty("symbol").GetString());
        Assert.Equal(60_000, json.GetProperty("bar_timestamp").GetInt64());
        Assert.Equal("""{"ema_fast":100}""", json.GetProperty("values").GetRawText());
        Assert.Equal("""[{"name":"ema_fast","pane":"overlay","color":"#112233","lines":[]},{"name":"rsi","pane":"rsi","color":"#38bdf8","lines":[30,70.5]}]""",
            json.GetProperty("series").GetRawText());
        Assert.Equal(60_000, json.GetProperty("timestamp").GetInt64());
        Assert.Equal(42, json.GetProperty("seq").GetInt64());
        Assert.True(EventJson.TryParseKind("Plot", out var kind) && kind == RunnerEventKind.Plot);
        Assert.Contains(RunnerEventKind.Plot, StreamRequests.ParseFilter([], [], ["Plot"], out var error).Kinds);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("plot(1, 2)", "plot: the name must be a string of 1 to 32 letters, digits or _, got number")]
    [InlineData("plot('', 2)", "plot: the name must be 1 to 32 letters, digits or _, got ''")]
    [InlineData("plot('a b', 2)", "plot: the name must be 1 to 32 letters, digits or _, got 'a b'")]
    [InlineData("plot(string.rep('x', 33), 2)", "plot: the name must be 1 to 32 letters, digits or _, got 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'")]
    [InlineData("plot('v', 0/0)", "plot: the value of 'v' must be a finite number or nil, got nan")]
    [InlineData("plot('v', math.huge)", "plot: the value of 'v' must be a finite number or nil, got inf")]
    [InlineData("plot('v', '1.5')", "plot: the value of 'v' must be a number or nil, got string")]
    [InlineData("plot('v', 1, 'own')", "plot: the options of 'v' must be a table or nil, got string")]
    [InlineData("plot('v', 1, { pane = 'x y' })", "plot: pane of 'v' must be \"overlay\", \"own\" or a pane name of 1 to 32 letters, digits or _, got 'x y'")]
    [InlineData("plot('v', 1, { pane = 3 })", "plot: pane of 'v' must be \"overlay\", \"own\" or a pane name of 1 to 32 letters, digits or _, got number")]
    [InlineData("plot('v', 1, { color = 'red' })", "plot: color of 'v' must be \"#rrggbb\", got 'red'")]
    [InlineData("plot('v', 1, { colour = '#ffffff' })", "plot: unknown option 'colour' for 'v' (options: pane, color, lines)")]
    [InlineData("plot('v', 1, { [1] = 2 })", "plot: the options of 'v' take pane, color and lines, not a number key")]
    [InlineData("plot('v', 1, { lines = {} })", "plot: lines of 'v' must be a list of 1 to 4 finite numbers, got 0 values")]
    [InlineData("plot('v', 1, { lines = {1, 2, 3, 4, 5} })", "plot: lines of 'v' must be a list of 1 to 4 finite numbers, got 5 values")]
    [InlineData("plot('v', 1, { lines = {1, 'x'} })", "plot: lines of 'v' must be a list of 1 to 4 finite numbers, and value 2 is a string")]
    [InlineData("plot('v', 1, { lines = {1, x = 2} })", "plot: lines of 'v' must be a list of 1 to 4 finite numbers, with no other keys")]
    [InlineData("plot('overlay', 1, { pane = 'own' })", "plot: a series named 'overlay' cannot have a pane of its own; pick another name")]
    public void Bad_arguments_fail_the_call_at_the_strategys_line(string call, string message)
    {
        using var s = With($"  local x = 1\n  {call}", top: "-- line 1");
        var result = s.OnTick(TradingState.Idle, LuaStrategyTests.Bar(1, 100), LuaStrategyTests.WindowOf(100));
        Assert.Equal(StrategySignal.Error, result.Signal);
        Assert.Equal($"detect_opportunity: plotter.lua:4: {message}", result.Error);
        Assert.Equal(0, s.PlotMask);
        Assert.Null(s.PlotLayout);
    }

    [Fact]
    public void At_most_seven_series_an_eighth_name_fails_at_its_line_and_the_others_still_plot()
    {
        using var s = With("""
              for i = 1, 7 do plot("s" .. i, i) end
              plot("s3", 33)
              if market_data.close > 100 then
                plot("eighth", 8)
              end
            """);
        var first = s.OnTick(TradingState.Idle, LuaStrategyTests.Bar(1, 100), LuaStrategyTests.WindowOf(100));
        Assert.Null(first.Error);
        Assert.Equal(0b111_1111, s.PlotMask);
        Assert.Equal(33, s.PlotValue(2));
        var second = s.OnTick(TradingState.Idle, LuaStrategyTests.Bar(2, 101), LuaStrategyTests.WindowOf(101));
        Assert.Equal("detect_opportunity: plotter.lua:6: plot: at most 7 series per strategy; 'eighth' would be an 8th (it has s1, s2, s3, s4, s5, s6, s7)", second.Error);
        Assert.Equal(7, s.PlotLayout!.Series.Length);
        Assert.Equal(0b111_1111, s.PlotMask); // what the bar plotted before the error
    }

    [Fact]
    public void A_hostile_loop_of_plots_is_still_stopped_by_the_instruction_budget()
    {
        using var s = LuaStrategy.FromCode("plotter", """
            function detect_opportunity() while true do plot("x", 1) end end
            function filter_commitment() end
            function manage_position() end
            """, new LuaSandboxOptions { InstructionBudget = 100_000 });
        var result = s.OnTick(TradingState.Idle, LuaStrategyTests.Bar(1, 100), LuaStrategyTests.WindowOf(100));
        Assert.Contains("instruction budget of 100,000 instructions per call exceeded", result.Error);
    }

    [Fact]
    public void Plotting_allocates_nothing_per_bar_once_the_series_exist()
    {
        using var s = With("""
              plot("close", market_data.close, FAST)
              plot("rsi", indicators.rsi(14), RSI)
            """, top: """FAST = { color = "#112233" } RSI = { pane = "own", lines = { 30, 70 } }""");
        var sink = new NullSink();
        var step = new RunnerStep(EngineTestKit.Definition("p", strategy: "plotter"), s, sink, new BarTimeClock(), NullLogger.Instance);
        var bars = Enumerable.Range(0, 2000).Select(i => EngineTestKit.Bar("BTCUSDT", 60_000L * (i + 1), 100 + Math.Sin(i / 5.0) * 5)).ToArray();
        for (var i = 0; i < 1000; i++) step.Process(bars[i], 0); // warm: the series exist, the JIT has run
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1000; i < 2000; i++) step.Process(bars[i], 0);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(2000, sink.Plots);
    }

    private sealed class NullSink : IEventSink
    {
        public int Plots;

        public void Emit(in RunnerEvent runnerEvent)
        {
            if (runnerEvent.Kind == RunnerEventKind.Plot) Plots++;
        }
    }

    [Theory]
    [InlineData("ema_crossover", "ema_fast:overlay:|ema_slow:overlay:")]
    [InlineData("rsi_mean_reversion", "rsi:rsi:30,40,50")]
    [InlineData("range_breakout", "range_high:overlay:|range_low:overlay:")]
    public void The_shipped_strategies_plot_what_they_decide_on(string name, string expected)
    {
        using var strategy = LuaStrategy.FromFile(ExampleStrategyTests.StrategyPath(name));
        var sink = new CollectingSink();
        var step = new RunnerStep(EngineTestKit.Definition("s", strategy: name), strategy, sink, new BarTimeClock(), NullLogger.Instance);
        var closes = Enumerable.Range(0, 200).Select(i => 100 + Math.Sin(i / 7.0) * 8 + i * 0.01).ToArray();
        for (var i = 0; i < closes.Length; i++) step.Process(EngineTestKit.Bar("BTCUSDT", 60_000L * (i + 1), closes[i]), 0);
        Assert.Equal(0, step.Errors);
        var plots = sink.Snapshot().Where(e => e.Kind == RunnerEventKind.Plot).ToList();
        Assert.Equal(closes.Length - (name == "ema_crossover" ? 9 : name == "range_breakout" ? 1 : 14), plots.Count); // from the first bar each is defined
        var layout = plots[^1].PlotLayout!;
        Assert.Equal(expected, string.Join("|", layout.Series.Select(x => $"{x.Name}:{x.Pane}:{string.Join(",", x.Lines)}")));
        // The values are the indicators the strategy reads on that bar.
        var window = closes.AsSpan(closes.Length - 100);
        var last = plots[^1];
        switch (name)
        {
            case "ema_crossover":
                Assert.Equal(Indicators.Ema.Last(window, 10)!.Value, last.PlotValue(0), 9);
                Assert.Equal(Indicators.Ema.Last(window, 20)!.Value, last.PlotValue(1), 9);
                break;
            case "rsi_mean_reversion":
                Assert.Equal(Indicators.Rsi.Last(window, 14)!.Value, last.PlotValue(0), 9);
                break;
            default:
                var previous = closes.AsSpan(closes.Length - 101, 100); // the window before this bar (Bar: high = close + 1, low = close - 1)
                Assert.Equal(previous.ToArray().Max() + 1, last.PlotValue(0), 9);
                Assert.Equal(previous.ToArray().Min() - 1, last.PlotValue(1), 9);
                break;
        }
    }
}
