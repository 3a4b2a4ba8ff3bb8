namespace Tickrunner.Engine.Strategies;

/// <summary>The Lua code that turns a fresh state into a strategy sandbox; runs once per state.</summary>
internal static class LuaPrelude
{
    /// <summary>Error text the budget hook raises; the host recognises it and reports the budget.</summary>
    public const string BudgetSentinel = "tickrunner: instruction budget exceeded";

    /// <summary>
    /// Arguments: instruction budget, random seed, then the host's raw functions (sma, ema, rsi, macd,
    /// bollinger, print). Returns the read-only <c>indicators</c> proxy and the table behind it, whose
    /// number properties the host writes each tick.
    /// </summary>
    public const string Code = """
        local budget, seed, raw_sma, raw_ema, raw_rsi, raw_macd, raw_bollinger, host_print = ...
        local error, type, tostring, select, rawget, next = error, type, tostring, select, rawget, next
        local raw_setmetatable, raw_load, concat = setmetatable, load, table.concat
        local sethook = debug.sethook

        -- The budget: a count hook armed by the host before each call. Once it fires it re-arms itself for
        -- every instruction, so a pcall inside the strategy cannot swallow it: each level that catches the
        -- error fails again on its next instruction until the host's own protected call is reached.
        local function over_budget()
          sethook(over_budget, "", 1)
          error("tickrunner: instruction budget exceeded", 2)
        end
        sethook(over_budget, "", budget)

        -- Host functions report bad arguments as (false, message); the error is raised here, in Lua, because
        -- raising a Lua error from managed code would unwind through .NET frames.
        local function one(raw)
          return function(...)
            local value, err = raw(...)
            if value == false then error(err, 2) end
            return value
          end
        end
        local function three(raw)
          return function(...)
            local a, b, c = raw(...)
            if a == false then error(b, 2) end
            return a, b, c
          end
        end
        local values = { sma = one(raw_sma), ema = one(raw_ema), rsi = one(raw_rsi),
                         macd = three(raw_macd), bollinger = three(raw_bollinger) }
        local indicators = raw_setmetatable({}, {
          __index = values,
          __newindex = function(_, key)
            error("indicators is read-only (cannot set '" .. tostring(key) .. "')", 2)
          end,
          __pairs = function() return next, values, nil end,
          __metatable = "indicators is read-only",
        })

        -- The library set of the strategy contract: no io, os beyond time/clock/date, require, package,
        -- dofile, loadfile, debug; coroutine is left out because a new coroutine would escape the budget hook.
        -- warn would write to the host's stderr; print is the way to the runner's log.
        io, package, require, dofile, loadfile, debug, coroutine, warn = nil, nil, nil, nil, nil, nil, nil, nil
        os = { time = os.time, clock = os.clock, date = os.date }
        string.dump = nil
        -- Lua's pattern matcher backtracks inside one C call, where the instruction budget cannot stop it:
        -- patterns get at most 2 repetition operators (*, +, -) and subjects at most 100,000 bytes.
        local function guard(name, raw)
          local s_len, s_byte, s_sub = string.len, string.byte, string.sub
          local function repetitions(pattern)
            local count, i, n = 0, 1, s_len(pattern)
            while i <= n do
              local c = s_sub(pattern, i, i)
              if c == "%" then i = i + 1
              elseif c == "*" or c == "+" or c == "-" then count = count + 1 end
              i = i + 1
            end
            return count
          end
          return function(subject, pattern, init, plain, ...)
            if type(subject) == "string" and s_len(subject) > 100000 then
              error("string." .. name .. ": subjects are limited to 100,000 bytes in strategies", 2)
            end
            if type(pattern) == "string" and not (name == "find" and plain) and repetitions(pattern) > 2 then
              error("string." .. name .. ": patterns are limited to 2 repetitions (*, +, -) in strategies", 2)
            end
            return raw(subject, pattern, init, plain, ...)
          end
        end
        for _, name in ipairs({ "find", "match", "gmatch", "gsub" }) do string[name] = guard(name, string[name]) end
        load = function(chunk, name, _, ...)
          if select("#", ...) > 0 then return raw_load(chunk, name, "t", ...) end
          return raw_load(chunk, name, "t")
        end
        -- A __gc finalizer would run inside the collector with hooks off, out of the budget's reach.
        setmetatable = function(t, mt)
          if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
            error("__gc metamethods are not available to strategies", 2)
          end
          return raw_setmetatable(t, mt)
        end
        print = function(...)
          local parts = {}
          for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
          host_print(concat(parts, "\t"))
        end
        math.randomseed(seed)
        return indicators, values
        """;
}
