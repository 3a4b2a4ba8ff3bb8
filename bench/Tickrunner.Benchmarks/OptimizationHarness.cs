using System.Diagnostics;
using System.Globalization;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Optimization;

namespace Tickrunner.Benchmarks;

/// <summary>
/// Optimization throughput and memory: ema_crossover trials over simulated one-minute bars. Trials per second on one thread
/// and on every core (the same trials: the ratio is the scaling), a full TPE run of N trials, and the heap with 100 against
/// 5,000 trials over a short series (what grows with the trials is one summary row each).
/// </summary>
internal static class OptimizationHarness
{
    public static int Run(string[] args)
    {
        var bars = HarnessArgs.Int(args, "--bars", 100_000);
        var trials = HarnessArgs.Int(args, "--trials", 500);
        var scalingTrials = HarnessArgs.Int(args, "--scaling-trials", 24);
        var code = File.ReadAllText(Path.Combine(HarnessArgs.StrategiesDirectory(), "ema_crossover.lua"));
        var series = Series(bars);
        Console.WriteLine($"optimization harness: ema_crossover over {bars:N0} one-minute bars, {Environment.ProcessorCount} cores");
        var space = new Dictionary<string, ParameterRange>
        {
            ["fast"] = new() { Min = 5, Max = 30 },
            ["slow"] = new() { Min = 20, Max = 120, Step = 5 },
            ["stop_loss"] = new() { Min = 0.01, Max = 0.05 },
            ["take_profit"] = new() { Min = 0.02, Max = 0.1 },
        };
        Optimizer.Run("ema_crossover", code, series.Slice(0, Math.Min(bars, 20_000)),
            new OptimizationSettings { Method = OptimizationMethod.Random, Trials = 4, Space = space }); // warm-up (JIT)

        // Scaling: the same random trials on one thread, then on every core.
        double? single = null;
        foreach (var threads in new[] { 1, Environment.ProcessorCount })
        {
            var settings = new OptimizationSettings { Method = OptimizationMethod.Random, Trials = scalingTrials, Seed = 11, Space = space, Parallelism = threads };
            var clock = Stopwatch.StartNew();
            var result = Optimizer.Run("ema_crossover", code, series, settings);
            var rate = result.Trials.Count / clock.Elapsed.TotalSeconds;
            single ??= rate;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{threads} thread(s): {result.Trials.Count} trials in {clock.Elapsed.TotalSeconds:N2} s = {rate:N2} trials/s ({rate * bars:N0} bars/s), {rate / single:N2}× one thread"));
        }

        // Full runs as a user would start them: TPE (which returns to good points; a repeat is answered without a backtest),
        // and random, where nearly every trial is a backtest of its own.
        foreach (var method in new[] { OptimizationMethod.Tpe, OptimizationMethod.Random })
        {
            var settings = new OptimizationSettings { Method = method, Trials = trials, Seed = 1, Space = space };
            var clock = Stopwatch.StartNew();
            var result = Optimizer.Run("ema_crossover", code, series, settings);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{method.ToString().ToLowerInvariant()}, {trials} trials ({result.Trials.Select(t => TrialRow.KeyOf(t.Params)).Distinct().Count()} distinct points) over {bars:N0} bars on {settings.Parallelism} threads: {clock.Elapsed.TotalSeconds:N1} s, best sharpe {result.Best?.Objective:N3} (trial {result.Best?.Trial}), DSR {result.DeflatedSharpe?.Probability:N3}, PBO {result.Overfitting?.Probability:N3}"));
        }

        // Memory against the number of trials, over a short series so 5,000 trials take a minute.
        var shortSeries = series.Slice(0, Math.Min(bars, 2_000));
        foreach (var count in new[] { 100, 5_000 })
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            var before = GC.GetTotalMemory(true);
            // The live heap (after a full collection) at ten points of the run: what the search holds, not garbage waiting.
            long peak = 0;
            var next = count / 10;
            var gate = new Lock();
            var clock = Stopwatch.StartNew();
            var result = Optimizer.Run("ema_crossover", code, shortSeries,
                new OptimizationSettings { Method = OptimizationMethod.Random, Trials = count, Seed = 5, Space = space }, progress: p =>
                {
                    lock (gate)
                    {
                        if (p.TrialsDone < next) return;
                        next += count / 10;
                        peak = Math.Max(peak, GC.GetTotalMemory(true) - before);
                    }
                });
            var seconds = clock.Elapsed.TotalSeconds;
            var retained = GC.GetTotalMemory(true) - before;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{count,5:N0} trials over {shortSeries.Count:N0} bars: {seconds:N1} s, live heap at most +{peak / 1048576.0:N2} MB during the run, result retained {retained / 1048576.0:N2} MB ({retained / (double)result.Trials.Count:N0} B per trial)"));
            GC.KeepAlive(result);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:N0} MB"));
        return 0;
    }

    private static BarSeries Series(int bars)
    {
        var feed = new SimulatedFeed().CreateSeries("BTCUSDT", 0);
        return BarSeries.From("BTCUSDT", "1m", Enumerable.Range(0, bars).Select(_ => feed.Next()));
    }
}
