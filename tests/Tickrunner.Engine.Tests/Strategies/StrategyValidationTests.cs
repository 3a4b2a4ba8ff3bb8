using Tickrunner.Engine.Strategies;

namespace Tickrunner.Engine.Tests;

public class StrategyValidationTests
{
    [Fact]
    public void Valid_code_has_no_diagnostics() => Assert.Empty(LuaStrategy.Validate(LuaStrategyTests.Empty));

    [Fact]
    public void Syntax_error_has_line_and_column()
    {
        var d = Assert.Single(LuaStrategy.Validate("function detect_opportunity()\n  if x then\nend\n", "s"));
        Assert.Equal(4, d.Line);
        Assert.Contains("'end' expected", d.Message);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
    }

    [Fact]
    public void Runtime_error_at_load_and_missing_entry_points_are_reported()
    {
        var d = LuaStrategy.Validate("local t = nil\nlocal x = t.y\n");
        Assert.Equal(2, Assert.Single(d).Line);
        Assert.Contains("attempt to index a nil value (local 't')", d[0].Message);

        var missing = LuaStrategy.Validate("function detect_opportunity() end");
        Assert.Equal(2, missing.Count);
        Assert.All(missing, m => Assert.Contains("missing function", m.Message));
    }

    [Fact]
    public void Forbidden_globals_are_found_inside_functions_that_never_ran()
    {
        var code = LuaStrategyTests.Empty + """

            function helper()
              local f = io.open("x")      -- line 5
              os.execute("rm -rf /")      -- line 6
              local t = os.time()         -- allowed
              require("socket")           -- line 8
              debug.sethook()             -- line 9
              local s = "io.open in a string is fine" -- io.open in a comment is fine
              local c = coroutine.create(print) -- line 11
              return string.dump(helper)  -- line 12
            end
            """;
        var d = LuaStrategy.Validate(code);
        Assert.Equal([(5, 13), (6, 6), (8, 3), (9, 3), (11, 13), (12, 17)], d.Select(x => (x.Line, x.Column ?? 0)));
        Assert.Contains("io library is not available", d[0].Message);
        Assert.Contains("'os.execute' is not available", d[1].Message);
    }

    [Fact]
    public void Locals_fields_and_keys_named_like_forbidden_globals_are_fine()
    {
        var code = LuaStrategyTests.Empty + """

            local io = { open = function() end }
            local t = { debug = true, require = 1 }
            t.io = io.open
            local function f(package) return package end
            for _, coroutine in ipairs({}) do end
            local s = [[ os.execute ]] --[==[ require("x") ]==]
            """;
        Assert.Empty(LuaStrategy.Validate(code));
    }

    [Fact]
    public void Runaway_top_level_code_is_a_diagnostic_not_a_hang()
    {
        var d = Assert.Single(LuaStrategy.Validate("local i = 0\nwhile true do i = i + 1 end"));
        Assert.Equal(2, d.Line);
        Assert.Contains("instruction budget", d.Message);
    }

    [Fact]
    public void Diagnostics_serialize_as_line_column_message_severity()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(new LuaDiagnostic(3, null, "boom", DiagnosticSeverity.Error), Wire.WireJson.Options);
        Assert.Equal("""{"line":3,"column":null,"message":"boom","severity":"Error"}""", json);
    }
}
