namespace Tickrunner.Testing;

/// <summary>Lua strategies more than one test project runs.</summary>
public static class TestStrategies
{
    /// <summary>Enters long whenever it may and exits two bars later: a trade every few ticks, won or lost as the walk goes.</summary>
    public const string Flipper = """
        function detect_opportunity(md, ctx) return {} end
        function filter_commitment(md, ctx) return { action = "enter_long", price = md.close, quantity = 0.01 } end
        function manage_position(md, ctx)
          ctx.held = (ctx.held or 0) + 1
          if ctx.held >= 2 then ctx.held = 0 return { action = "exit", price = md.close, reason = "flip" } end
        end
        """;

    /// <summary>Never trades by itself: only manual entries and exits move it.</summary>
    public const string Passive = """
        function detect_opportunity(md, ctx, ind) end
        function filter_commitment(md, ctx, ind) end
        function manage_position(md, ctx, ind) end
        """;

    /// <summary>Moving-average crossover with declared lengths, a holding time and a side: the optimizer's tests search it.</summary>
    public const string Crossover = """
        params = {
          fast = { default = 5, min = 2, max = 20, step = 1 },
          slow = { default = 20, min = 10, max = 60, step = 5 },
          hold = { default = 7, min = 2, max = 30, step = 1 },
          side = { default = "long", choices = { "long", "short" } },
        }
        function detect_opportunity(md, ctx, ind)
          local fast, slow = ind.sma(params.fast), ind.sma(params.slow)
          if fast and slow and fast > slow then return {} end
        end
        function filter_commitment(md, ctx, ind, account)
          local q = math.floor(account.equity * 0.5 / md.close * 1000) / 1000
          return { action = params.side == "long" and "enter_long" or "enter_short", price = md.close, quantity = q }
        end
        function manage_position(md, ctx)
          ctx.held = (ctx.held or 0) + 1
          if ctx.held >= params.hold then ctx.held = 0 return { action = 'exit', price = md.close, reason = 'time' } end
        end
        """;
}
