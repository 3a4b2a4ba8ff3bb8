using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tickrunner.Engine;
using Tickrunner.Server.Candles;
using Tickrunner.Server.Storage;
using Xunit.Abstractions;

namespace Tickrunner.Server.Tests;

/// <summary>The candle store's feed side: what offering a bar costs, and what it does when the recorder is behind.</summary>
public sealed class CandleStoreTests(ITestOutputHelper output) : IDisposable
{
    private const long T0 = 1_704_067_200_000;
    private readonly TempDirectory _directory = new("tickrunner-candle-store-");

    public void Dispose() => _directory.Dispose();

    private CandleStore Store(CandleOptions candles)
    {
        var database = new TickrunnerDatabase(_directory.Path);
        database.Migrate();
        return new CandleStore(new CandleRepository(database), Options.Create(new TickrunnerOptions { Candles = candles }), NullLogger<CandleStore>.Instance);
    }

    private static MarketData Bar(int i) => new("BTCUSDT", T0 + i * 250L, 100, 101, 99, 100.5, 1, 0, 0);

    [Fact]
    public async Task Offering_a_bar_allocates_nothing_on_the_feed_thread()
    {
        // Room for every bar, so nothing is dropped and every second can be counted at the end.
        using var store = Store(new CandleOptions { Persist = false, QueueCapacity = 100_000 });
        // Warm-up before the reader starts: the queue's buffer grows once to hold a full queue, so a reader that falls
        // behind during the measured run (a busy CI machine) cannot make it grow there; then the symbol's ring exists.
        for (var i = 0; i < 100_000; i++) store.Offer(Bar(i));
        await store.StartAsync(CancellationToken.None);
        await Wait.Until(() => Task.FromResult(store.Count("BTCUSDT") == 25_000), what: "the warm-up folded");
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 100_000; i < 200_000; i++)
        {
            store.Offer(Bar(i));
            if (i % 1000 == 0) Thread.Sleep(1); // at a feed's pace, so the reader keeps up and is woken again and again
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"100,000 offers allocated {allocated} bytes on the feed thread");
        Assert.Equal(0, allocated);
        await store.StopAsync(CancellationToken.None);
        Assert.Equal(50_000, store.Count("BTCUSDT")); // 200,000 bars of 250 ms: every second folded, none lost
        Assert.Equal(0, store.Dropped);
    }

    [Fact]
    public void Without_a_reader_the_queue_drops_its_oldest_bars_and_offering_never_waits()
    {
        using var store = Store(new CandleOptions { Persist = false, QueueCapacity = 100 });
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 10_000; i++) store.Offer(Bar(i)); // not started: nobody reads
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"{watch.Elapsed}");
        Assert.Equal(9_900, store.Dropped);
    }

    [Fact]
    public void A_full_ring_holds_the_newest_seconds_and_its_days_are_cut_whole_and_begun()
    {
        var series = new CandleSeries(172_800);
        for (var s = 0; s < 172_800 + 1000; s++) series.Fold(T0 + s * 1000L, 100, 101, 99, 100, 1, out _);
        foreach (var (name, ms) in CandleIntervals.All)
        {
            series.Aggregate(ms, 0, long.MaxValue, 500);
            var watch = Stopwatch.StartNew();
            const int Rounds = 20;
            for (var r = 0; r < Rounds; r++) series.Aggregate(ms, 0, long.MaxValue, 5000);
            output.WriteLine($"{name}: {watch.Elapsed.TotalMilliseconds / Rounds:F3} ms for the newest 5,000 of a full 172,800-second ring");
        }
        Assert.Equal(172_800, series.Count);
        Assert.Equal([86_400 - 1000, 86_400, 1000], series.Aggregate(86_400_000, 0, long.MaxValue, 5000).Select(c => c.Volume)); // cut, whole, begun
    }
}
