using System.Diagnostics;
using Tickrunner.Engine;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Benchmarks;

/// <summary>
/// The engine under load, in process: N runners of ema_crossover on S symbols with the event hub on.
/// Phase 1 feeds bars as fast as the runners take them (the publisher only waits when an inbox is half full,
/// so nothing is dropped) and reports sustained ticks/s. Phase 2 feeds at a fixed rate and reports
/// tick → hub latency percentiles from the hub's own histogram (no extra subscriber thread competing for
/// the cores). Phase 3 measures snapshot round trips with the runners idle.
/// </summary>
internal static class EngineThroughputHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runners = HarnessArgs.Int(args, "--runners", 100);
        var symbols = HarnessArgs.Int(args, "--symbols", 10);
        var seconds = HarnessArgs.Int(args, "--seconds", 10);
        var rate = HarnessArgs.Int(args, "--rate", 250_000); // ticks/s for the latency phase
        var withBacktest = args.Contains("--with-backtest"); // a backtest loop on a lowered thread during the latency phases
        var lowerBacktest = !args.Contains("--backtest-not-lowered"); // for comparison: the loop at normal priority
        Console.WriteLine($"engine throughput: {runners} runners of ema_crossover on {symbols} symbols, events on, {Environment.ProcessorCount} cores");

        var uploads = Directory.CreateTempSubdirectory("tickrunner-bench-").FullName;
        var catalog = new StrategyCatalog(HarnessArgs.StrategiesDirectory(), new DirectoryStrategyStore(uploads));
        await using var hub = new EventHub(new EventHubOptions { SubscriberQueueSize = 1 << 16 });
        var engine = new TradingEngine(catalog, hub, new EngineOptions { InboxCapacity = 4096 });
        var names = Enumerable.Range(0, symbols).Select(i => $"SYM{i:D2}").ToArray();
        for (var i = 0; i < runners; i++)
            engine.AddRunner(new RunnerDefinition { RunnerId = $"r{i:D3}", Symbol = names[i % symbols], StrategyName = "ema_crossover" });
        var series = names.Select(n => new SimulatedSeries(new SimulatedSymbol { Symbol = n, StartPrice = 100, Volatility = 0.002 }, n.GetHashCode(), 0, TimeSpan.FromMilliseconds(1))).ToArray();
        var lanes = names.Select(n => engine.RunnersFor(n).ToArray()).ToArray();
        var runnersPerSymbol = (double)runners / symbols;

        // Warm-up: fill the windows and let the JIT settle.
        for (var i = 0; i < 2_000; i++) Publish(engine, series, lanes);
        await Barrier(engine);

        // Phase 1: sustained throughput.
        var processedBefore = await TicksProcessed(engine);
        var clock = Stopwatch.StartNew();
        long bars = 0;
        // Feeding from a thread of its own, as a feed does: a thread-pool thread here would take a worker from the runners.
        var feeder = new Thread(() =>
        {
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                Publish(engine, series, lanes);
                bars += symbols;
            }
        }) { IsBackground = true };
        feeder.Start();
        feeder.Join();
        await Barrier(engine);
        var elapsed = clock.Elapsed.TotalSeconds;
        var processed = await TicksProcessed(engine) - processedBefore;
        var health = engine.Health();
        Console.WriteLine($"sustained: {processed / elapsed:N0} ticks/s ({processed:N0} ticks in {elapsed:F1} s; {bars * runnersPerSymbol:N0} offered, {health.TicksDropped:N0} dropped)");
        Console.WriteLine($"hub: {hub.LastSeq:N0} events published, backlog {hub.Backlog}");

        // Phase 2: latency at a fixed rate, bars in turn and then every symbol's bar at the same moment; with
        // --with-backtest, one backtest after another runs meanwhile on a lowered thread, as the server's job pool does.
        using var stopBacktests = new CancellationTokenSource();
        var backtestBars = 0L;
        Thread? backtester = null;
        if (withBacktest)
        {
            var code = File.ReadAllText(Path.Combine(HarnessArgs.StrategiesDirectory(), "ema_crossover.lua"));
            var history = new SimulatedFeed().CreateSeries("BTCUSDT", 0);
            var tape = Enumerable.Range(0, 200_000).Select(_ => history.Next()).ToArray();
            backtester = new Thread(() =>
            {
                // As the server's job pool does: SCHED_IDLE on Linux, where Thread.Priority is ignored.
                Console.WriteLine($"backtest thread lowered: {(lowerBacktest ? BackgroundThreadPriority.LowerCurrentThreadHow() : "no (--backtest-not-lowered)")}");
                while (!stopBacktests.IsCancellationRequested)
                {
                    try
                    {
                        Tickrunner.Engine.Backtesting.Backtest.Run("ema_crossover", code, tape, cancellationToken: stopBacktests.Token);
                        Interlocked.Add(ref backtestBars, tape.Length);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            }) { IsBackground = true, Name = "backtest" };
            backtester.Start();
        }
        var latencyClock = Stopwatch.StartNew();
        await MeasureLatencyAsync(engine, hub, series, lanes, seconds, rate / runnersPerSymbol, runnersPerSymbol, allAtOnce: false);
        await MeasureLatencyAsync(engine, hub, series, lanes, seconds, rate / runnersPerSymbol, runnersPerSymbol, allAtOnce: true);
        if (backtester is not null)
        {
            stopBacktests.Cancel();
            backtester.Join();
            Console.WriteLine($"backtests meanwhile: {Interlocked.Read(ref backtestBars) / latencyClock.Elapsed.TotalSeconds:N0} bars/s of completed runs");
        }

        // Phase 3: snapshot round trip, runners idle.
        var samples = new List<double>();
        var random = new Random(1);
        for (var i = 0; i < 5_000; i++)
        {
            var id = $"r{random.Next(runners):D3}";
            var started = Stopwatch.GetTimestamp();
            await engine.GetRunnerSnapshotAsync(id);
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }
        samples.Sort();
        Console.WriteLine($"snapshot round trip (idle, in process): p50 {Percentile(samples, 0.50):F1} µs, p99 {Percentile(samples, 0.99):F1} µs, max {samples[^1]:F1} µs");

        await engine.DisposeAsync();
        Directory.Delete(uploads, recursive: true);
        return 0;
    }

    // The publisher is a thread of its own that sleeps about 100 µs between looks at the clock and then
    // publishes every bar that is due, as a feed thread blocked in a socket read would. (A publisher that spins
    // or yields instead takes one of the 2 cores from the runners for the whole phase; one that sleeps 1 ms
    // delivers 25 bars at once.) Bars go out symbol after symbol; with allAtOnce every symbol's bar is
    // published at the same moment, 100 runner ticks in one burst, as a simulated feed does.
    private static async Task MeasureLatencyAsync(TradingEngine engine, EventHub hub, SimulatedSeries[] series, SymbolRunner[][] lanes,
        int seconds, double barsPerSecond, double runnersPerSymbol, bool allAtOnce)
    {
        while (hub.Backlog > 0) await Task.Delay(10);
        await Task.Delay(100);
        hub.TickLatency.Reset();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var gcBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.GetTotalPauseDuration());
        long sent = 0;
        var clock = Stopwatch.StartNew();
        var publisher = new Thread(() =>
        {
            var next = 0;
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                var due = (long)(clock.Elapsed.TotalSeconds * barsPerSecond);
                while (sent < due)
                {
                    if (allAtOnce)
                    {
                        Publish(engine, series, lanes);
                        sent += series.Length;
                    }
                    else
                    {
                        PublishOne(engine, series, lanes, next);
                        next = (next + 1) % series.Length;
                        sent++;
                    }
                }
                SleepBriefly();
            }
        }) { IsBackground = true };
        publisher.Start();
        publisher.Join();
        var achieved = sent * runnersPerSymbol / clock.Elapsed.TotalSeconds;
        await Barrier(engine);
        while (hub.Backlog > 0) await Task.Delay(10);
        var h = hub.TickLatency;
        Console.WriteLine($"latency at {achieved:N0} ticks/s, {(allAtOnce ? "all symbols at once" : "bars in turn")}, tick → hub (TickReceived published): " +
                          $"p50 {h.Percentile(0.5) / 1000.0:F0} µs, p90 {h.Percentile(0.9) / 1000.0:F0} µs, p99 {h.Percentile(0.99) / 1000.0:F0} µs, " +
                          $"p99.9 {h.Percentile(0.999) / 1000.0:F0} µs over {h.Count:N0} ticks");
        Console.WriteLine($"    GC meanwhile: {GC.CollectionCount(0) - gcBefore.Item1} gen0, {GC.CollectionCount(1) - gcBefore.Item2} gen1, " +
                          $"{(GC.GetTotalPauseDuration() - gcBefore.Item3).TotalMilliseconds:F0} ms paused, " +
                          $"{(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1e6:F0} MB allocated");
    }

    private static void SleepBriefly()
    {
        if (OperatingSystem.IsLinux()) usleep(100);
        else Thread.Sleep(1);
    }

    // One bar of symbol s. Back-pressure for the measurement only: wait while the symbol's first runner is half full.
    private static void PublishOne(TradingEngine engine, SimulatedSeries[] series, SymbolRunner[][] lanes, int s)
    {
        var lane = lanes[s];
        while (lane.Length > 0 && lane[0].InboxCount > 2048) Thread.Yield();
        engine.Publish(series[s].Next());
    }

    // One bar of every symbol.
    private static void Publish(TradingEngine engine, SimulatedSeries[] series, SymbolRunner[][] lanes)
    {
        for (var s = 0; s < series.Length; s++) PublishOne(engine, series, lanes, s);
    }

    private static async Task Barrier(TradingEngine engine) => await engine.GetAllSnapshotsAsync();

    private static async Task<long> TicksProcessed(TradingEngine engine) =>
        (await engine.GetAllSnapshotsAsync()).Sum(s => s.Stats.TicksProcessed);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern int usleep(uint microseconds);

    internal static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
}
