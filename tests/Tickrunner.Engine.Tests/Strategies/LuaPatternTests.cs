using KeraLua;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Tests;

/// <summary>
/// The sandbox's pattern functions, written in Lua so the budget reaches every step, against Lua's own C
/// functions in a plain state: the same results (or both an error) for every case.
/// </summary>
public class LuaPatternTests
{
    // Each case is a Lua expression; its results are serialised by ser(...).
    public static TheoryData<string> Cases => new()
    {
        "string.find('hello world', 'o w')",
        "string.find('hello world', 'l+')",
        "string.find('hello world', 'l+', 5)",
        "string.find('hello world', 'l+', -3)",
        "string.find('hello', 'l', 10)",
        "string.find('hello', '', 6)",
        "string.find('hello', '', 7)",
        "string.find('hello', 'xyz')",
        "string.find('a.b', '.', 1, true)",
        "string.find('a+b', '+', 1, true)",
        "string.find('abc=12', '(%w+)=(%d+)')",
        "string.find('  key = value  ', '^%s*(%S+)%s*=%s*(%S+)%s*$')",
        "string.find('abc', '()b()')",
        "string.find('THE (quick) fox', '%((%a+)%)')",
        "string.find('THE (quick) fox', '%f[%a]%a+')",
        "string.find('hello', '^h')",
        "string.find('hello', '^e')",
        "string.find('hello', 'o$')",
        "string.find('hel$lo', 'l$l')",
        "string.find('aaab', 'a-b')",
        "string.find('aaab', 'a*')",
        "string.find('', 'a*')",
        "string.find('xay', 'a?y')",
        "string.find('[[x]]', '[%[]+')",
        "string.find('a]b', '[]]')",
        "string.find('a^b', '[%^]')",
        "string.find('a^b', '[^a]')",
        "string.find('a-b', '[a%-]+')",
        "string.find('m-z', '[a-f-]')",
        "string.find('0x1F', '%x+', 3)",
        "string.find('tab\\there', '%c')",
        "string.find('a,b;c', '%p')",
        "string.find('ABCdef', '%u+')",
        "string.find('ABCdef', '%l+')",
        "string.find('ABC def', '%A')",
        "string.find('ABC def', '%W')",
        "string.find('x = (a(b)c) y', '%b()')",
        "string.find('no close (', '%b()')",
        "string.find('hello hello', '(h%a+) %1')",
        "string.find('abab', '(ab)%1')",
        "string.find('THE quick', '%f[%l]')",
        "string.find('end', '%f[%z]')",
        "string.find('12.5e3', '^[+-]?%d+%.?%d*[eE]?%d*$')",
        "string.match('key=val', '(%w+)=(%w+)')",
        "string.match('2024-01-15', '(%d+)-(%d+)-(%d+)')",
        "string.match('hello', '.-l')",
        "string.match('hello', '()ll()')",
        "string.match('  trim  ', '^%s*(.-)%s*$')",
        "string.match('abc', 'b', 3)",
        "string.match('abc', 'x')",
        "string.match('abc', '((a)(b))')",
        "string.match(12345, '%d%d')",
        "string.gsub('hello world', 'o', '0')",
        "string.gsub('hello world', 'o', '0', 1)",
        "string.gsub('hello world', '(%w+)', '<%1>')",
        "string.gsub('hello world', '%w+', '%0 %0')",
        "string.gsub('abc', '', '-')",
        "string.gsub('abc', '.', { a = 1, b = true })",
        "string.gsub('abc', '%w', function(c) if c == 'b' then return nil end return c:upper() end)",
        "string.gsub('x = 1, y = 2', '(%w+) = (%w+)', '%2 = %1')",
        "string.gsub('100%', '%%', ' percent')",
        "string.gsub('abc', 'b', '%%')",
        "string.gsub('hello', '^h', 'H')",
        "string.gsub('hello', 'l*', 'L')",
        "string.gsub('abc', '()', '%1')",
        "string.gsub('abc', 'x', 'y')",
        "string.gsub('a b c', ' ', '', 5)",
        "string.gsub('$1,000', '[$,]', '')",
        "string.gsub('abc', '%w', '%2')",
        "string.gsub('abc', '%w', '%')",
        "string.gsub('abc', '(', 'x')",
        "string.gsub('abc', '%', 'x')",
        "string.gsub('abc', '[a', 'x')",
        "string.gsub('abc', 'a)', 'x')",
        "string.gsub('abc', '%1', 'x')",
        "string.gsub('abc', '%b', 'x')",
        "string.gsub('abc', '%f', 'x')",
        "string.gsub('abc', '.', {})",
        "string.gsub('abc', '.', function() return {} end)",
        "(function() local t = {} for k, v in string.gmatch('a=1, b=2, c=3', '(%w+)=(%w+)') do t[#t + 1] = k .. v end return table.concat(t, ';') end)()",
        "(function() local t = {} for w in string.gmatch('one two  three', '%a+') do t[#t + 1] = w end return table.concat(t, ';') end)()",
        "(function() local t = {} for w in string.gmatch('abc', '') do t[#t + 1] = '[' .. w .. ']' end return table.concat(t, ';') end)()",
        "(function() local t = {} for a, b in string.gmatch('abcd', '()(.)') do t[#t + 1] = a .. b end return table.concat(t, ';') end)()",
        "(function() local t = {} for w in string.gmatch('abcabc', 'b', 3) do t[#t + 1] = w end return #t end)()",
        "(function() local t = {} for w in string.gmatch('^a^a', '^a') do t[#t + 1] = w end return #t end)()",
        "('x-y-z'):gsub('-', '+')",
        "('CamelCaseWord'):gsub('(%u)', ' %1')",
        "('a,b,,c'):find(',,', 1, true)",
        "string.find('abc', 'b', 1.0)",
        "string.find('abc', 'b', '2')",
        "string.find('abc', 'b', 1.5)",
        "string.find({}, 'b')",
        "string.rep('ab', 3, ',')",
        "string.rep('ab', 0)",
        "string.rep('x', -1)",
        "table.concat({ 1, 2, 3 }, '-')",
        "table.concat({ 1, 2, 3 }, '-', 2)",
        "(function() local t = { 1, 2, 3 } table.insert(t, 1, 0) table.insert(t, 9) return table.concat(t, ',') end)()",
        "(function() local t = { 1, 2, 3 } return table.remove(t, 1), table.remove(t), table.concat(t, ',') end)()",
        "(function() local t = table.move({ 1, 2, 3 }, 1, 3, 2) return table.concat(t, ',') end)()",
        "(function() local t = { 3, 1, 2 } table.sort(t) return table.concat(t, ',') end)()",
        "(function() local t = { 3, 1, 2 } table.sort(t, function(a, b) return a > b end) return table.concat(t, ',') end)()",
    };

    private const string Harness = """
        local function ser(...)
          local out = {}
          for i = 1, select('#', ...) do
            local v = select(i, ...)
            out[i] = type(v) == 'string' and string.format('%q', v) or math.type(v) or tostring(v)
            if math.type(v) then out[i] = out[i] .. ':' .. tostring(v) end
          end
          return select('#', ...) .. '|' .. table.concat(out, ',')
        end
        local function run(f)
          local r = table.pack(pcall(f))
          if not r[1] then return 'error' end
          return ser(table.unpack(r, 2, r.n))
        end
        """;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sandboxed_patterns_and_table_functions_give_what_Lua_gives(string expression)
    {
        var code = $"{Harness}\nRESULT = run(function() return {expression} end)";
        Assert.Equal(InPlainLua(code), InSandbox(code));
    }

    [Fact]
    public void Pattern_nesting_is_limited_like_Lua()
    {
        var code = $"{Harness}\nRESULT = run(function() return string.find(string.rep('a', 300), string.rep('a?', 300)) end)";
        Assert.Equal("error", InPlainLua(code));
        Assert.Equal("error", InSandbox(code));
    }

    private static string InPlainLua(string code)
    {
        using var lua = new Lua();
        lua.OpenLibs();
        Assert.False(lua.DoString(code), lua.ToString(-1));
        lua.GetGlobal("RESULT");
        return lua.ToString(-1);
    }

    private static string InSandbox(string code)
    {
        using var strategy = LuaStrategy.FromCode("patterns", code + """

            function detect_opportunity(md, context) context.result = RESULT end
            function filter_commitment() end
            function manage_position() end
            """);
        var window = LuaStrategyTests.WindowOf(100);
        strategy.OnTick(TradingState.Idle, window.Latest!.Value, window);
        return (string)strategy.ContextScalars()["result"];
    }
}
