using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Tests;

/// <summary>A strategy written written to the Lua contract of docs/engine-contract.md §4 that touches every part of the API.</summary>
public class ContractStrategyTests
{
    private const string EveryFeature = """
        -- Written the way the contract describes strategies: globals, context, dot-called indicators.
        local ticks = 0
        print("loaded at", os.time() > 0, os.clock() >= 0, type(os.date("%H")))

        local function snapshot(md, ind)
          local line, signal, hist = ind.macd(3, 6, 2)
          local upper, middle, lower = ind.bollinger(5, 2.0)
          assert(md.symbol == "BTCUSDT" and math.type(md.timestamp) == "integer")
          assert(md.low <= md.open and md.open <= md.high and md.bid < md.ask)
          assert(md.mid_price == (md.bid + md.ask) / 2 and md.volume > 0)
          assert(ind.high >= ind.low and ind.range == ind.high - ind.low and ind.avg_volume > 0)
          if line then assert(upper >= middle and middle >= lower and hist == line - signal) end
          return ind.sma(3), ind.ema(3), ind.rsi(3)
        end

        function detect_opportunity(market_data, context, indicators)
          ticks = ticks + 1
          context.ticks = ticks
          local sma, ema, rsi = snapshot(market_data, indicators)
          if context.phase == nil and rsi and rsi > 60 then
            return { phase = "first", entry_hint = market_data.close }
          end
          if context.phase == "second" then
            return { phase = "third" }
          end
          if context.phase == "first" and context.cancelled then
            return { phase = "second" }
          end
          return nil
        end

        function filter_commitment(market_data, context, indicators)
          ticks = ticks + 1
          context.ticks = ticks
          snapshot(market_data, indicators)
          if context.phase == "first" and not context.cancelled then
            context.cancelled = true
            return { action = "cancel_analysis", reason = "test the cancel path" }
          end
          if context.phase == "second" then
            local p = market_data.close
            return { action = "enter_long", price = p, quantity = 1, stop_loss = p * 0.5, take_profit = p * 2 }
          end
          return { action = "enter_short", price = market_data.close, quantity = 2 }
        end

        function manage_position(market_data, context, indicators)
          ticks = ticks + 1
          context.ticks = ticks
          snapshot(market_data, indicators)
          context.managed = (context.managed or 0) + 1
          if context.managed == 1 then return { action = "update_stop_loss", new_stop = market_data.close * 0.9 } end
          if context.managed == 2 then return { action = "update_take_profit", new_target = market_data.close * 3 } end
          if context.managed == 3 then return { action = "start_analyzing" } end -- rejected: not valid in InPosition
          print("exiting", context.phase)
          context.managed = nil
          return { action = "exit", price = market_data.close, reason = "scripted exit " .. context.phase }
        end
        """;

    [Fact]
    public void Every_part_of_the_api_works_together()
    {
        var log = new List<string>();
        using var strategy = LuaStrategy.FromCode("contract", EveryFeature, log: log.Add);
        var processor = new TickProcessor(strategy, 50);
        var outcomes = new List<TickOutcome>();
        for (var i = 0; i < 30; i++)
            outcomes.Add(processor.Process(LuaStrategyTests.Bar(1000 + i, 100 + i, 5 + i % 3)));

        Assert.DoesNotContain(outcomes, o => o.Strategy.Signal == StrategySignal.Error);
        var reasons = processor.Machine.RecentTransitions().Select(t => $"{t.From}->{t.To}: {t.Reason}").ToList();
        Assert.Equal(
        [
            "Idle->Analyzing: Strategy detected opportunity",
            "Analyzing->Idle: test the cancel path",
            "Idle->Analyzing: Strategy detected opportunity",
            "Analyzing->InPosition: Entered Long 1 at 106",
            "InPosition->Idle: scripted exit second",
            "Idle->Analyzing: Strategy detected opportunity",
            "Analyzing->InPosition: Entered Short 2 at 112",
            "InPosition->Idle: Stop loss hit at 113", // the short's stop was moved below the price
        ], reasons.Take(8));
        var rejected = outcomes.Where(o => o.Action.IsRejected).Select(o => o.Action.Rejection).ToList();
        Assert.Contains("start_analyzing is not valid in state InPosition (only in Idle)", rejected);
        Assert.Contains(outcomes, o => o.Action.Executed && o.Strategy.Action.Kind == ActionKind.UpdateStopLoss);
        Assert.Contains(outcomes, o => o.Action.Executed && o.Strategy.Action.Kind == ActionKind.UpdateTakeProfit);
        Assert.Equal("loaded at\ttrue\ttrue\tstring", log[0]);
        Assert.Contains("exiting\tsecond", log);
        Assert.Equal(30L, strategy.ContextScalars()["ticks"]);
    }
}
