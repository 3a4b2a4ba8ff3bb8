using Tickrunner.Engine.Common;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using static Tickrunner.Engine.Tests.EngineTestKit;

namespace Tickrunner.Engine.Tests;

/// <summary>A time provider a test moves by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long _ticks;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => start + TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
}

/// <summary>Every time the engine stamps comes from its clock: the wall clock live, bar time in a backtest.</summary>
public class EngineClockTests
{
    private const string Entering = """
        function detect_opportunity() return {} end
        function filter_commitment(md) return { action = 'enter_long', price = md.close, quantity = 1 } end
        function manage_position(md) if md.close > 105 then return { action = 'exit', price = md.close } end end
        """;

    [Fact]
    public void The_system_clock_stamps_wall_clock_milliseconds()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.InRange(EngineClock.System.NowUnixMs(), now - 1000, now + 1000);
        Assert.InRange(EngineClock.System.StampOf(default, EngineClock.System.GetTimestamp()), now - 1000, now + 1000);
    }

    [Fact]
    public async Task A_live_engine_stamps_events_and_uptime_from_its_injected_time_provider()
    {
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));
        var sink = new CollectingSink();
        await using var engine = new TradingEngine((d, log) => LuaStrategy.FromCode(d.StrategyName, Entering, log: log), sink,
            clock: new TimeProviderClock(time));
        var runner = engine.AddRunner(Definition("r", strategy: "entering"));
        time.Advance(TimeSpan.FromSeconds(5));
        for (var t = 0; t < 4; t++) engine.Publish(Bar("BTCUSDT", 1_000 + t, 100 + 3 * t));
        var snapshot = await runner.GetSnapshotAsync();
        Assert.Equal(5_000, snapshot.UptimeMs);
        var events = sink.For("r");
        Assert.Equal(1_800_000_000_000, events[0].Timestamp); // RunnerStarted, before time moved
        Assert.All(events.Skip(1), e => Assert.Equal(1_800_000_005_000, e.Timestamp));
        Assert.Contains(events, e => e.Kind == RunnerEventKind.PositionClosed);
    }

    [Fact]
    public void A_backtest_drives_the_tick_step_in_a_plain_loop_and_every_event_carries_its_bars_time()
    {
        var sink = new CollectingSink();
        using var strategy = LuaStrategy.FromCode("entering", Entering);
        var step = new RunnerStep(Definition("bt", strategy: "entering"), strategy, sink, new BarTimeClock(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        for (var t = 0; t < 1000; t++) Assert.Null(step.Process(Bar("BTCUSDT", 60_000L * t, 100 + t % 10), receivedAt: 0));

        Assert.Equal(1000, step.TicksProcessed);
        var ticks = sink.Snapshot().Where(e => e.Kind == RunnerEventKind.TickReceived).ToList();
        Assert.Equal(1000, ticks.Count); // nothing dropped: no inbox, no thread
        Assert.All(sink.Snapshot(), e => Assert.Equal(0, e.Timestamp % 60_000));
        Assert.All(ticks, e => Assert.Equal(e.Data.Timestamp, e.Timestamp));
        var closed = sink.Snapshot().Where(e => e.Kind == RunnerEventKind.PositionClosed).ToList();
        Assert.NotEmpty(closed);
        Assert.All(closed, e => Assert.Equal(e.Position!.ExitTimestamp, e.Timestamp));
        Assert.Equal(closed.Count, step.Trades.TotalAdded);
    }

    [Fact]
    public async Task The_hubs_lag_notices_are_stamped_by_its_clock()
    {
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_900_000_000_000));
        await using var hub = new EventHub(clock: new TimeProviderClock(time));
        using var slow = hub.Subscribe(queueSize: 1);
        for (var i = 0; i < 5; i++) hub.Emit(RunnerEvent.RunnerStarted($"r{i}", "X", 1));
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.True(slow.TryRead(out var notice));
        Assert.True(notice.IsLagNotice);
        Assert.Contains("\"timestamp\":1900000003000", System.Text.Encoding.UTF8.GetString(notice.Json));
    }
}
