namespace Tickrunner.Cluster.Tests;

/// <summary>Small Lua strategies whose trades the tests can predict.</summary>
public static class LuaStrategies
{
    /// <summary>Enters long whenever it is idle and exits after <c>hold</c> bars: a closed trade every hold + 2 bars or so.</summary>
    public const string Holder = """
        params = { hold = { default = 3, min = 1, max = 10000, step = 1 } }
        function detect_opportunity(md, ctx) return {} end
        function filter_commitment(md, ctx) return { action = "enter_long", price = md.close, quantity = 0.01 } end
        function manage_position(md, ctx)
          ctx.held = (ctx.held or 0) + 1
          if ctx.held >= params.hold then ctx.held = 0 return { action = "exit", price = md.close, reason = "held" } end
        end
        """;

    /// <summary>Never trades on its own and counts the bars it saw in its context: the tests enter and exit by hand.</summary>
    public const string Idler = """
        function detect_opportunity(md, ctx) ctx.bars = (ctx.bars or 0) + 1 end
        function filter_commitment(md, ctx) end
        function manage_position(md, ctx) ctx.bars = (ctx.bars or 0) + 1 end
        """;

    /// <summary>Loads, then raises an error on every bar.</summary>
    public const string Raiser = """
        function detect_opportunity(md, ctx) error("no luck at " .. md.close) end
        function filter_commitment(md, ctx) end
        function manage_position(md, ctx) end
        """;

    /// <summary>Does not compile: the table opened on line 2 is never closed, which Lua reports on line 3.</summary>
    public const string SyntaxError = """
        function detect_opportunity(md, ctx)
          return {
        end
        """;
}
