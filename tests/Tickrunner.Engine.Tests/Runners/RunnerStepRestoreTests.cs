using Microsoft.Extensions.Logging.Abstractions;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Tests;

/// <summary>RunnerStep.Capture and Restore: what a new instance of a runner (a restart, a reload, a move on the cluster) takes over.</summary>
public class RunnerStepRestoreTests
{
    // Enters long on the third bar it sees when flat, and never exits on its own.
    private const string EntersOnTheThirdBar = """
        function detect_opportunity(md, ctx)
          ctx.seen = (ctx.seen or 0) + 1
          if ctx.seen >= 3 then return { action = "start_analyzing" } end
        end
        function filter_commitment(md, ctx) return { action = "enter_long", price = md.close, quantity = 1 } end
        function manage_position(md, ctx) end
        """;

    private static RunnerStep NewStep() =>
        new(EngineTestKit.Definition("q", strategy: "enters") with { Account = AccountSettings.With(null, null, null, FillTiming.NextOpen, null) },
            LuaStrategy.FromCode("enters", EntersOnTheThirdBar), events: null, new BarTimeClock(), NullLogger.Instance);

    private static MarketData Bar(int i) => new("BTCUSDT", 60_000L * i, 100 + i, 102 + i, 99 + i, 101 + i, 10, 0, 0);

    [Fact]
    public void An_order_waiting_for_the_next_open_is_taken_over_by_the_new_instance_and_fills_there_as_it_would_have()
    {
        // The reference: one instance all the way.
        var whole = NewStep();
        for (var i = 1; i <= 5; i++) whole.Process(Bar(i), 0);
        var expected = whole.Processor.Machine.Position!;
        whole.Processor.Strategy.Dispose();

        // The same bars with a new instance after the bar that queued the entry.
        var first = NewStep();
        var bar = 1;
        while (first.Processor.QueuedAction is null)
        {
            first.Process(Bar(bar++), 0);
            Assert.True(bar < 10, "the strategy never queued its entry");
        }
        Assert.Null(first.Processor.Machine.Position);
        var captured = first.Capture(RunnerStatus.Running);
        Assert.Equal(ActionKind.EnterLong, captured.QueuedAction!.Value.Kind);
        first.Processor.Strategy.Dispose();

        var second = NewStep();
        second.Restore(captured);
        Assert.Equal(captured.QueuedAction, second.Processor.QueuedAction);
        for (; bar <= 5; bar++) second.Process(Bar(bar), 0);
        var position = second.Processor.Machine.Position!;
        Assert.Equal(expected.EntryTimestamp, position.EntryTimestamp);
        Assert.Equal(expected.EntryPrice, position.EntryPrice); // filled at the open of the bar after the one that asked
        Assert.Equal(expected.EntryFee, position.EntryFee);
        Assert.Null(second.Processor.QueuedAction);
        second.Processor.Strategy.Dispose();
    }
}
