using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Tests;

/// <summary>Runaway and hostile strategy code is a strategy error for that strategy only.</summary>
public class LuaSandboxTests
{
    private static readonly LuaSandboxOptions Small = new() { InstructionBudget = 200_000, MemoryLimitBytes = 8 * 1024 * 1024 };

    private static LuaStrategy Detecting(string body, LuaSandboxOptions? options = null, string top = "") =>
        LuaStrategy.FromCode("hostile", $$"""
            {{top}}
            function detect_opportunity(market_data, context, indicators)
            {{body}}
            end
            function filter_commitment() return nil end
            function manage_position() return nil end
            """, options ?? Small);

    private static StrategyResult Tick(LuaStrategy s)
    {
        var window = LuaStrategyTests.WindowOf(100, 101, 102);
        return s.OnTick(TradingState.Idle, window.Latest!.Value, window);
    }

    /// <summary>Runs the hostile body, checks the error, then proves that state and a bystander still work.</summary>
    private static void AssertContained(string body, string expectedError, string top = "", LuaSandboxOptions? options = null)
    {
        using var bystander = LuaStrategy.FromCode("bystander", LuaStrategyTests.Empty.Replace("return nil end", "context.n = (context.n or 0) + 1 end", StringComparison.Ordinal));
        using var hostile = Detecting($"if context.tamed then return {{ ok = true }} end\n{body}", options, top);
        var r = Tick(hostile);
        Assert.Equal(StrategySignal.Error, r.Signal);
        Assert.Contains(expectedError, r.Error);
        hostile.SetContext([new("tamed", true)]);
        Assert.Equal(StrategySignal.Opportunity, Tick(hostile).Signal); // same state, usable again
        Tick(bystander);
        Assert.Equal(1L, bystander.ContextScalars()["n"]);
    }

    [Fact]
    public void Infinite_loop_hits_the_instruction_budget() =>
        AssertContained("while true do end", "instruction budget of 200,000 instructions per call exceeded");

    [Fact]
    public void Budget_error_names_the_line() =>
        AssertContained("local i = 0\nwhile true do i = i + 1 end", "hostile.lua:5: instruction budget");

    [Fact]
    public void Pcall_inside_the_strategy_cannot_swallow_the_budget() =>
        AssertContained("while true do pcall(function() while true do end end) end", "instruction budget");

    [Fact]
    public void Unbounded_recursion_is_a_stack_overflow_error() =>
        AssertContained("local function f(n) return 1 + f(n + 1) end\nreturn f(1)", "stack overflow",
            options: new LuaSandboxOptions { InstructionBudget = 100_000_000, MemoryLimitBytes = 128 * 1024 * 1024 });

    [Fact]
    public void Unbounded_recursion_under_default_limits_is_contained() =>
        AssertContained("local function f(n) return 1 + f(n + 1) end\nreturn f(1)", "hostile.lua:4: ");

    [Fact]
    public void Huge_string_hits_the_memory_limit()
    {
        AssertContained("local s = string.rep('x', 2^30)", "over the memory limit of 8 MiB");
        AssertContained("local s = string.rep('x', 2^20) .. string.rep('y', 2^20) local t = {} for i = 1, 100 do t[i] = s .. i end", "memory limit of 8 MiB exceeded");
    }

    [Fact]
    public void Table_that_grows_forever_hits_a_limit()
    {
        // Memory or budget, whichever comes first; both are strategy errors.
        using var s = Detecting("local t = {} local i = 0 while true do i = i + 1 t[i] = tostring(i) .. 'padding' end",
            new LuaSandboxOptions { InstructionBudget = 100_000_000, MemoryLimitBytes = 4 * 1024 * 1024 });
        var r = Tick(s);
        Assert.Contains("memory limit of 4 MiB exceeded", r.Error);
        Assert.True(s.MemoryUsedBytes < 4 * 1024 * 1024 + 64 * 1024, $"state holds {s.MemoryUsedBytes} bytes");
        Assert.Equal(StrategySignal.Error, Tick(s).Signal);
    }

    [Theory]
    [InlineData("io.open('/etc/passwd')", "attempt to index a nil value (global 'io')")]
    [InlineData("os.execute('echo hi')", "attempt to call a nil value (field 'execute')")]
    [InlineData("os.exit(1)", "attempt to call a nil value (field 'exit')")]
    [InlineData("require('os')", "attempt to call a nil value (global 'require')")]
    [InlineData("dofile('/etc/passwd')", "attempt to call a nil value (global 'dofile')")]
    [InlineData("loadfile('/etc/passwd')", "attempt to call a nil value (global 'loadfile')")]
    [InlineData("debug.getregistry()", "attempt to index a nil value (global 'debug')")]
    [InlineData("package.loaded.io.open('/etc/passwd')", "attempt to index a nil value (global 'package')")]
    [InlineData("coroutine.create(print)", "attempt to index a nil value (global 'coroutine')")]
    [InlineData("string.dump(print)", "attempt to call a nil value (field 'dump')")]
    public void Forbidden_libraries_are_absent(string call, string expected) => AssertContained(call, expected);

    [Fact]
    public void Binary_chunks_cannot_be_loaded()
    {
        // A Lua binary chunk starts with ESC 'Lua'; load must refuse it whatever mode is asked for.
        AssertContained("local f, err = load('\\27Lua\\x54\\0', 'x', 'b') error(err, 0)", "attempt to load a binary chunk (mode is 't')");
    }

    [Fact]
    public void Text_chunks_still_load_and_see_the_sandbox()
    {
        using var s = Detecting("local f = load('return os.time() > 0 and io == nil') return { ok = f() }");
        Assert.Equal(StrategySignal.Opportunity, Tick(s).Signal);
        Assert.Equal(true, s.ContextScalars()["ok"]);
    }

    [Fact]
    public void Os_keeps_time_clock_and_date()
    {
        using var s = Detecting("return { t = os.time() > 0, c = os.clock() >= 0, d = type(os.date('%Y')) == 'string' }");
        Tick(s);
        Assert.All(new[] { "t", "c", "d" }, k => Assert.Equal(true, s.ContextScalars()[k]));
    }

    [Theory]
    [InlineData("setmetatable(indicators, {})", "cannot change a protected metatable")]
    [InlineData("getmetatable(indicators).__index = {}", "attempt to index a string value")]
    [InlineData("indicators.ema = function() return 1 end", "indicators is read-only (cannot set 'ema')")]
    [InlineData("setmetatable({}, { __gc = function() while true do end end })", "__gc metamethods are not available")]
    public void Indicators_table_cannot_be_tampered_with(string call, string expected) => AssertContained(call, expected);

    [Fact]
    public void Rawset_on_indicators_only_shadows_for_this_strategy()
    {
        using var s = Detecting("rawset(indicators, 'ema', function() return 42 end) return { v = indicators.ema(3) }");
        Tick(s);
        Assert.Equal(42L, s.ContextScalars()["v"]);
        using var other = Detecting("return { v = indicators.ema(3) }");
        Tick(other);
        Assert.Equal(101.0, other.ContextScalars()["v"]);
    }

    [Fact]
    public void Metamethods_on_globals_cannot_crash_the_host_at_load()
    {
        // Checking the entry points must not run the strategy's __index outside a protected call.
        var e = Assert.Throws<StrategyLoadException>(() => LuaStrategy.FromCode("meta", """
            setmetatable(_G, { __index = function() error("gotcha") end })
            function detect_opportunity() end
            function filter_commitment() end
            """, Small));
        Assert.Contains("missing function 'manage_position'", e.Diagnostics[0].Message);
        using var ok = LuaStrategy.FromCode("meta_ok", "setmetatable(_G, { __index = function() while true do end end })\n" + LuaStrategyTests.Empty, Small);
        Assert.Equal(StrategySignal.None, Tick(ok).Signal);
    }

    [Theory]
    // Cubic and exponential backtracking: every step of a match is a Lua instruction now.
    [InlineData("string.find(string.rep('a', 100000), '.-.-b')", "hostile.lua:4: instruction budget")]
    [InlineData("string.find(string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40))", "hostile.lua:4: instruction budget")]
    [InlineData("for k in string.gmatch(string.rep('a', 100000), '.-.-b') do end", "instruction budget")]
    [InlineData("string.gsub(string.rep('a', 100000), '.-.-b', '')", "instruction budget")]
    // Library loops that would run inside one C call are refused before they start.
    [InlineData("string.rep('', math.maxinteger)", "string.rep: a result of")]
    [InlineData("string.rep('ab', 1e9, ',')", "over the memory limit of 64 MiB")]
    [InlineData("table.move({}, 1, 1 << 53, 1)", "table.move: 9007199254740992 elements is more than one call may move")]
    [InlineData("table.remove(setmetatable({}, { __len = function() return math.maxinteger end }), 1)", "table.remove:")]
    [InlineData("table.insert(setmetatable({}, { __len = function() return math.maxinteger end }), 1, 'x')", "table.insert:")]
    [InlineData("table.sort(setmetatable({}, { __len = function() return 1 << 40 end }))", "table.sort: not available on a table with __len")]
    // A __len that answers small to the check and huge to the C function that asks again.
    [InlineData("local n = 0 local t = setmetatable({}, { __len = function() n = n + 1 return n == 1 and 1 or math.maxinteger end }) table.insert(t, 1, 0)", "table.insert: inserting at a position is not available on a table with __len")]
    [InlineData("local n = 0 local t = setmetatable({}, { __len = function() n = n + 1 return n == 1 and 1 or math.maxinteger end }) table.remove(t, 1)", "table.remove: removing at a position is not available")]
    [InlineData("local n = 0 local t = setmetatable({}, { __len = function() n = n + 1 return n == 1 and 1 or math.maxinteger end }) return table.concat(t)", "hostile.lua: invalid")]
    // Comparisons of long strings inside one sort.
    [InlineData("local s = string.rep('a', 1 << 20) local t = {} for i = 1, 2000 do t[i] = s end table.sort(t)", "table.sort: 2000 strings of up to 1048576 bytes")]
    [InlineData("local t = setmetatable({}, { __index = function() return 'x' end }) t[1] = 'b' t[2] = 'a' table.sort(t)", "needs a comparison function")]
    [InlineData("table.concat(setmetatable({}, { __index = function() return '' end }), '', 1, 1 << 53)", "table.concat:")]
    [InlineData("string.find(string.rep('a', 1 << 22), string.rep('a', 1 << 12) .. 'b', 1, true)", "string.find: a plain search")]
    [InlineData("load(string.rep(' ', 2 << 20))", "load: chunks are limited to 1048576 bytes")]
    public void No_single_library_call_outruns_the_budget(string call, string expected) =>
        AssertContained(call, expected, options: new LuaSandboxOptions { InstructionBudget = 1_000_000, MemoryLimitBytes = 64 * 1024 * 1024 });

    [Fact]
    public void A_reader_function_cannot_feed_load_an_endless_chunk() =>
        AssertContained("local f, err = load(function() return string.rep(' ', 4096) end) error(err, 0)", "load: chunks are limited",
            options: new LuaSandboxOptions { InstructionBudget = 100_000_000, MemoryLimitBytes = 64 * 1024 * 1024 });

    [Fact]
    public void A_call_past_the_wall_clock_limit_is_stopped_by_the_watchdog()
    {
        // Three instructions per iteration, each copying 4 MiB: far inside the instruction budget, and endless.
        AssertContained("local s = string.rep('x', 4 * 1024 * 1024) for i = 1, 1e12 do local t = s .. i end",
            "hostile.lua:4: ran longer than the wall-clock limit of 200 ms per call",
            options: new LuaSandboxOptions { InstructionBudget = 2_000_000_000, MemoryLimitBytes = 64 * 1024 * 1024, WallClockLimitMs = 200 });
    }

    [Fact]
    public void A_call_stopped_inside_the_sandbox_library_names_the_strategy_line() =>
        AssertContained("string.find(string.rep('a', 100000), '.-.-b')", "hostile.lua:4: ran longer than the wall-clock limit of 200 ms per call",
            options: new LuaSandboxOptions { InstructionBudget = 2_000_000_000, MemoryLimitBytes = 64 * 1024 * 1024, WallClockLimitMs = 200 });

    [Fact]
    public void After_a_tail_call_into_the_library_the_error_names_the_file() =>
        AssertContained("return string.find('abc', '[a')", "detect_opportunity: hostile.lua: malformed pattern (missing ']')");

    [Fact]
    public void The_watchdog_reports_a_stopped_call_as_timed_out_and_the_next_call_runs_normally()
    {
        using var s = Detecting("if context.quick then return { ok = true } end local s = string.rep('x', 1 << 22) for i = 1, 1e12 do local t = s .. i end",
            new LuaSandboxOptions { InstructionBudget = 2_000_000_000, MemoryLimitBytes = 64 * 1024 * 1024, WallClockLimitMs = 100 });
        var r = Tick(s);
        Assert.True(s.LastCallTimedOut);
        Assert.Contains("wall-clock limit", r.Error);
        s.SetContext([new("quick", true)]);
        Assert.Equal(StrategySignal.Opportunity, Tick(s).Signal);
        Assert.False(s.LastCallTimedOut);
    }

    [Fact]
    public void Runaway_top_level_code_is_stopped_by_the_watchdog_too()
    {
        var e = Assert.Throws<StrategyLoadException>(() => Detecting("",
            new LuaSandboxOptions { InstructionBudget = 2_000_000_000, MemoryLimitBytes = 64 * 1024 * 1024, WallClockLimitMs = 100 },
            top: "local s = string.rep('x', 1 << 22) for i = 1, 1e12 do local t = s .. i end"));
        Assert.Contains("wall-clock limit of 100 ms", e.Diagnostics[0].Message);
        Assert.Equal(1, e.Diagnostics[0].Line);
    }

    [Fact]
    public void Errors_raised_inside_the_sandbox_library_name_the_strategy_line() =>
        AssertContained("\nlocal x = string.find('abc', '[a')", "hostile.lua:5: malformed pattern (missing ']')");

    [Fact]
    public void Strings_that_reach_the_host_are_cut_to_their_limits()
    {
        var big = new LuaSandboxOptions { InstructionBudget = 10_000_000, MemoryLimitBytes = 64 * 1024 * 1024 };
        using var failing = Detecting("error(string.rep('e', 12 * 1024 * 1024))", big);
        var error = Tick(failing).Error!;
        Assert.InRange(error.Length, LuaStrategy.MaxErrorBytes, LuaStrategy.MaxErrorBytes + 200);
        Assert.Contains("(truncated from 12,582,9", error);

        using var context = Detecting("context.big = string.rep('c', 12 * 1024 * 1024) for i = 1, 10000 do context['k' .. i] = i end context[string.rep('k', 5000)] = 1", big);
        Tick(context);
        var scalars = context.ContextScalars();
        Assert.Equal(LuaStrategy.MaxContextEntries, scalars.Count);
        Assert.All(scalars, e =>
        {
            Assert.True(e.Key.Length <= LuaStrategy.MaxContextStringBytes + 50, $"key of {e.Key.Length}");
            if (e.Value is string text) Assert.True(text.Length <= LuaStrategy.MaxContextStringBytes + 50, $"value of {text.Length}");
        });
    }

    [Fact]
    public void A_multibyte_character_is_never_cut_in_half()
    {
        using var s = Detecting("error(string.rep('é', 5000), 0)");
        var error = Tick(s).Error!;
        Assert.DoesNotContain('\uFFFD', error);
        Assert.StartsWith("detect_opportunity: éé", error);
    }

    [Fact]
    public void Printed_lines_are_cut_and_rate_limited()
    {
        var lines = new List<string>();
        using var s = LuaStrategy.FromCode("printer", """
            function detect_opportunity()
              for i = 1, 100 do print(string.rep('p', 100000)) end
            end
            function filter_commitment() end
            function manage_position() end
            """, Small, lines.Add);
        Tick(s);
        Assert.Equal(LuaStrategy.MaxPrintsPerSecond, lines.Count);
        Assert.All(lines, l => Assert.InRange(l.Length, LuaStrategy.MaxPrintBytes, LuaStrategy.MaxPrintBytes + 60));
    }

    [Fact]
    public void A_loop_of_indicator_calls_over_a_large_window_is_bounded()
    {
        // 100,000 calls are only ~500,000 instructions, but each reads 10,000 closes in C#.
        using var s = Detecting("for i = 1, 100000 do indicators.ema(20) end", new LuaSandboxOptions { InstructionBudget = 2_000_000 });
        var window = new MarketDataWindow(10_000);
        for (var i = 0; i < 10_000; i++) window.Push(LuaStrategyTests.Bar(i, 100 + i % 7));
        var r = s.OnTick(TradingState.Idle, window.Latest!.Value, window);
        Assert.Contains("indicator work budget exceeded", r.Error);
        using var fine = Detecting("local a, b = indicators.ema(20), indicators.rsi(14)", new LuaSandboxOptions { InstructionBudget = 2_000_000 });
        Assert.Equal(StrategySignal.None, fine.OnTick(TradingState.Idle, window.Latest!.Value, window).Signal); // budget is per call
    }

    [Fact]
    public void Ordinary_pattern_use_still_works()
    {
        using var s = Detecting("local a, b = string.find('abc=12', '(%w+)=(%d+)') local n = ('x-y-z'):gsub('-', '+') return { ok = (a == 1 and n == 'x+y+z') }");
        Tick(s);
        Assert.Equal(true, s.ContextScalars()["ok"]);
    }

    [Fact]
    public void A_host_error_message_at_the_memory_cap_is_still_a_clean_error()
    {
        // Fill memory almost to the cap, then make a host callback report an error (its message needs memory).
        using var s = Detecting("""
            local t = {}
            pcall(function() while true do t[#t + 1] = ("%d"):rep(64):format() end end)
            return { v = indicators.sma(0) }
            """, new LuaSandboxOptions { InstructionBudget = 100_000_000, MemoryLimitBytes = 2 * 1024 * 1024 });
        var r = Tick(s);
        Assert.Equal(StrategySignal.Error, r.Signal);
        Assert.True(r.Error!.Contains("sma: p must be") || r.Error.Contains("memory limit"), r.Error);
    }

    [Fact]
    public void Runaway_code_at_load_is_a_load_error()
    {
        var e = Assert.Throws<StrategyLoadException>(() => Detecting("", top: "while true do end"));
        Assert.Contains("instruction budget", e.Diagnostics[0].Message);
        Assert.Equal(1, e.Diagnostics[0].Line);
    }

    [Fact]
    public void Budget_is_per_call_not_cumulative()
    {
        using var s = Detecting("for i = 1, 50000 do end", new LuaSandboxOptions { InstructionBudget = 200_000 });
        for (var i = 0; i < 20; i++) Assert.Equal(StrategySignal.None, Tick(s).Signal);
    }

    [Fact]
    public void Math_random_is_seeded_for_repeatable_runs()
    {
        using var a = Detecting("return { r = math.random(1, 1000000) }");
        using var b = Detecting("return { r = math.random(1, 1000000) }");
        Tick(a);
        Tick(b);
        Assert.Equal(a.ContextScalars()["r"], b.ContextScalars()["r"]);
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LuaStrategy.FromCode("x", LuaStrategyTests.Empty, new LuaSandboxOptions { InstructionBudget = 10 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LuaStrategy.FromCode("x", LuaStrategyTests.Empty, new LuaSandboxOptions { MemoryLimitBytes = 1000 }));
    }
}
