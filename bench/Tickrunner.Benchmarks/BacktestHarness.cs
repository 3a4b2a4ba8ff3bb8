using System.Diagnostics;
using System.Globalization;
using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Feeds;

namespace Tickrunner.Benchmarks;

/// <summary>
/// End-to-end backtest throughput: ema_crossover over N one-minute bars from the dataset cache, load + run + report on
/// one core, then the same runs in parallel. Prints bars/s, bytes allocated per bar and the process's peak memory.
/// </summary>
internal static class BacktestHarness
{
    public static int Run(string[] args)
    {
        var bars = HarnessArgs.Int(args, "--bars", 1_000_000);
        var runs = HarnessArgs.Int(args, "--runs", 3);
        var parallel = HarnessArgs.Int(args, "--parallel", 2);
        var directory = Directory.CreateTempSubdirectory("tickrunner-bt-harness-").FullName;
        try
        {
            var store = new DatasetStore(directory);
            var series = new SimulatedFeed().CreateSeries("BTCUSDT", 0);
            store.Save(BarSeries.From("BTCUSDT", "1m", Enumerable.Range(0, bars).Select(_ => series.Next())), "bench");
            var code = File.ReadAllText(Path.Combine(HarnessArgs.StrategiesDirectory(), "ema_crossover.lua"));
            Console.WriteLine($"backtest harness: ema_crossover over {bars:N0} one-minute bars from the dataset cache, {Environment.ProcessorCount} cores");

            Backtest.Run("ema_crossover", code, store.Load("bench").Slice(0, Math.Min(bars, 50_000))); // warm-up (JIT)
            for (var r = 0; r < runs; r++)
            {
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var clock = Stopwatch.StartNew();
                var loaded = store.Load("bench");
                var loadMs = clock.Elapsed.TotalMilliseconds;
                var beforeRun = GC.GetAllocatedBytesForCurrentThread();
                var result = Backtest.Run("ema_crossover", code, loaded);
                var seconds = clock.Elapsed.TotalSeconds;
                var runAllocated = GC.GetAllocatedBytesForCurrentThread() - beforeRun;
                // The run's own result: two arrays of one long and one double per bar.
                var perBar = (runAllocated - 16.0 * bars) / bars;
                var total = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)bars;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"run {r + 1}: {bars / seconds:N0} bars/s end to end ({seconds * 1000:N0} ms: load {loadMs:N1} ms), {result.Trades.Count:N0} trades, {perBar:N2} B allocated per bar beyond the result's arrays ({total:N1} B per bar with the load), result {ResultHash(result)}"));
            }

            var started = Stopwatch.StartNew();
            Parallel.For(0, parallel, new ParallelOptions { MaxDegreeOfParallelism = parallel }, _ => Backtest.Run("ema_crossover", code, store.Load("bench")));
            var all = started.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{parallel} in parallel: {parallel * (long)bars / all:N0} bars/s in all ({all:N2} s)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:N0} MB"));
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // Report, trades and equity to the bit, so two builds (or two runs) can be compared at a glance: a change that is
    // only meant to be faster must print the same hash.
    private static string ResultHash(BacktestResult result)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(result.ReportJson()));
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(result.TradesJson()));
        foreach (var e in result.Equity) hash.AppendData(BitConverter.GetBytes(e));
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
