using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Tests;

/// <summary>Declared parameters: what a declaration may say, the values callbacks read, and overrides checked against them.</summary>
public class StrategyParameterTests
{
    private const string Callbacks = """
        function detect_opportunity(md, ctx)
          return { fast = params.fast, stop = params.stop, mode = params.mode, fast_type = math.type(params.fast) }
        end
        function filter_commitment() return nil end
        function manage_position() return nil end
        """;

    private const string Declared = """
        params = {
          fast = { default = 10, min = 2, max = 50, step = 1 },
          stop = { default = 0.02, min = 0.005, max = 0.1, step = 0.005 },
          mode = { default = "trend", choices = { "trend", "revert" } },
        }
        """;

    private static LuaStrategy Load(string declaration) => LuaStrategy.FromCode("p", declaration + "\n" + Callbacks);

    // The context after one Idle tick: what detect_opportunity read from params.
    private static IReadOnlyDictionary<string, object> Seen(LuaStrategy strategy)
    {
        var window = LuaStrategyTests.WindowOf(100);
        Assert.Equal(StrategySignal.Opportunity, strategy.OnTick(TradingState.Idle, window.Latest!.Value, window).Signal);
        return strategy.ContextScalars();
    }

    private static StrategyLoadException Refused(string declaration) =>
        Assert.Throws<StrategyLoadException>(() => Load(declaration).Dispose());

    [Fact]
    public void Declarations_are_read_in_name_order_with_their_kinds_and_callbacks_see_the_defaults()
    {
        using var strategy = Load(Declared);
        Assert.Equal(["fast", "mode", "stop"], strategy.Parameters.Select(p => p.Name));
        var fast = strategy.Parameters[0];
        Assert.Equal(ParameterKind.Integer, fast.Kind);
        Assert.Equal(10L, fast.Default);
        Assert.Equal((2.0, 50.0, 1.0), (fast.Min!.Value, fast.Max!.Value, fast.Step!.Value));
        Assert.Equal(2, fast.Line);
        Assert.Equal(ParameterKind.Number, strategy.Parameters[2].Kind);
        Assert.Equal(0.02, strategy.Parameters[2].Default);
        Assert.Equal(ParameterKind.Choice, strategy.Parameters[1].Kind);
        Assert.Equal(["trend", "revert"], strategy.Parameters[1].Choices!);
        Assert.Equal(4, strategy.Parameters[1].Line);

        var seen = Seen(strategy);
        Assert.Equal(10L, seen["fast"]);
        Assert.Equal("integer", seen["fast_type"]); // an Integer parameter is a Lua integer
        Assert.Equal(0.02, seen["stop"]);
        Assert.Equal("trend", seen["mode"]);
    }

    [Fact]
    public void Overrides_replace_the_defaults_they_name_and_leave_the_others()
    {
        using var strategy = Load(Declared);
        strategy.SetParameters(new Dictionary<string, object> { ["fast"] = 12.0, ["mode"] = "revert" });
        var seen = Seen(strategy);
        Assert.Equal(12L, seen["fast"]);
        Assert.Equal("revert", seen["mode"]);
        Assert.Equal(0.02, seen["stop"]);
        Assert.Equal(12L, strategy.ParameterValues["fast"]);
        Assert.Equal(0.02, strategy.ParameterValues["stop"]);
    }

    [Theory]
    [InlineData("fast", 51.0, "params.fast must be between 2 and 50, got 51")]
    [InlineData("fast", 1.0, "params.fast must be between 2 and 50, got 1")]
    [InlineData("fast", 12.5, "params.fast must be an integer, got 12.5")]
    [InlineData("stop", 0.0125, "params.stop must be 0.005 plus a multiple of 0.005, got 0.0125")]
    [InlineData("stop", "high", "params.stop must be a number, got 'high'")]
    [InlineData("mode", "sideways", "params.mode must be one of 'trend', 'revert', got 'sideways'")]
    [InlineData("slow", 20.0, "p has no parameter 'slow'; it declares fast, mode, stop")]
    public void An_override_that_does_not_fit_is_refused_with_what_is_wrong_and_changes_nothing(string name, object value, string problem)
    {
        using var strategy = Load(Declared);
        var e = Assert.Throws<StrategyParameterException>(() =>
            strategy.SetParameters(new Dictionary<string, object> { ["fast"] = 20.0, [name] = value }));
        Assert.StartsWith(problem, e.Problems[$"params.{name}"]);
        Assert.Equal(10L, Seen(strategy)["fast"]); // the valid fast = 20 was not applied either
    }

    [Fact]
    public void Values_on_the_grid_at_both_ends_are_accepted()
    {
        using var strategy = Load(Declared);
        strategy.SetParameters(new Dictionary<string, object> { ["fast"] = 2L, ["stop"] = 0.1 });
        strategy.SetParameters(new Dictionary<string, object> { ["fast"] = 50.0, ["stop"] = 0.005 });
        Assert.Equal(50L, strategy.ParameterValues["fast"]);
    }

    [Fact]
    public void Without_params_nothing_changes_and_an_override_is_refused()
    {
        using var strategy = LuaStrategy.FromCode("plain", LuaStrategyTests.Empty);
        Assert.Empty(strategy.Parameters);
        strategy.SetParameters(null);
        var e = Assert.Throws<StrategyParameterException>(() => strategy.SetParameters(new Dictionary<string, object> { ["x"] = 1.0 }));
        Assert.Contains("declares no parameters", e.Problems["params.x"]);
    }

    [Theory]
    [InlineData("params = 5", 1, "params must be a table")]
    [InlineData("params = {\n  fast = 10,\n}", 2, "params.fast: a declaration is a table")]
    [InlineData("params = {\n  fast = { default = 10, min = 2 },\n}", 2, "default, min and max are required")]
    [InlineData("params = {\n  x = 1,\n  fast = { default = 10, min = 20, max = 5, step = 1 },\n}", 3, "min (20) is above max (5)")]
    [InlineData("params = {\n  fast = { default = 60, min = 2, max = 50, step = 1 },\n}", 2, "default must be between 2 and 50")]
    [InlineData("params = {\n  fast = { default = 10, min = 2, max = 50, step = 0 },\n}", 2, "step must be positive")]
    [InlineData("params = {\n  fast = { default = 10, mn = 2, max = 50 },\n}", 2, "unknown field 'mn'")]
    [InlineData("params = {\n  mode = { default = \"x\", choices = { \"a\", \"b\" } },\n}", 2, "default must be one of the choices ('a', 'b')")]
    [InlineData("params = {\n  mode = { default = \"a\", choices = {} },\n}", 2, "choices must list 1 to 100 values")]
    [InlineData("params = {\n  [\"1st\"] = { default = 1, min = 0, max = 2 },\n}", 2, "a parameter name is")]
    public void A_bad_declaration_fails_the_load_at_its_line(string declaration, int line, string message)
    {
        var e = Refused(declaration);
        var diagnostic = Assert.Single(e.Diagnostics, d => d.Message.Contains(message, StringComparison.Ordinal));
        Assert.Equal(line, diagnostic.Line);
    }

    [Theory]
    [InlineData("params = {}\nfor i = 1, 2000 do params[\"k\" .. i] = { default = 1, min = 0, max = 2 } end", "more than 64 parameters")]
    [InlineData("params = { string.byte(string.rep(\"a\", 10), 1, -1) }", "params keys must be names")]
    [InlineData("params = { fast = { default = 1, min = 0, max = 2, a = 1, b = 2, c = 3, d = 4, e = 5, f = 6 } }", "params.fast: unknown field")]
    public void A_huge_or_odd_params_table_gives_one_error_not_one_per_entry(string declaration, string message)
    {
        var e = Refused(declaration);
        var diagnostic = Assert.Single(e.Diagnostics);
        Assert.Contains(message, diagnostic.Message);
    }

    [Fact]
    public void A_number_without_a_step_is_continuous_and_not_an_integer()
    {
        using var strategy = Load("params = { fast = { default = 10, min = 2, max = 50 } }");
        Assert.Equal(ParameterKind.Number, strategy.Parameters[0].Kind);
        strategy.SetParameters(new Dictionary<string, object> { ["fast"] = 12.345 });
        Assert.Equal(12.345, Seen(strategy)["fast"]);
    }

    [Fact]
    public void A_backtest_runs_with_its_parameters_and_its_digest_says_so()
    {
        var code = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "strategies", "ema_crossover.lua"));
        var bars = Enumerable.Range(0, 3000).Select(i => LuaStrategyTests.Bar(i * 60_000L, 100 + 10 * Math.Sin(i / 40.0) + (i % 7) * 0.1, 10 + i % 5)).ToList();
        var plain = Backtest.Run("ema_crossover", code, bars);
        var defaults = Backtest.Run("ema_crossover", code, bars, new BacktestSettings { Params = new Dictionary<string, object> { ["fast"] = 10.0 } });
        var faster = Backtest.Run("ema_crossover", code, bars, new BacktestSettings { Params = new Dictionary<string, object> { ["fast"] = 5.0, ["slow"] = 12.0 } });
        Assert.Equal(plain.TradesJson(), defaults.TradesJson()); // the default given explicitly trades the same
        Assert.NotEqual(plain.Report.Digest, defaults.Report.Digest); // but the inputs differ, and the digest says so
        Assert.NotEqual(plain.Trades.Count, faster.Trades.Count);
        Assert.Throws<StrategyParameterException>(() =>
            Backtest.Run("ema_crossover", code, bars, new BacktestSettings { Params = new Dictionary<string, object> { ["fast"] = 0.0 } }));
    }
}
