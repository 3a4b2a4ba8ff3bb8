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
/// tick → hub latency percentiles. Phase 3 measures snapshot round trips with the runners idle.
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
        var probe = new LatencyProbe(hub);
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
        probe.Reset();
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
        await Barrier(engine);
        await Task.Delay(200); // let the probe read the tail
        var achieved = sent * runnersPerSymbol / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"latency at {achieved:N0} ticks/s, tick → hub (TickReceived published): {probe.Report()}");

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

        probe.Stop();
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

    /// <summary>A hub subscriber that records publish time − bar arrival time of TickReceived events.</summary>
    private sealed class LatencyProbe
    {
        private readonly EventSubscription _subscription;
        private readonly double[] _micros = new double[20_000_000];
        private int _count;
        private readonly Task _reader;
        private readonly CancellationTokenSource _stop = new();
        private long _lagged;

        public LatencyProbe(EventHub hub)
        {
            _subscription = hub.Subscribe(new EventFilter([], [], [RunnerEventKind.TickReceived]), queueSize: 1 << 16);
            _reader = Task.Factory.StartNew(Read, TaskCreationOptions.LongRunning);
        }

        // A blocking reader on its own thread, like the dispatcher, so the probe does not queue behind runners.
        private void Read()
        {
            try
            {
                while (_subscription.WaitToReadAsync(_stop.Token).AsTask().GetAwaiter().GetResult())
                while (_subscription.TryRead(out var m))
                {
                    if (m.Frame is not { } frame)
                    {
                        Interlocked.Add(ref _lagged, m.Dropped);
                        continue;
                    }
                    var count = Volatile.Read(ref _count);
                    if (count < _micros.Length)
                    {
                        _micros[count] = (frame.PublishedAt - frame.Event.ReceivedAt) * 1_000_000.0 / Stopwatch.Frequency;
                        Volatile.Write(ref _count, count + 1);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public void Reset() => Volatile.Write(ref _count, 0);

        public string Report()
        {
            var sorted = _micros.AsSpan(0, Volatile.Read(ref _count)).ToArray().ToList();
            sorted.Sort();
            return $"p50 {Percentile(sorted, 0.50):F0} µs, p99 {Percentile(sorted, 0.99):F0} µs, p99.9 {Percentile(sorted, 0.999):F0} µs, max {sorted.LastOrDefault():F0} µs over {sorted.Count:N0} events (probe lagged {_lagged})";
        }

        public void Stop()
        {
            _stop.Cancel();
            _subscription.Dispose();
        }
    }
}
