using System.Diagnostics;
using System.Text.Json;
using Orleans.TestingHost;
using Tickrunner.Cluster.Optimization;
using Tickrunner.Engine;
using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Optimization;
using Xunit.Abstractions;

namespace Tickrunner.Cluster.Tests;

/// <summary>An optimization whose trials run on worker grains over 1–3 silos: the same results as in one process, spread over the silos.</summary>
public sealed class OptimizationTests(ITestOutputHelper output) : IDisposable
{
    private const string DatasetId = "walk";
    private readonly TempDirectory _data = new("tickrunner-cluster-trials-");

    public void Dispose() => _data.Dispose();

    // A seeded random walk of 2,000 one-minute bars, saved in the dataset directory the silos share.
    private IReadOnlyList<MarketData> SaveDataset()
    {
        var random = new Random(11);
        var bars = new List<MarketData>(2_000);
        var price = 100.0;
        for (var i = 0; i < 2_000; i++)
        {
            var open = price;
            price *= 1 + (random.NextDouble() - 0.5) * 0.01;
            var high = Math.Max(open, price) * 1.002;
            var low = Math.Min(open, price) * 0.998;
            bars.Add(new MarketData("TEST", 1_700_000_000_000 + i * 60_000L, open, high, low, price, 10 + i % 7, 0, 0));
        }
        var store = new DatasetStore(_data.Path);
        store.Save(BarSeries.From("TEST", "1m", bars), DatasetId);
        return store.Load(DatasetId);
    }

    private static OptimizationSettings Settings(OptimizationMethod method, int trials, int parallelism) => new()
    {
        Method = method,
        Trials = trials,
        Seed = 3,
        Parallelism = parallelism,
        Batch = 4,
        Backtest = new BacktestSettings { WindowSize = 80 },
        Space = new Dictionary<string, ParameterRange>
        {
            ["fast"] = new() { Min = 2, Max = 12 },
            ["slow"] = new() { Min = 20, Max = 50, Step = 10 },
            ["side"] = new(),
        },
    };

    private async Task<TestCluster> StartAsync(int silos)
    {
        var builder = new TestClusterBuilder((short)silos);
        builder.Properties["Cluster:StoragePath"] = Path.Combine(_data.Path, $"cluster-{silos}.db");
        builder.Properties["Cluster:DataDirectory"] = _data.Path;
        builder.Properties["Cluster:StrategiesDirectory"] = Path.Combine(AppContext.BaseDirectory, "strategies");
        builder.Properties["Cluster:UploadedStrategiesDirectory"] = Path.Combine(_data.Path, "uploads");
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static string Json(OptimizationResult result) => JsonSerializer.Serialize(result, OptimizationJson.Default.OptimizationResult);

    [Fact]
    public async Task Trials_spread_over_three_silos_give_the_results_of_one_process_to_the_bit()
    {
        var bars = SaveDataset();
        var settings = Settings(OptimizationMethod.Tpe, 24, parallelism: 6);
        var local = Optimizer.Run("crossover", TestStrategies.Crossover, bars, settings);

        await using var cluster = await StartAsync(3);
        var silos = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var clustered = await Task.Run(() => ClusterTrials.Run(cluster.Client, "crossover", TestStrategies.Crossover, DatasetId, bars, settings,
            onTrial: answer => silos.AddOrUpdate(answer.Silo, 1, (_, n) => n + 1)));

        Assert.Equal(24, clustered.Trials.Count);
        Assert.Equal(Json(local), Json(clustered)); // every trial's report and digest, the top, the deflated Sharpe and the PBO
        Assert.NotNull(clustered.DeflatedSharpe);
        Assert.Equal(clustered.Top.Count, clustered.TopResults.Count);
        Assert.Equal(3, silos.Count); // six slots dealt round three silos: each ran trials
        output.WriteLine($"trials per silo: {string.Join(", ", silos.Select(s => s.Value))}");
    }

    [Fact]
    public async Task Walk_forward_over_the_cluster_matches_one_process()
    {
        var bars = SaveDataset();
        var settings = Settings(OptimizationMethod.Random, 8, parallelism: 4) with
        {
            WalkForward = new WalkForwardSettings { TrainBars = 800, TestBars = 400, Windows = 2 },
        };
        var local = Optimizer.Run("crossover", TestStrategies.Crossover, bars, settings);

        await using var cluster = await StartAsync(2);
        var clustered = await Task.Run(() => ClusterTrials.Run(cluster.Client, "crossover", TestStrategies.Crossover, DatasetId, bars, settings));

        Assert.Equal(2, clustered.WalkForward!.Windows.Count);
        Assert.Equal(Json(local), Json(clustered));
    }

    [Fact]
    public async Task A_dataset_the_silos_cannot_see_fails_the_optimization_with_its_name()
    {
        var bars = SaveDataset();
        await using var cluster = await StartAsync(1);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Task.Run(() => ClusterTrials.Run(cluster.Client, "crossover",
            TestStrategies.Crossover, "missing", bars, Settings(OptimizationMethod.Random, 4, parallelism: 2))));

        Assert.Contains("No dataset 'missing'", error.Message);
        // The silo is unharmed: the next optimization on the same cluster runs.
        var result = await Task.Run(() => ClusterTrials.Run(cluster.Client, "crossover", TestStrategies.Crossover, DatasetId, bars,
            Settings(OptimizationMethod.Random, 4, parallelism: 2)));
        Assert.Equal(4, result.Trials.Count);
    }

    [Fact]
    public async Task Trials_per_second_with_one_two_and_three_silos_all_give_the_same_results()
    {
        // Figures for the cluster guide, not asserted: the test cluster's silos share this machine's cores, so more silos add
        // capacity only up to the core count. What is asserted is that the silo count never changes the results.
        var bars = SaveDataset();
        var settings = Settings(OptimizationMethod.Random, 36, parallelism: 6);
        var expected = Json(Optimizer.Run("crossover", TestStrategies.Crossover, bars, settings));
        foreach (var silos in new[] { 1, 2, 3 })
        {
            await using var cluster = await StartAsync(silos);
            // One short run first, so each silo has loaded the dataset and compiled the code paths before the measured one.
            await Task.Run(() => ClusterTrials.Run(cluster.Client, "crossover", TestStrategies.Crossover, DatasetId, bars, settings with { Trials = 6 }));
            var clock = Stopwatch.StartNew();
            var result = await Task.Run(() => ClusterTrials.Run(cluster.Client, "crossover", TestStrategies.Crossover, DatasetId, bars, settings));
            clock.Stop();
            Assert.Equal(expected, Json(result));
            output.WriteLine($"{silos} silo(s): {36 / clock.Elapsed.TotalSeconds:F1} trials/s ({Environment.ProcessorCount} cores shared)");
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder.AddTickrunnerCluster(feed: _ => new WallClockFeed(["TEST"], 1_000));
    }
}
