namespace Tickrunner.Engine.Strategies;

/// <summary>The Lua code that turns a fresh state into a strategy sandbox; runs once per state.</summary>
internal static class LuaPrelude
{
    /// <summary>Error text the budget hook raises; the host recognises it and reports the budget.</summary>
    public const string BudgetSentinel = "tickrunner: instruction budget exceeded";

    /// <summary>
    /// Arguments: instruction budget, random seed, memory limit in bytes, then the host's raw functions (sma, ema, rsi, macd,
    /// bollinger, print, window property, plot). Returns the read-only <c>indicators</c> proxy and the table behind it, whose
    /// number properties the host writes each tick.
    /// </summary>
    public static readonly string Code = Template
        .Replace("(PATTERNS)", "(" + LuaPatterns.Factory + ")", StringComparison.Ordinal)
        .Replace("CHUNK_LIMIT", ChunkLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("PLAIN_SEARCH_LIMIT", PlainSearchLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>Bytes a chunk given to <c>load</c> may have.</summary>
    public const int ChunkLimit = 1 << 20;

    /// <summary>Byte comparisons one plain <c>string.find</c> may need (subject length × needle length).</summary>
    public const long PlainSearchLimit = 1L << 28;

    private const string Template = """
        local budget, seed, memory_limit, raw_sma, raw_ema, raw_rsi, raw_macd, raw_bollinger, host_print, raw_window, raw_plot = ...
        local error, type, tostring, select, rawget, rawset, next = error, type, tostring, select, rawget, rawset, next
        local raw_setmetatable, raw_load, concat = setmetatable, load, table.concat
        local sethook, raw_getmetatable = debug.sethook, debug.getmetatable

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
        local function three(raw)
          return function(...)
            local a, b, c = raw(...)
            if a == false then error(b, 2) end
            return a, b, c
          end
        end
        -- sma, ema and rsi read one argument: a fixed parameter spares the vararg frame on every call.
        local function one_arg(raw)
          return function(p)
            local value, err = raw(p)
            if value == false then error(err, 2) end
            return value
          end
        end
        local values = { sma = one_arg(raw_sma), ema = one_arg(raw_ema), rsi = one_arg(raw_rsi),
                         macd = three(raw_macd), bollinger = three(raw_bollinger) }
        -- high, low, range and avg_volume of the window are computed when first read in a call and kept until the
        -- next bar (the host clears them): most strategies read none, and scanning the window for all four on every
        -- bar cost more than the rest of the host's work per bar.
        raw_setmetatable(values, { __index = function(t, key)
          local value = raw_window(key)
          if value ~= nil then rawset(t, key, value) end
          return value
        end })
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
        -- Library functions that loop inside one C call, where the instruction budget cannot stop them, are
        -- replaced or bounded: patterns are matched in Lua (see LuaPatterns), and the others are checked for
        -- the work they would do before they run.
        local raw_find = string.find
        string.find, string.match, string.gmatch, string.gsub = (PATTERNS)(raw_find, PLAIN_SEARCH_LIMIT)
        local tonumber = tonumber
        -- Taken now: a strategy may replace the globals, and the bounds below must not depend on its versions.
        local m_log, s_format = math.log, string.format
        local whole = tonumber -- a count or position as a number (strings too, as the C functions accept), or nil
        local raw_rep = string.rep
        string.rep = function(s, n, sep)
          local count = whole(n)
          if count and count > 0 then
            local ls = type(s) == "string" and #s or #tostring(s)
            local lsep = sep == nil and 0 or type(sep) == "string" and #sep or #tostring(sep)
            if count > memory_limit or (ls + lsep + 0.0) * count > memory_limit then
              error(s_format("string.rep: a result of %.0f bytes is over the memory limit of %.4g MiB", (ls + lsep + 0.0) * count, memory_limit / 1048576), 2)
            end
          end
          return raw_rep(s, n, sep)
        end
        -- Table functions that shift or copy elements do at most one budget's worth of elements per call.
        local raw_insert, raw_remove, raw_move, raw_sort, raw_concat = table.insert, table.remove, table.move, table.sort, table.concat
        local function too_much(name, n, limit)
          error("table." .. name .. ": " .. s_format("%.0f", n) .. " elements is more than one call may move in strategies (" .. limit .. ")", 3)
        end
        local function length_of(t) if type(t) == "table" then return whole(#t) end end
        -- A __len metamethod is called again by the C function after the check here, and could then answer
        -- differently: positional inserts and removes, and sorts, are refused on tables that have one.
        local function has_len(t)
          local mt = type(t) == "table" and raw_getmetatable(t)
          return mt and rawget(mt, "__len") ~= nil
        end
        table.insert = function(t, ...)
          if select("#", ...) == 2 then
            if has_len(t) then error("table.insert: inserting at a position is not available on a table with __len in strategies", 2) end
            local size, pos = length_of(t), whole((...))
            if size and pos and size - pos > budget then too_much("insert", size - pos, budget) end
          end
          return raw_insert(t, ...)
        end
        table.remove = function(t, ...)
          if select("#", ...) > 0 and has_len(t) then
            error("table.remove: removing at a position is not available on a table with __len in strategies", 2)
          end
          local size = length_of(t)
          if size and select("#", ...) > 0 then
            local pos = whole((...))
            if pos and size - pos > budget then too_much("remove", size - pos, budget) end
          end
          return raw_remove(t, ...)
        end
        table.move = function(a1, f, e, ...)
          local first, last = whole(f), whole(e)
          if first and last and (last + 0.0) - first >= budget then too_much("move", (last + 0.0) - first + 1, budget) end
          return raw_move(a1, f, e, ...)
        end
        -- The default comparison of two strings is one C call over their length, inside the one C call of the sort:
        -- without a comparison function, a sort is refused when n·log2(n) comparisons of its longest string would
        -- compare more than 2^30 bytes (a metatable's __index or __lt could supply other values: those need a function).
        local sort_limit = budget // 16
        table.sort = function(t, comp, ...)
          if has_len(t) then error("table.sort: not available on a table with __len in strategies", 2) end
          local size = length_of(t)
          if size and size > sort_limit then too_much("sort", size, sort_limit) end
          if comp == nil and size and size > 1 then
            if raw_getmetatable(t) ~= nil then
              error("table.sort: sorting a table with a metatable needs a comparison function in strategies", 2)
            end
            local longest = 0
            for i = 1, size do
              local v = rawget(t, i)
              if type(v) == "string" and #v > longest then longest = #v end
            end
            local work = size * (m_log(size, 2) + 1) * (longest + 1)
            if work > 1073741824 then
              error(s_format("table.sort: %d strings of up to %d bytes are more to compare than one call may in strategies", size, longest), 2)
            end
          end
          return raw_sort(t, comp, ...)
        end
        table.concat = function(t, sep, i, j)
          local first = i == nil and 1 or whole(i)
          local last = j == nil and length_of(t) or whole(j)
          if first and last and (last + 0.0) - first >= budget then too_much("concat", (last + 0.0) - first + 1, budget) end
          -- The bounds checked here are the ones used: without them the C function would call __len again.
          if j == nil and last then return raw_concat(t, sep, i or 1, last) end
          return raw_concat(t, sep, i, j)
        end
        -- Compiling is one C call too: chunks are limited in size.
        local function bounded_reader(reader)
          local total = 0
          return function()
            local piece = reader()
            if type(piece) == "string" then
              total = total + #piece
              if total > CHUNK_LIMIT then error("load: chunks are limited to CHUNK_LIMIT bytes in strategies") end
            end
            return piece
          end
        end
        load = function(chunk, name, _, ...)
          if type(chunk) == "string" and #chunk > CHUNK_LIMIT then
            error("load: chunks are limited to CHUNK_LIMIT bytes in strategies", 2)
          elseif type(chunk) == "function" then
            chunk = bounded_reader(chunk)
          end
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
        -- plot(name, value[, opts]): a series to draw with the ticks (see the Lua guide). The host checks everything and answers
        -- (false, message) on a mistake, raised here at the strategy's line; nothing is returned.
        plot = function(name, value, opts)
          local ok, err = raw_plot(name, value, opts)
          if ok == false then error(err, 2) end
        end
        math.randomseed(seed)
        return indicators, values
        """;
}
