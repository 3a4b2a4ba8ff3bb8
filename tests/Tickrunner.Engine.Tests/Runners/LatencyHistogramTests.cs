using Tickrunner.Engine.Common;

namespace Tickrunner.Engine.Tests;

public class LatencyHistogramTests
{
    [Fact]
    public void Percentiles_are_within_a_bucket_of_the_truth()
    {
        var histogram = new LatencyHistogram();
        for (var us = 1; us <= 1000; us++) histogram.RecordNanoseconds(us * 1000L);
        Assert.Equal(1000, histogram.Count);
        Assert.InRange(histogram.Percentile(0.50), 500_000, 500_000 * 1.13);
        Assert.InRange(histogram.Percentile(0.99), 990_000, 990_000 * 1.13);
        Assert.InRange(histogram.Percentile(1.0), 1_000_000, 1_000_000 * 1.13);
        Assert.InRange(histogram.Percentile(0.0), 1_000, 1_000 * 1.13);
    }

    [Fact]
    public void Small_values_empty_and_reset()
    {
        var histogram = new LatencyHistogram();
        Assert.Equal(0, histogram.Percentile(0.99));
        histogram.RecordNanoseconds(3);
        Assert.Equal(4, histogram.Percentile(0.5));
        histogram.Reset();
        Assert.Equal(0, histogram.Count);
    }

    [Fact]
    public async Task The_hub_records_tick_to_hub_latency()
    {
        await using var hub = new Tickrunner.Engine.Events.EventHub();
        hub.Emit(Tickrunner.Engine.Events.RunnerEvent.TickReceived("r", EngineTestKit.Bar("S", 1, 10), System.Diagnostics.Stopwatch.GetTimestamp(), 1_700_000_000_000));
        await Wait.Until(() => hub.TickLatency.Count == 1);
        Assert.InRange(hub.TickLatency.Percentile(0.5), 1, 1_000_000_000);
    }
}
