using BenchmarkDotNet.Attributes;
using Tickrunner.Engine;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Trading;
using Tickrunner.Engine.Wire;

namespace Tickrunner.Benchmarks;

/// <summary>Emitting an event on the hot path (publishing it into the hub) and serializing one.</summary>
/// <remarks>
/// Emission is the whole of publication on a hub with no subscribers: numbering, the history, the latency
/// histogram. Serialization happens only for subscribers, on first use, and is measured separately below.
/// </remarks>
[MemoryDiagnoser]
public class EventBenchmarks
{
    private const int Burst = 1000;
    private EventHub _hub = null!;
    private MarketData _bar;

    [GlobalSetup]
    public void Setup()
    {
        _hub = new EventHub();
        _bar = new MarketData("BTCUSDT", 1_700_000_000_000, 50_000, 50_100, 49_900, 50_050.25, 12.5, 50_049.75, 50_050.75);
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _hub.DisposeAsync();

    /// <summary>What a runner does per TickReceived: build the event and hand it to the hub.</summary>
    [Benchmark(OperationsPerInvoke = Burst)]
    public void EmitTickReceived()
    {
        for (var i = 0; i < Burst; i++) _hub.Emit(RunnerEvent.TickReceived("btc_ema_prod", _bar, 0, 1_700_000_000_000));
    }

    /// <summary>Only building the events, without the hub: the part of emission that is not the queue.</summary>
    [Benchmark(OperationsPerInvoke = Burst)]
    public long BuildTickReceived()
    {
        long sum = 0;
        for (var i = 0; i < Burst; i++) sum += RunnerEvent.TickReceived("btc_ema_prod", _bar, i, 1_700_000_000_000).Timestamp;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Burst)]
    public long WallClockOnly()
    {
        long sum = 0;
        for (var i = 0; i < Burst; i++) sum += Clock.UnixMs(i);
        return sum;
    }

    private static readonly Tickrunner.Engine.Common.TimeProviderClock Clock = new(TimeProvider.System);

    /// <summary>PositionUpdated, emitted every tick while in position.</summary>
    [Benchmark(OperationsPerInvoke = Burst)]
    public void EmitPositionUpdated()
    {
        for (var i = 0; i < Burst; i++) _hub.Emit(RunnerEvent.PositionUpdated("btc_ema_prod", "BTCUSDT", 50_050.25, 5.025, 0, 1_700_000_000_000));
    }
}

/// <summary>Serializing one event (the hub does it once per event, shared by every subscriber).</summary>
[MemoryDiagnoser]
public class EventSerializationBenchmarks
{
    private RunnerEvent _tick, _opened, _updated;

    [GlobalSetup]
    public void Setup()
    {
        var bar = new MarketData("BTCUSDT", 1_700_000_000_000, 50_000, 50_100, 49_900, 50_050.25, 12.5, 50_049.75, 50_050.75);
        _tick = RunnerEvent.TickReceived("btc_ema_prod", bar, 0, 1_700_000_000_000);
        _opened = RunnerEvent.PositionOpened("btc_ema_prod", "BTCUSDT", new Position(PositionSide.Long, 50_000, 0.1, 1, 49_000, 52_500), 0, 1_700_000_000_000);
        _updated = RunnerEvent.PositionUpdated("btc_ema_prod", "BTCUSDT", 50_050.25, 5.025, 0, 1_700_000_000_000);
    }

    /// <summary>The JSON of a TickReceived (the largest per-tick event).</summary>
    [Benchmark]
    public byte[] SerializeTickReceived() => EventJson.Serialize(_tick, 123_456);

    /// <summary>The JSON of a PositionOpened.</summary>
    [Benchmark]
    public byte[] SerializePositionOpened() => EventJson.Serialize(_opened, 123_456);

    /// <summary>The JSON of a PositionUpdated (per tick while in position).</summary>
    [Benchmark]
    public byte[] SerializePositionUpdated() => EventJson.Serialize(_updated, 123_456);
}
