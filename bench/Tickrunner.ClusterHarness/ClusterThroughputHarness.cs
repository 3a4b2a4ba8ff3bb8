using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Tickrunner.Cluster;
using Tickrunner.Cluster.Events;
using Tickrunner.Cluster.Feeds;
using Tickrunner.Cluster.Runners;
using Tickrunner.Engine;
using Tickrunner.Engine.Feeds;

namespace Tickrunner.ClusterHarness;

/// <summary>
/// Runners on a one-silo Orleans cluster (localhost clustering, SQLite grain storage, this process): N runners of
/// ema_crossover on S symbols, the silo's feed paced at rising tick rates (runner ticks per second). Reports per rate the
/// ticks the grains processed and the bars the silo's feed dropped because a runner was still busy; the sustained figure is
/// the highest rate with none dropped, to set beside the in-process engine's (Tickrunner.Benchmarks <c>-- engine</c>, fed as fast as the runners
/// take bars, none dropped).
/// </summary>
internal static class ClusterThroughputHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runners = HarnessArgs.Int(args, "--runners", 100);
        var symbols = HarnessArgs.Int(args, "--symbols", 10);
        var seconds = HarnessArgs.Int(args, "--seconds", 5);
        var siloCount = HarnessArgs.Int(args, "--silos", 1);
        var rates = HarnessArgs.String(args, "--rates", "100000,200000,400000,500000,600000,650000,700000,800000")!.Split(',').Select(int.Parse).ToArray();
        Console.WriteLine($"cluster throughput: {siloCount} silo(s) in this process, {runners} runners of ema_crossover on {symbols} symbols, {Environment.ProcessorCount} cores");

        var directory = Directory.CreateTempSubdirectory("tickrunner-cluster-bench-").FullName;
        var names = Enumerable.Range(0, symbols).Select(i => $"SYM{i:D2}").ToArray();
        // Each silo reads its own feed, as each reads the exchange; the feeds give the same bars at the same pace.
        var feeds = Enumerable.Range(0, siloCount).Select(_ => new PacedFeed(names)).ToArray();
        var hosts = Enumerable.Range(0, siloCount).Select(k => Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning))
            .UseOrleans(silo => silo
                .UseLocalhostClustering(siloPort: 11111 + k, gatewayPort: 30000 + k, primarySiloEndpoint: new IPEndPoint(IPAddress.Loopback, 11111))
                .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("bench", "tickrunner"))
                .AddTickrunnerCluster(o =>
                {
                    o.StoragePath = Path.Combine(directory, "cluster.db");
                    o.StrategiesDirectory = HarnessArgs.StrategiesDirectory();
                    o.UploadedStrategiesDirectory = Path.Combine(directory, "uploads");
                    o.DataDirectory = Path.Combine(directory, "datasets");
                    o.EventRelayBatch = HarnessArgs.Int(args, "--relay-batch", o.EventRelayBatch);
                }, feed: _ => feeds[k]))
            .Build()).ToArray();
        // Each bar is a tick for each of the symbol's runners.
        void SetRate(int rate)
        {
            foreach (var f in feeds) f.BarsPerSecond = rate * symbols / (double)runners;
        }
        foreach (var h in hosts) await h.StartAsync();
        var host = hosts[0];
        try
        {
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var registries = hosts.Select(h => h.Services.GetRequiredService<LocalRunnerRegistry>()).ToArray();
            var events = hosts.Select(h => h.Services.GetRequiredService<ClusterEvents>()).ToArray();
            if (siloCount > 1)
                while (events.Any(e => e.Peers.Count < siloCount - 1)) await Task.Delay(100); // every silo sends to the others
            var ids = Enumerable.Range(0, runners).Select(i => $"r{i:D3}").ToArray();
            for (var i = 0; i < runners; i++)
                await grains.GetGrain<IRunnerGrain>(ids[i]).DefineAsync(new RunnerSpec { Symbol = names[i % symbols], StrategyName = "ema_crossover" });

            // Warm-up: fill the windows, let the JIT and the grain scheduler settle.
            SetRate(rates[0]);
            await Task.Delay(TimeSpan.FromSeconds(2));
            Console.WriteLine($"runners per silo: {string.Join(", ", registries.Select(r => r.RunnerIds.Count))}");
            var sustained = 0;
            foreach (var rate in rates)
            {
                SetRate(rate);
                await Task.Delay(500);
                var (ticksBefore, droppedBefore) = (await Processed(grains, ids), Dropped(registries));
                var (relayedBefore, relayDroppedBefore, filteredBefore) = (events.Sum(e => e.Relayed), events.Sum(e => e.RelayDropped), events.Sum(e => e.RelayFiltered));
                var clock = Stopwatch.StartNew();
                await Task.Delay(TimeSpan.FromSeconds(seconds));
                var (ticks, dropped) = (await Processed(grains, ids) - ticksBefore, Dropped(registries) - droppedBefore);
                var elapsed = clock.Elapsed.TotalSeconds;
                var relayed = siloCount == 1 ? "" : $", events relayed {(events.Sum(e => e.Relayed) - relayedBefore) / elapsed,9:N0}/s, " +
                    $"relay dropped {(events.Sum(e => e.RelayDropped) - relayDroppedBefore) / elapsed:N0}/s, " +
                    $"held back (unwatched) {(events.Sum(e => e.RelayFiltered) - filteredBefore) / elapsed:N0}/s";
                Console.WriteLine($"offered {rate,9:N0} ticks/s: processed {ticks / elapsed,9:N0} ticks/s, dropped {dropped / elapsed,9:N0}/s{relayed}");
                if (dropped == 0) sustained = rate;
                else break; // past what one silo takes: higher rates only drop more
            }
            Console.WriteLine($"sustained (highest rate offered with 0 dropped): {sustained:N0} ticks/s");
        }
        finally
        {
            SetRate(0);
            foreach (var h in hosts.Reverse()) await h.StopAsync();
            foreach (var h in hosts) h.Dispose();
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
        return 0;
    }

    private static async Task<long> Processed(IGrainFactory grains, string[] ids) =>
        (await Task.WhenAll(ids.Select(id => grains.GetGrain<IRunnerGrain>(id).GetSnapshotAsync()))).Sum(v => v.TicksProcessed);

    private static long Dropped(LocalRunnerRegistry[] registries) =>
        registries.Sum(registry => registry.Symbols.SelectMany(registry.RunnersOf).Sum(r => r.BarsDropped));

    // Bars at a settable rate (over all symbols, one bar of each symbol per round): every round that is due goes out at once,
    // then the feed sleeps about a millisecond, as a feed that reads a socket delivers what has arrived.
    private sealed class PacedFeed(string[] names) : IMarketDataFeed
    {
        private readonly SimulatedSeries[] _series = names.Select(n => new SimulatedSeries(
            new SimulatedSymbol { Symbol = n, StartPrice = 100, Volatility = 0.002 }, n.GetHashCode(), 0, TimeSpan.FromMilliseconds(1))).ToArray();
        private long _delivered;

        public double BarsPerSecond { get; set; }
        public string Kind => "Paced";
        public IReadOnlyList<string> Symbols { get; } = names;
        public FeedStatus Status => new(Kind, true, Interlocked.Read(ref _delivered), 0, 0);
        public long BarsRejected => 0;

        public async IAsyncEnumerable<MarketData> SubscribeAsync(IReadOnlyCollection<string> symbols,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var clock = Stopwatch.StartNew();
            double due = 0, rate = 0;
            var last = 0.0;
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = clock.Elapsed.TotalSeconds;
                if (BarsPerSecond != rate) (rate, due, last) = (BarsPerSecond, 0, now); // a new phase starts from now
                due += (now - last) * rate / _series.Length; // rounds due
                last = now;
                for (; due >= 1; due--)
                    foreach (var series in _series)
                    {
                        _delivered++;
                        yield return series.Next();
                    }
                await Task.Delay(1, cancellationToken);
            }
        }
    }
}
