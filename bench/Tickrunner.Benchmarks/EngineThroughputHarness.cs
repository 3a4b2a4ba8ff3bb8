using System.Diagnostics;
using Tickrunner.Engine;
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
        var runners = IntArg(args, "--runners", 100);
        var symbols = IntArg(args, "--symbols", 10);
        var seconds = IntArg(args, "--seconds", 10);
        var rate = IntArg(args, "--rate", 250_000); // ticks/s for the latency phase
        Console.WriteLine($"engine throughput: {runners} runners of ema_crossover on {symbols} symbols, events on, {Environment.ProcessorCount} cores");

        var uploads = Directory.CreateTempSubdirectory("tickrunner-bench-").FullName;
        var catalog = new StrategyCatalog(LuaStrategyBenchmarks.StrategiesDirectory(), new DirectoryStrategyStore(uploads));
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
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            Publish(engine, series, lanes);
            bars += symbols;
        }
        await Barrier(engine);
        var elapsed = clock.Elapsed.TotalSeconds;
        var processed = await TicksProcessed(engine) - processedBefore;
        var health = engine.Health();
        Console.WriteLine($"sustained: {processed / elapsed:N0} ticks/s ({processed:N0} ticks in {elapsed:F1} s; {bars * runnersPerSymbol:N0} offered, {health.TicksDropped:N0} dropped)");
        Console.WriteLine($"hub: {hub.LastSeq:N0} events published, backlog {hub.Backlog}");

        // Phase 2: latency at a fixed rate, from a drained hub.
        while (hub.Backlog > 0) await Task.Delay(10);
        await Task.Delay(100);
        hub.TickLatency.Reset();
        var gcBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        var barsPerSecond = rate / runnersPerSymbol;
        long sent = 0;
        clock.Restart();
        // A dedicated thread that yields between bars, so arrivals stay smooth (sleeping 1 ms makes bursts).
        var publisher = new Thread(() =>
        {
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                var due = (long)(clock.Elapsed.TotalSeconds * barsPerSecond);
                while (sent < due)
                {
                    Publish(engine, series, lanes);
                    sent += symbols;
                }
                Thread.Yield();
            }
        }) { IsBackground = true };
        publisher.Start();
        publisher.Join();
        var achieved = sent * runnersPerSymbol / clock.Elapsed.TotalSeconds;
        await Barrier(engine);
        while (hub.Backlog > 0) await Task.Delay(10);
        var h = hub.TickLatency;
        var gc = (GC.CollectionCount(0) - gcBefore.Item1, GC.CollectionCount(1) - gcBefore.Item2, GC.CollectionCount(2) - gcBefore.Item3,
            (GC.GetTotalPauseDuration() - gcBefore.Item4).TotalMilliseconds);
        Console.WriteLine($"    GC during the latency phase: {gc.Item1} gen0, {gc.Item2} gen1, {gc.Item3} gen2, {gc.Item4:F0} ms paused in total");
        Console.WriteLine($"latency at {achieved:N0} ticks/s, tick → hub (TickReceived published): p50 {h.Percentile(0.5) / 1000.0:F0} µs, " +
                          $"p99 {h.Percentile(0.99) / 1000.0:F0} µs, p99.9 {h.Percentile(0.999) / 1000.0:F0} µs over {h.Count:N0} ticks");

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

    private static void Publish(TradingEngine engine, SimulatedSeries[] series, SymbolRunner[][] lanes)
    {
        for (var s = 0; s < series.Length; s++)
        {
            // Back-pressure for the measurement only: wait while the first runner of the symbol is half full.
            var lane = lanes[s];
            while (lane.Length > 0 && lane[0].InboxCount > 2048) Thread.Yield();
            engine.Publish(series[s].Next());
        }
    }

    private static async Task Barrier(TradingEngine engine) => await engine.GetAllSnapshotsAsync();

    private static async Task<long> TicksProcessed(TradingEngine engine) =>
        (await engine.GetAllSnapshotsAsync()).Sum(s => s.Stats.TicksProcessed);

    internal static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    internal static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }
}
