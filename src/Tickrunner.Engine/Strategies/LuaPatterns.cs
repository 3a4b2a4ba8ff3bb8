namespace Tickrunner.Engine.Strategies;

/// <summary>
/// Lua's pattern functions (find, match, gmatch, gsub) written in Lua, for the sandbox prelude.
/// </summary>
/// <remarks>
/// Lua's own matcher runs a whole match inside one C call, where neither the instruction budget nor the
/// wall-clock watchdog can stop it: a pattern such as <c>'.-.-b'</c> is cubic and <c>(a?)^n a^n</c> exponential.
/// Here every step of a match is a Lua instruction, so the budget and the watchdog reach it like any other
/// strategy code. The semantics are those of the Lua 5.4 manual (§6.4.1): classes, sets, the four
/// repetitions, anchors, captures and position captures, back references, <c>%b</c> and <c>%f</c>, with the
/// same limits as the C matcher (32 captures, nesting 200 deep). Plain searches (no magic character, or
/// <c>find</c>'s <c>plain</c> flag) still use the C function, whose work is linear but for its naive
/// substring comparison, which is bounded by the size of the search.
/// </remarks>
internal static class LuaPatterns
{
    /// <summary>
    /// A Lua function expression taking (raw_find, plain_work_limit) and returning find, match, gmatch, gsub.
    /// </summary>
    public const string Factory = """
        function(raw_find, plain_work_limit)
          local s_byte, s_sub, concat, tostring, tonumber, type, error, tointeger =
                string.byte, string.sub, table.concat, tostring, tonumber, type, error, math.tointeger
          local CAP_UNFINISHED, CAP_POSITION, MAXCAPTURES, MAXDEPTH = -1, -2, 32, 200
          local ESC = 37 -- '%'

          -- The match in progress. Every public function sets these before matching (a gsub replacement
          -- function or a gmatch loop body may run other matches in between).
          local S, SLEN, P, PLEN, LEVEL, DEPTH = "", 0, "", 0, 0, 0
          local CAP_INIT, CAP_LEN = {}, {}

          -- %a %c %d %g %l %p %s %u %w %x in the C locale; an upper-case letter is the complement;
          -- any other character stands for itself.
          local function class_has(cl, c)
            local k = cl | 32
            local r
            if k == 97 then r = (c >= 65 and c <= 90) or (c >= 97 and c <= 122)
            elseif k == 100 then r = c >= 48 and c <= 57
            elseif k == 115 then r = c == 32 or (c >= 9 and c <= 13)
            elseif k == 119 then r = (c >= 48 and c <= 57) or (c >= 65 and c <= 90) or (c >= 97 and c <= 122)
            elseif k == 108 then r = c >= 97 and c <= 122
            elseif k == 117 then r = c >= 65 and c <= 90
            elseif k == 120 then r = (c >= 48 and c <= 57) or (c >= 65 and c <= 70) or (c >= 97 and c <= 102)
            elseif k == 112 then r = c >= 33 and c <= 126 and not ((c >= 48 and c <= 57) or (c >= 65 and c <= 90) or (c >= 97 and c <= 122))
            elseif k == 99 then r = c < 32 or c == 127
            elseif k == 103 then r = c >= 33 and c <= 126
            elseif k == 122 then r = c == 0 -- %z: deprecated, still in Lua 5.4's own matcher
            else return cl == c end
            if cl <= 90 then return not r end
            return r
          end

          -- The index just after the single character class that starts at p.
          local function class_end(p)
            local c = s_byte(P, p)
            p = p + 1
            if c == ESC then
              if p > PLEN then error("malformed pattern (ends with '%')") end
              return p + 1
            elseif c == 91 then -- '['
              if s_byte(P, p) == 94 then p = p + 1 end
              repeat
                if p > PLEN then error("malformed pattern (missing ']')") end
                local cc = s_byte(P, p)
                p = p + 1
                if cc == ESC and p <= PLEN then p = p + 1 end
              until s_byte(P, p) == 93
              return p + 1
            end
            return p
          end

          -- Whether byte c is in the set from '[' at p to ']' at ec.
          local function match_set(c, p, ec)
            local sig = true
            p = p + 1
            if s_byte(P, p) == 94 then sig = false; p = p + 1 end
            while p < ec do
              local pc = s_byte(P, p)
              if pc == ESC then
                if class_has(s_byte(P, p + 1), c) then return sig end
                p = p + 2
              elseif s_byte(P, p + 1) == 45 and p + 2 < ec then
                if pc <= c and c <= s_byte(P, p + 2) then return sig end
                p = p + 3
              else
                if pc == c then return sig end
                p = p + 1
              end
            end
            return not sig
          end

          local function single_match(c, p, ep)
            local pc = s_byte(P, p)
            if pc == 46 then return true
            elseif pc == ESC then return class_has(s_byte(P, p + 1), c)
            elseif pc == 91 then return match_set(c, p, ep - 1)
            end
            return pc == c
          end

          local do_match

          local function max_expand(si, pi, ep)
            local i = 0
            while si + i <= SLEN and single_match(s_byte(S, si + i), pi, ep) do i = i + 1 end
            while i >= 0 do
              local r = do_match(si + i, ep + 1)
              if r then return r end
              i = i - 1
            end
            return nil
          end

          local function min_expand(si, pi, ep)
            while true do
              local r = do_match(si, ep + 1)
              if r then return r end
              if si <= SLEN and single_match(s_byte(S, si), pi, ep) then si = si + 1 else return nil end
            end
          end

          local function start_capture(si, pi, what)
            if LEVEL >= MAXCAPTURES then error("too many captures") end
            LEVEL = LEVEL + 1
            CAP_INIT[LEVEL], CAP_LEN[LEVEL] = si, what
            local r = do_match(si, pi)
            if not r then LEVEL = LEVEL - 1 end
            return r
          end

          local function end_capture(si, pi)
            local l = LEVEL
            while l >= 1 and CAP_LEN[l] ~= CAP_UNFINISHED do l = l - 1 end
            if l < 1 then error("invalid pattern capture") end
            CAP_LEN[l] = si - CAP_INIT[l]
            local r = do_match(si, pi)
            if not r then CAP_LEN[l] = CAP_UNFINISHED end
            return r
          end

          local function match_balance(si, pi)
            if pi + 1 > PLEN then error("malformed pattern (missing arguments to '%b')") end
            local b, e = s_byte(P, pi), s_byte(P, pi + 1)
            if si > SLEN or s_byte(S, si) ~= b then return nil end
            local depth = 1
            si = si + 1
            while si <= SLEN do
              local c = s_byte(S, si)
              if c == e then
                depth = depth - 1
                if depth == 0 then return si + 1 end
              elseif c == b then depth = depth + 1 end
              si = si + 1
            end
            return nil
          end

          local function match_capture(si, digit)
            local l = digit - 48
            if l < 1 or l > LEVEL or CAP_LEN[l] == CAP_UNFINISHED then error("invalid capture index %" .. l .. " in pattern") end
            local len = CAP_LEN[l]
            if len < 0 then return nil end -- a position capture never matches text
            if SLEN - si + 1 >= len and s_sub(S, CAP_INIT[l], CAP_INIT[l] + len - 1) == s_sub(S, si, si + len - 1) then
              return si + len
            end
            return nil
          end

          -- Matches P from pi against S from si; returns the index after the match, or nil.
          do_match = function(si, pi)
            DEPTH = DEPTH + 1
            if DEPTH > MAXDEPTH then error("pattern too complex") end
            local r
            while true do
              if pi > PLEN then r = si; break end
              local pc = s_byte(P, pi)
              if pc == 40 then -- '('
                if s_byte(P, pi + 1) == 41 then r = start_capture(si, pi + 2, CAP_POSITION)
                else r = start_capture(si, pi + 1, CAP_UNFINISHED) end
                break
              elseif pc == 41 then -- ')'
                r = end_capture(si, pi + 1)
                break
              elseif pc == 36 and pi == PLEN then -- '$' ends the pattern: the subject must end here
                if si == SLEN + 1 then r = si end
                break
              end
              local nx = pc == ESC and s_byte(P, pi + 1)
              if nx == 98 then -- %bxy
                si = match_balance(si, pi + 2)
                if not si then break end
                pi = pi + 4
              elseif nx == 102 then -- %f[set]
                pi = pi + 2
                if s_byte(P, pi) ~= 91 then error("missing '[' after '%f' in pattern") end
                local ep = class_end(pi)
                local prev = si == 1 and 0 or s_byte(S, si - 1)
                local cur = si <= SLEN and s_byte(S, si) or 0
                if match_set(prev, pi, ep - 1) or not match_set(cur, pi, ep - 1) then break end
                pi = ep
              elseif nx and nx >= 48 and nx <= 57 then -- %0-%9: back reference
                si = match_capture(si, nx)
                if not si then break end
                pi = pi + 2
              else
                local ep = class_end(pi)
                local epc = s_byte(P, ep)
                if epc == 63 then -- '?'
                  if si <= SLEN and single_match(s_byte(S, si), pi, ep) then
                    local res = do_match(si + 1, ep + 1)
                    if res then r = res; break end
                  end
                  pi = ep + 1
                elseif epc == 43 then -- '+'
                  if si <= SLEN and single_match(s_byte(S, si), pi, ep) then r = max_expand(si + 1, pi, ep) end
                  break
                elseif epc == 42 then -- '*'
                  r = max_expand(si, pi, ep)
                  break
                elseif epc == 45 then -- '-'
                  r = min_expand(si, pi, ep)
                  break
                else
                  if si > SLEN or not single_match(s_byte(S, si), pi, ep) then break end
                  si = si + 1
                  pi = ep
                end
              end
            end
            DEPTH = DEPTH - 1
            return r
          end

          -- Capture i (1-based) of the match [s, e); with no captures, capture 1 is the whole match.
          local function capture(i, s, e)
            if i > LEVEL then
              if i == 1 then return s_sub(S, s, e - 1) end
              error("invalid capture index %" .. i)
            end
            local l = CAP_LEN[i]
            if l == CAP_UNFINISHED then error("unfinished capture") end
            if l == CAP_POSITION then return CAP_INIT[i] end
            return s_sub(S, CAP_INIT[i], CAP_INIT[i] + l - 1)
          end

          local function captures(i, n, s, e)
            if i > n then return end
            return capture(i, s, e), captures(i + 1, n, s, e)
          end

          local function check_string(v, n, name)
            local t = type(v)
            if t == "string" then return v end
            if t == "number" then return tostring(v) end
            error("bad argument #" .. n .. " to '" .. name .. "' (string expected, got " .. (v == nil and "no value" or t) .. ")", 3)
          end

          local function check_integer(v, default, n, name)
            if v == nil then return default end
            local i = tointeger(v) or (type(v) == "string" and tointeger(tonumber(v)))
            if not i then
              error("bad argument #" .. n .. " to '" .. name .. "' (number has no integer representation)", 3)
            end
            return i
          end

          -- string.find and string.match's init: negative counts from the end.
          local function start_of(init, len)
            if init > 0 then return init elseif init == 0 or init < -len then return 1 end
            return len + init + 1
          end

          local function has_specials(p)
            return raw_find(p, "[%^%$%*%+%?%.%(%[%%%-]") ~= nil
          end

          local function find_or_match(find, name, s, p, init, plain)
            s, p = check_string(s, 1, name), check_string(p, 2, name)
            local ls, lp = #s, #p
            local si = start_of(check_integer(init, 1, 3, name), ls)
            if si > ls + 1 then return nil end
            if find and (plain or not has_specials(p)) then
              -- The C search compares the needle at each candidate position: bounded by the product.
              if (ls - si + 1.0) * lp > plain_work_limit then
                error("string.find: a plain search for " .. lp .. " bytes in " .. ls .. " bytes is more work than one call may do in strategies", 2)
              end
              return raw_find(s, p, si, true)
            end
            S, SLEN, P, PLEN = s, ls, p, lp
            local anchor = s_byte(p, 1) == 94
            local pi = anchor and 2 or 1
            repeat
              LEVEL, DEPTH = 0, 0
              local e = do_match(si, pi)
              if e then
                if find then return si, e - 1, captures(1, LEVEL, si, e) end
                return captures(1, LEVEL == 0 and 1 or LEVEL, si, e)
              end
              si = si + 1
            until si > ls + 1 or anchor
            return nil
          end

          local function find(s, p, init, plain) return find_or_match(true, "find", s, p, init, plain) end
          local function match(s, p, init) return find_or_match(false, "match", s, p, init, false) end

          local function gmatch(s, p, init)
            s, p = check_string(s, 1, "gmatch"), check_string(p, 2, "gmatch")
            local ls, lp = #s, #p
            local src = start_of(check_integer(init, 1, 3, "gmatch"), ls)
            if src > ls + 1 then src = ls + 2 end
            local last = nil
            return function()
              S, SLEN, P, PLEN = s, ls, p, lp
              while src <= ls + 1 do
                LEVEL, DEPTH = 0, 0
                local e = do_match(src, 1)
                if e and e ~= last then
                  local start = src
                  src, last = e, e
                  return captures(1, LEVEL == 0 and 1 or LEVEL, start, e)
                end
                src = src + 1
              end
              return nil
            end
          end

          -- Appends the replacement string repl for the match [s, e) to parts; returns the new count.
          local function add_string(parts, n, repl, s, e)
            local lr, i, literal = #repl, 1, 1
            while i <= lr do
              if s_byte(repl, i) == ESC then
                if i > literal then n = n + 1; parts[n] = s_sub(repl, literal, i - 1) end
                local d = s_byte(repl, i + 1)
                n = n + 1
                if d == ESC then parts[n] = "%"
                elseif d == 48 then parts[n] = s_sub(S, s, e - 1)
                elseif d and d >= 49 and d <= 57 then parts[n] = tostring(capture(d - 48, s, e))
                else error("invalid use of '%' in replacement string") end
                i = i + 2
                literal = i
              else
                i = i + 1
              end
            end
            if literal <= lr then n = n + 1; parts[n] = s_sub(repl, literal, lr) end
            return n
          end

          local function gsub(subject, p, repl, max_n)
            local s = check_string(subject, 1, "gsub")
            p = check_string(p, 2, "gsub")
            local tr = type(repl)
            if tr == "number" then repl, tr = tostring(repl), "string" end
            if tr ~= "string" and tr ~= "table" and tr ~= "function" then
              error("bad argument #3 to 'gsub' (string/function/table expected, got " .. (repl == nil and "no value" or tr) .. ")", 2)
            end
            local ls, lp = #s, #p
            local max_s = check_integer(max_n, ls + 1, 4, "gsub")
            local anchor = s_byte(p, 1) == 94
            local pi = anchor and 2 or 1
            local parts, n, count, changed = {}, 0, 0, false
            local src, last, copied = 1, nil, 1 -- copied: the first byte of s not yet in parts
            while count < max_s do
              S, SLEN, P, PLEN = s, ls, p, lp
              LEVEL, DEPTH = 0, 0
              local e = do_match(src, pi)
              if e and e ~= last then
                count = count + 1
                if src > copied then n = n + 1; parts[n] = s_sub(s, copied, src - 1) end
                if tr == "string" then
                  n = add_string(parts, n, repl, src, e)
                  changed = true
                else
                  local value
                  if tr == "table" then value = repl[capture(1, src, e)]
                  else value = repl(captures(1, LEVEL == 0 and 1 or LEVEL, src, e)) end
                  n = n + 1
                  if not value then
                    parts[n] = s_sub(s, src, e - 1)
                  elseif type(value) == "string" or type(value) == "number" then
                    parts[n] = tostring(value)
                    changed = true
                  else
                    error("invalid replacement value (a " .. type(value) .. ")")
                  end
                end
                copied = e
                src, last = e, e
              elseif src <= ls then
                src = src + 1
              else
                break
              end
              if anchor then break end
            end
            if not changed then return subject, count end
            if copied <= ls then n = n + 1; parts[n] = s_sub(s, copied, ls) end
            return concat(parts, "", 1, n), count
          end

          return find, match, gmatch, gsub
        end
        """;
}
