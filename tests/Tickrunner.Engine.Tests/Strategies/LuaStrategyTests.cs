using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Tests;

public class LuaStrategyTests
{
    internal const string Empty = """
        function detect_opportunity(market_data, context, indicators) return nil end
        function filter_commitment(market_data, context, indicators) return nil end
        function manage_position(market_data, context, indicators) return nil end
        """;

    internal static Engine.MarketData Bar(long t, double close, double volume = 10) =>
        new("BTCUSDT", t, close, close * 1.01, close * 0.99, close, volume, close - 0.5, close + 0.5);

    internal static MarketDataWindow WindowOf(params double[] closes)
    {
        var w = new MarketDataWindow(100);
        for (var i = 0; i < closes.Length; i++) w.Push(Bar(i, closes[i]));
        return w;
    }

    private static StrategyResult Tick(LuaStrategy s, TradingState state, double close = 100, MarketDataWindow? window = null)
    {
        window ??= WindowOf(close);
        return s.OnTick(state, window.Latest!.Value, window);
    }

    private static LuaStrategy With(string detect = "return nil", string filter = "return nil", string manage = "return nil", string top = "") =>
        LuaStrategy.FromCode("test", $"""
            {top}
            function detect_opportunity(market_data, context, indicators) {detect} end
            function filter_commitment(market_data, context, indicators) {filter} end
            function manage_position(market_data, context, indicators) {manage} end
            """);

    [Fact]
    public void Calls_the_function_of_the_state_before_the_tick()
    {
        using var s = With(detect: "context.called = 'detect'", filter: "context.called = 'filter'", manage: "context.called = 'manage'");
        Tick(s, TradingState.Idle);
        Assert.Equal("detect", s.ContextScalars()["called"]);
        Tick(s, TradingState.Analyzing);
        Assert.Equal("filter", s.ContextScalars()["called"]);
        Tick(s, TradingState.InPosition);
        Assert.Equal("manage", s.ContextScalars()["called"]);
    }

    [Fact]
    public void Market_data_carries_every_field_and_mid_price()
    {
        using var s = With(detect: """
            context.seen = string.format("%s|%d|%g|%g|%g|%g|%g|%g|%g|%g", market_data.symbol, market_data.timestamp,
              market_data.open, market_data.high, market_data.low, market_data.close, market_data.volume,
              market_data.bid, market_data.ask, market_data.mid_price)
            context.ts_is_integer = math.type(market_data.timestamp) == "integer"
            """);
        var window = new MarketDataWindow(10);
        var bar = new Engine.MarketData("ETHUSDT", 1_700_000_000_123, 10, 12, 9, 11, 5.5, 10.9, 11.3);
        window.Push(bar);
        s.OnTick(TradingState.Idle, bar, window);
        Assert.Equal("ETHUSDT|1700000000123|10|12|9|11|5.5|10.9|11.3|11.1", s.ContextScalars()["seen"]);
        Assert.Equal(true, s.ContextScalars()["ts_is_integer"]);
    }

    [Fact]
    public void Context_persists_across_ticks_and_states()
    {
        using var s = With(detect: "context.n = (context.n or 0) + 1", manage: "context.n = context.n * 10");
        Tick(s, TradingState.Idle);
        Tick(s, TradingState.Idle);
        Tick(s, TradingState.InPosition);
        Assert.Equal(20L, s.ContextScalars()["n"]);
    }

    [Fact]
    public void Detect_table_is_merged_into_context_and_signals_an_opportunity()
    {
        using var s = With(detect: "return { reason_seen = 'cross', level = 1.5, strong = true }", top: "");
        var r = Tick(s, TradingState.Idle);
        Assert.Equal(StrategySignal.Opportunity, r.Signal);
        var ctx = s.ContextScalars();
        Assert.Equal("cross", ctx["reason_seen"]);
        Assert.Equal(1.5, ctx["level"]);
        Assert.Equal(true, ctx["strong"]);
    }

    [Fact]
    public void Context_snapshot_shows_only_scalars()
    {
        using var s = With(detect: "context.list = {1,2}; context.f = print; context.i = 3; context[1] = 'x'; context.nan = 0/0; context.inf = 1/0");
        Tick(s, TradingState.Idle);
        Assert.Equal(["i"], s.ContextScalars().Keys);
    }

    [Fact]
    public void Indicators_compute_over_the_window_including_the_current_bar()
    {
        using var s = With(detect: """
            context.sma = indicators.sma(3); context.ema = indicators.ema(3); context.rsi = indicators.rsi(3)
            local line, signal, hist = indicators.macd(2, 3, 2)
            context.macd = line; context.macd_signal = signal; context.macd_hist = hist
            local upper, middle, lower = indicators.bollinger(5, 2)
            context.bb_upper = upper; context.bb_middle = middle; context.bb_lower = lower
            context.high = indicators.high; context.low = indicators.low
            context.range = indicators.range; context.avg_volume = indicators.avg_volume
            context.none = indicators.sma(50) == nil
            context.default_rsi = indicators.rsi() == nil
            """);
        var window = WindowOf(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        var r = s.OnTick(TradingState.Idle, window.Latest!.Value, window);
        Assert.Equal(StrategySignal.None, r.Signal);
        var c = s.ContextScalars();
        double[] closes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        Assert.Equal(9.0, c["sma"]);
        Assert.Equal(Indicators.Ema.Last(closes, 3)!.Value, (double)c["ema"], 12);
        Assert.Equal(100.0, c["rsi"]);
        var m = Indicators.Macd.Last(closes, 2, 3, 2)!.Value;
        Assert.Equal(m.Line, (double)c["macd"], 12);
        Assert.Equal(m.Signal, (double)c["macd_signal"], 12);
        Assert.Equal(m.Histogram, (double)c["macd_hist"], 12);
        var b = Indicators.Bollinger.Last(closes, 5, 2)!.Value;
        Assert.Equal(b.Upper, (double)c["bb_upper"], 12);
        Assert.Equal(b.Middle, (double)c["bb_middle"], 12);
        Assert.Equal(b.Lower, (double)c["bb_lower"], 12);
        Assert.Equal(10 * 1.01, (double)c["high"], 12);
        Assert.Equal(1 * 0.99, (double)c["low"], 12);
        Assert.Equal(10 * 1.01 - 0.99, (double)c["range"], 12);
        Assert.Equal(10.0, c["avg_volume"]);
        Assert.Equal(true, c["none"]);
        Assert.Equal(true, c["default_rsi"]); // rsi() defaults to 14 and 10 bars are not enough
    }

    [Theory]
    [InlineData("indicators.ema(0)", "ema: p must be a whole number from 1 to 100000, got 0")]
    [InlineData("indicators.sma('x')", "sma: p must be a whole number from 1 to 100000, got string")]
    [InlineData("indicators.rsi(2.5)", "rsi: p must be a whole number from 1 to 100000, got 2.5")]
    [InlineData("indicators.macd(12, -1)", "macd: slow must be a whole number")]
    [InlineData("indicators.bollinger(20, -2)", "bollinger(p, k): k must be a finite number ≥ 0")]
    public void Bad_indicator_arguments_are_errors_at_the_calling_line(string call, string expected)
    {
        using var s = With(detect: "\n\n" + call);
        var r = Tick(s, TradingState.Idle);
        Assert.Equal(StrategySignal.Error, r.Signal);
        Assert.Contains("test.lua:4: " + expected, r.Error);
        Assert.StartsWith("detect_opportunity: ", r.Error);
    }

    public static TheoryData<string, ActionKind, double, double, double?, double?, string?> Actions => new()
    {
        { "{ action = 'start_analyzing', reason = 'why' }", ActionKind.StartAnalyzing, 0, 0, null, null, "why" },
        { "{ action = 'cancel_analysis' }", ActionKind.CancelAnalysis, 0, 0, null, null, null },
        { "{ action = 'enter_long', price = 100, quantity = 0.5, stop_loss = 95, take_profit = 110 }", ActionKind.EnterLong, 100, 0.5, 95, 110, null },
        { "{ action = 'enter_short', price = 100, quantity = 2 }", ActionKind.EnterShort, 100, 2, null, null, null },
        { "{ action = 'exit', price = 101.5, reason = 'done' }", ActionKind.Exit, 101.5, 0, null, null, "done" },
        { "{ action = 'update_stop_loss', new_stop = 99 }", ActionKind.UpdateStopLoss, 0, 0, 99, null, null },
        { "{ action = 'update_take_profit', new_target = 120 }", ActionKind.UpdateTakeProfit, 0, 0, null, 120, null },
    };

    [Theory]
    [MemberData(nameof(Actions))]
    public void Action_tables_are_converted(string table, ActionKind kind, double price, double quantity, double? stop, double? target, string? reason)
    {
        using var s = With(manage: "return " + table);
        var r = Tick(s, TradingState.InPosition);
        Assert.Equal(StrategySignal.Action, r.Signal);
        Assert.Equal(new TradingAction(kind, price, quantity, stop, target, reason), r.Action);
    }

    [Theory]
    [InlineData("return 42", "test.lua:4: manage_position must return nil or an action table, not a number")]
    [InlineData("return { action = 'buy' }", "manage_position returned unknown action 'buy' (expected one of start_analyzing, cancel_analysis, enter_long")]
    [InlineData("return { action = 7 }", "field 'action' must be a string, not a number")]
    [InlineData("return { action = 'enter_long', quantity = 1 }", "test.lua:4: manage_position returned a 'enter_long' action without the number field 'price'")]
    [InlineData("return { action = 'enter_long', price = '100', quantity = 1 }", "field 'price' must be a number, not a string")]
    [InlineData("return { action = 'update_stop_loss' }", "without the number field 'new_stop'")]
    [InlineData("return { action = 'exit', price = 1, reason = {} }", "field 'reason' must be a string, not a table")]
    public void Bad_returns_are_errors_naming_function_field_and_line(string body, string expected)
    {
        using var s = With(manage: body);
        var r = Tick(s, TradingState.InPosition);
        Assert.Equal(StrategySignal.Error, r.Signal);
        Assert.Contains(expected, r.Error);
    }

    [Fact]
    public void A_table_without_action_is_no_action_and_nil_is_nothing()
    {
        using var s = With(filter: "return { note = 1 }");
        Assert.Equal(StrategyResult.None, Tick(s, TradingState.Analyzing));
        Assert.Equal(StrategyResult.None, Tick(s, TradingState.InPosition));
    }

    [Fact]
    public void Detect_opportunity_returning_a_non_table_is_an_error()
    {
        using var s = With(detect: "return true");
        var r = Tick(s, TradingState.Idle);
        Assert.Equal("test.lua:2: detect_opportunity must return nil or a table, not a boolean", r.Error);
    }

    [Fact]
    public void Runtime_errors_carry_chunk_name_and_line_and_the_state_stays_usable()
    {
        using var s = With(detect: "\nlocal x = nil\nreturn x.field");
        var r = Tick(s, TradingState.Idle);
        Assert.Equal(StrategySignal.Error, r.Signal);
        Assert.Matches(@"^detect_opportunity: test\.lua:4: attempt to index a nil value \(local 'x'\)$", r.Error!);
        Assert.Equal(StrategySignal.Error, Tick(s, TradingState.Idle).Signal);
        Assert.Equal(StrategyResult.None, Tick(s, TradingState.Analyzing));
    }

    [Fact]
    public void Redefining_an_entry_point_takes_effect_and_removing_it_is_an_error()
    {
        using var s = With(detect: "detect_opportunity = function() return { swapped = true } end", manage: "manage_position = 5");
        Assert.Equal(StrategyResult.None, Tick(s, TradingState.Idle));
        Assert.Equal(StrategySignal.Opportunity, Tick(s, TradingState.Idle).Signal);
        Tick(s, TradingState.InPosition);
        Assert.Contains("manage_position is no longer a function", Tick(s, TradingState.InPosition).Error);
    }

    [Fact]
    public void Print_goes_to_the_log()
    {
        using var s = With(detect: "print('close', market_data.close, nil, true)");
        var lines = new List<string>();
        s.Log = lines.Add;
        Tick(s, TradingState.Idle, 101);
        Assert.Equal(["close\t101.0\tnil\ttrue"], lines);
    }

    [Fact]
    public void Context_can_be_restored()
    {
        using var s = With();
        s.SetContext([new("a", 1L), new("b", 2.5), new("c", "x"), new("d", true)]);
        Assert.Equal(new Dictionary<string, object> { ["a"] = 1L, ["b"] = 2.5, ["c"] = "x", ["d"] = true }, s.ContextScalars());
        Assert.Throws<ArgumentException>(() => s.SetContext([new("e", new object())]));
    }

    [Fact]
    public void Load_errors_name_line_and_missing_functions()
    {
        var syntax = Assert.Throws<StrategyLoadException>(() => LuaStrategy.FromCode("bad", "function detect_opportunity(\n  x = = 1\nend"));
        Assert.Equal(2, syntax.Diagnostics[0].Line);
        Assert.Contains("near '='", syntax.Diagnostics[0].Message);
        Assert.Equal(5, syntax.Diagnostics[0].Column);

        var runtime = Assert.Throws<StrategyLoadException>(() => LuaStrategy.FromCode("bad", "local a = 1\nerror('boom')"));
        Assert.Equal(2, runtime.Diagnostics[0].Line);
        Assert.Equal("boom", runtime.Diagnostics[0].Message);

        var missing = Assert.Throws<StrategyLoadException>(() => LuaStrategy.FromCode("bad", "function detect_opportunity() end\nmanage_position = 1"));
        Assert.Equal(2, missing.Diagnostics.Count);
        Assert.Contains("missing function 'filter_commitment'", missing.Diagnostics[0].Message);
        Assert.Contains("'manage_position' must be a function, not a number", missing.Diagnostics[1].Message);
        Assert.Contains("Strategy 'bad' could not be loaded", missing.Message);
    }

    [Fact]
    public void From_file_uses_the_file_stem_as_name()
    {
        using var s = LuaStrategy.FromFile(Path.Combine(AppContext.BaseDirectory, "strategies", "ema_crossover.lua"));
        Assert.Equal("ema_crossover", s.Name);
        Assert.NotNull(s.FilePath);
        Assert.Throws<FileNotFoundException>(() => LuaStrategy.FromFile("/nope/x.lua"));
    }

    [Fact]
    public void Disposed_strategy_refuses_ticks()
    {
        var s = With();
        s.Dispose();
        s.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Tick(s, TradingState.Idle));
    }
}
