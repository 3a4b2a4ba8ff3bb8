using System.Text;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Trading;
using Tickrunner.Engine.Wire;

namespace Tickrunner.Engine.Tests;

/// <summary>Every event variant against hand-written JSON (docs/engine-contract.md §6).</summary>
public class EventJsonTests
{
    private static string Json(RunnerEvent e, long seq = 7) => Encoding.UTF8.GetString(EventJson.Serialize(e, seq));

    private static string At(RunnerEvent e) => $"\"timestamp\":{e.Timestamp},\"seq\":7}}}}";

    [Fact]
    public void Tick_received()
    {
        var e = RunnerEvent.TickReceived("btc_ema", new MarketData("BTCUSDT", 1700000000000, 50000, 50100.5, 49900, 50050, 12.5, 50049.5, 50050.5), 0, 1_700_000_000_000);
        Assert.Equal("""{"TickReceived":{"runner_id":"btc_ema","symbol":"BTCUSDT","data":{"symbol":"BTCUSDT","timestamp":1700000000000,"open":50000,"high":50100.5,"low":49900,"close":50050,"volume":12.5,"bid":50049.5,"ask":50050.5},""" + At(e), Json(e));
    }

    [Fact]
    public void State_transition()
    {
        var e = RunnerEvent.StateTransition("r", "X", new Transition(TradingState.Analyzing, TradingState.InPosition, "Entered Long 0.1 at 50000", 1), 0, 1_700_000_000_000);
        Assert.Equal("""{"StateTransition":{"runner_id":"r","from":"Analyzing","to":"InPosition","reason":"Entered Long 0.1 at 50000",""" + At(e), Json(e));
    }

    [Fact]
    public void Action_executed_for_each_action_shape()
    {
        var enter = RunnerEvent.ActionExecuted("r", "X", TradingAction.EnterLong(50000, 0.1, 49000, 52500), 0, 1_700_000_000_000);
        Assert.Equal("""{"ActionExecuted":{"runner_id":"r","action":{"type":"enter_long","price":50000,"quantity":0.1,"stop_loss":49000,"take_profit":52500},""" + At(enter), Json(enter));
        var exit = RunnerEvent.ActionExecuted("r", "X", TradingAction.Exit(51000, "done"), 0, 1_700_000_000_000);
        Assert.Equal("""{"ActionExecuted":{"runner_id":"r","action":{"type":"exit","price":51000,"reason":"done"},""" + At(exit), Json(exit));
        var stop = RunnerEvent.ActionExecuted("r", "X", TradingAction.UpdateStopLoss(49500), 0, 1_700_000_000_000);
        Assert.Equal("""{"ActionExecuted":{"runner_id":"r","action":{"type":"update_stop_loss","new_stop":49500},""" + At(stop), Json(stop));
        var target = RunnerEvent.ActionExecuted("r", "X", TradingAction.UpdateTakeProfit(53000), 0, 1_700_000_000_000);
        Assert.Equal("""{"ActionExecuted":{"runner_id":"r","action":{"type":"update_take_profit","new_target":53000},""" + At(target), Json(target));
        var cancel = RunnerEvent.ActionExecuted("r", "X", TradingAction.CancelAnalysis(), 0, 1_700_000_000_000);
        Assert.Equal("""{"ActionExecuted":{"runner_id":"r","action":{"type":"cancel_analysis"},""" + At(cancel), Json(cancel));
    }

    [Fact]
    public void Position_opened()
    {
        var e = RunnerEvent.PositionOpened("r", "X", new Position(PositionSide.Short, 3000, 2, 1700000000000, takeProfit: 2800), 0, 1_700_000_000_000);
        Assert.Equal("""{"PositionOpened":{"runner_id":"r","position":{"side":"Short","entry_price":3000,"quantity":2,"entry_timestamp":1700000000000,"current_price":3000,"stop_loss":null,"take_profit":2800,"unrealized_pnl":0,"entry_fee":0},""" + At(e), Json(e));
    }

    [Fact]
    public void Position_updated_and_closed()
    {
        var updated = RunnerEvent.PositionUpdated("r", "X", 50150, 15, 0, 1_700_000_000_000);
        Assert.Equal("""{"PositionUpdated":{"runner_id":"r","current_price":50150,"unrealized_pnl":15,""" + At(updated), Json(updated));
        var machine = new StateMachine();
        machine.Apply(TradingAction.EnterLong(50000, 0.1, 49000), 0);
        var position = machine.MarkToMarket(49000, 5).Closed!;
        position.EntryFee = 5;
        position.ExitFee = 4.9;
        var closed = RunnerEvent.PositionClosed("r", "X", position, "Stop loss hit at 49000", 9890.1, 9890.1, 0, 1_700_000_000_000);
        // realized_pnl is net: −100 gross − 5 − 4.9 of fees.
        Assert.Equal("""{"PositionClosed":{"runner_id":"r","exit_price":49000,"realized_pnl":-109.9,"reason":"Stop loss hit at 49000","fees":9.9,"equity":9890.1,"cash":9890.1,""" + At(closed), Json(closed));
    }

    [Fact]
    public void Error_with_each_severity()
    {
        foreach (var severity in Enum.GetValues<ErrorSeverity>())
        {
            var e = RunnerEvent.Error("r", "X", "bad \"quote\"", severity, 0, 1_700_000_000_000);
            Assert.Equal($$"""{"Error":{"runner_id":"r","error":"bad \u0022quote\u0022","severity":"{{severity}}",""" + At(e), Json(e));
        }
    }

    [Fact]
    public void Runner_started_and_stopped()
    {
        var started = RunnerEvent.RunnerStarted("r", "ETHUSDT", 1_700_000_000_000);
        Assert.Equal("""{"RunnerStarted":{"runner_id":"r","symbol":"ETHUSDT",""" + At(started), Json(started));
        var stopped = RunnerEvent.RunnerStopped("r", "ETHUSDT", "removed", 1_700_000_000_000);
        Assert.Equal("""{"RunnerStopped":{"runner_id":"r","reason":"removed",""" + At(stopped), Json(stopped));
    }

    [Fact]
    public void Job_events_carry_their_job_id_instead_of_a_runner_id()
    {
        var backtest = RunnerEvent.BacktestProgress("bt-7", 0.25, 1024, 4096.5, 1_700_000_000_000);
        Assert.Equal("""{"BacktestProgress":{"backtest_id":"bt-7","progress":0.25,"bars_done":1024,"bars_per_second":4096.5,""" + At(backtest), Json(backtest));
        var progress = RunnerEvent.OptimizationProgress("opt-3", 0.625, 10, 20, 2, 4, 1.5, 7, 1_700_000_000_000);
        Assert.Equal("""{"OptimizationProgress":{"optimization_id":"opt-3","progress":0.625,"trials_done":10,"trials_planned":20,"window":2,"windows":4,"best_objective":1.5,"best_trial":7,""" + At(progress), Json(progress));
        var start = RunnerEvent.OptimizationProgress("opt-3", 0, 0, 20, 0, 1, null, null, 1_700_000_000_000);
        Assert.Equal("""{"OptimizationProgress":{"optimization_id":"opt-3","progress":0,"trials_done":0,"trials_planned":20,"window":0,"windows":1,"best_objective":null,"best_trial":null,""" + At(start), Json(start));
        var finished = RunnerEvent.OptimizationFinished("opt-3", "cancelled", 1_700_000_000_000);
        Assert.Equal("""{"OptimizationFinished":{"optimization_id":"opt-3","status":"cancelled",""" + At(finished), Json(finished));
        Assert.True(EventJson.TryParseKind("OptimizationProgress", out var kind) && kind == RunnerEventKind.OptimizationProgress);
        Assert.True(EventJson.TryParseKind("OptimizationFinished", out kind) && kind == RunnerEventKind.OptimizationFinished);
    }

    [Fact]
    public void Lag_notice() =>
        Assert.Equal("""{"Lagged":{"dropped":12,"timestamp":99}}""", Encoding.UTF8.GetString(StreamMessages.Lagged(12, 99)));

    [Fact]
    public void The_timestamp_is_the_one_the_event_was_stamped_with() =>
        Assert.Equal(1_700_000_000_123, RunnerEvent.RunnerStarted("r", "X", 1_700_000_000_123).Timestamp);
}

public class JsonNumberTests
{
    [Theory]
    [InlineData(50000.0, "50000")]
    [InlineData(50050.25, "50050.25")]
    [InlineData(0.1, "0.1")]
    [InlineData(-3.0, "-3")]
    [InlineData(0.00000001, "0.00000001")]
    [InlineData(123456789.12345678, "123456789.12345678")]
    public void Exchange_numbers_are_written_as_plain_decimals(double value, string expected)
    {
        Span<byte> buffer = stackalloc byte[32];
        Assert.True(Tickrunner.Engine.Wire.JsonNumber.TryFormat(value, buffer, out var n));
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(buffer[..n]));
    }

    [Fact]
    public void Every_written_number_parses_back_to_the_same_double()
    {
        var rng = new Random(3);
        for (var i = 0; i < 100_000; i++)
        {
            var value = i % 2 == 0
                ? Math.Round(rng.NextDouble() * Math.Pow(10, rng.Next(0, 9)), rng.Next(0, 9))
                : (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-12, 14));
            var e = Tickrunner.Engine.Events.RunnerEvent.PositionUpdated("r", "X", value, -value, 0, 1_700_000_000_000);
            var bytes = Tickrunner.Engine.Wire.EventJson.Serialize(e, 1);
            var text = System.Text.Encoding.ASCII.GetString(bytes);
            var price = text[(text.IndexOf("\"current_price\":", StringComparison.Ordinal) + 16)..text.IndexOf(",\"unrealized_pnl", StringComparison.Ordinal)];
            Assert.False(price.Contains('.') && !price.Contains('E') && price.EndsWith('0'), $"{price}: trailing zeros"); // the shortest plain form
            var json = System.Text.Json.JsonDocument.Parse(bytes);
            var payload = json.RootElement.GetProperty("PositionUpdated");
            Assert.Equal(value, payload.GetProperty("current_price").GetDouble());
            Assert.Equal(-value, payload.GetProperty("unrealized_pnl").GetDouble());
        }
    }

    [Fact]
    public void Integers_are_written_like_the_framework_writes_them()
    {
        var values = new List<ulong> { 0, ulong.MaxValue, 1_700_000_000_000 };
        for (ulong p = 1; p <= 10_000_000_000_000_000_000UL; p *= 10)
        {
            values.AddRange([p - 1, p, p + 1]);
            if (p > ulong.MaxValue / 10) break;
        }
        var rng = new Random(5);
        for (var i = 0; i < 10_000; i++) values.Add((ulong)rng.NextInt64() >> rng.Next(0, 63));
        Span<byte> buffer = stackalloc byte[24];
        foreach (var value in values)
        {
            var n = Tickrunner.Engine.Wire.JsonNumber.WriteInteger(value, buffer);
            Assert.Equal(value.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Text.Encoding.ASCII.GetString(buffer[..n]));
        }
    }

    [Fact]
    public void Non_finite_numbers_become_null()
    {
        var e = Tickrunner.Engine.Events.RunnerEvent.PositionUpdated("r", "X", double.NaN, double.PositiveInfinity, 0, 1_700_000_000_000);
        Assert.Contains("\"current_price\":null,\"unrealized_pnl\":null", System.Text.Encoding.UTF8.GetString(Tickrunner.Engine.Wire.EventJson.Serialize(e, 1)));
    }
}

/// <summary>The stream's own messages and client requests (docs/guides/web-app-api.md §4).</summary>
public class StreamProtocolTests
{
    [Fact]
    public void Heartbeat_subscribed_and_protocol_error_have_the_documented_shape()
    {
        Assert.Equal("""{"Heartbeat":{"timestamp":99,"last_seq":7}}""", Encoding.UTF8.GetString(StreamMessages.Heartbeat(99, 7)));
        var filter = new EventFilter(["b", "a"], [], [RunnerEventKind.PositionOpened, RunnerEventKind.Error]);
        Assert.Equal("""{"Subscribed":{"runner_id":["a","b"],"symbol":[],"type":["Error","PositionOpened"],"last_seq":3}}""",
            Encoding.UTF8.GetString(StreamMessages.Subscribed(filter, 3)));
        Assert.Equal("""{"ProtocolError":{"error":"it\u0027s \u003Cbad\u003E"}}""", Encoding.UTF8.GetString(StreamMessages.ProtocolError("it's <bad>")));
    }

    [Fact]
    public void Messages_widen_narrow_and_replace_the_filter()
    {
        var filter = StreamRequests.ParseFilter(["a,b"], [], ["TickReceived"], out var error);
        Assert.Null(error);
        filter = StreamRequests.Apply("""{"subscribe":{"runner_id":["c"]}}"""u8, filter, out error)!;
        Assert.Equal(["a", "b", "c"], filter.RunnerIds.Order());
        filter = StreamRequests.Apply("""{"unsubscribe":{"runner_id":"a"}}"""u8, filter, out error)!;
        Assert.Equal(["b", "c"], filter.RunnerIds.Order());
        filter = StreamRequests.Apply("""{"filter":{"symbol":["ETHUSDT"]}}"""u8, filter, out error)!;
        Assert.Empty(filter.RunnerIds);
        Assert.Equal(["ETHUSDT"], filter.Symbols);
        Assert.Null(StreamRequests.Apply("""{"filter":{"type":["Nope"]}}"""u8, filter, out error));
        Assert.StartsWith("Unknown event type(s) 'Nope'", error);
        Assert.Null(StreamRequests.Apply("[1]"u8, filter, out error));
        Assert.StartsWith("Send a JSON object", error);
    }
}
