using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using Tickrunner.Cluster.Feeds;
using Tickrunner.Cluster.Runners;
using Tickrunner.Cluster.Storage;

namespace Tickrunner.Cluster.Tests;

/// <summary>Three in-process silos with the runner grains, sharing one SQLite file in a temp directory, each reading its own feed.</summary>
public sealed class RunnerCluster : IAsyncDisposable
{
    /// <summary>Symbols every silo's feed streams.</summary>
    public static readonly string[] Symbols = ["BTCUSDT", "ETHUSDT"];

    /// <summary>The bar interval of the feeds.</summary>
    public const int BarIntervalMs = 50;

    private readonly TempDirectory _directory;

    private RunnerCluster(TempDirectory directory, TestCluster cluster)
    {
        _directory = directory;
        Cluster = cluster;
    }

    /// <summary>The Orleans test cluster.</summary>
    public TestCluster Cluster { get; }

    /// <summary>The client the tests call runners through.</summary>
    public IClusterClient Client => Cluster.Client;

    /// <summary>The SQLite file the silos share.</summary>
    public string StoragePath => Path.Combine(_directory.Path, "cluster.db");

    /// <summary>Starts the three silos.</summary>
    public static async Task<RunnerCluster> StartAsync()
    {
        var directory = new TempDirectory("tickrunner-cluster-");
        var builder = new TestClusterBuilder(3);
        builder.Properties["Cluster:StoragePath"] = Path.Combine(directory.Path, "cluster.db");
        builder.Properties["Cluster:StrategiesDirectory"] = Path.Combine(AppContext.BaseDirectory, "strategies");
        builder.Properties["Cluster:UploadedStrategiesDirectory"] = Path.Combine(directory.Path, "uploads");
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new RunnerCluster(directory, cluster);
    }

    /// <summary>The runner grain <paramref name="id"/>.</summary>
    public IRunnerGrain Runner(string id) => Client.GetGrain<IRunnerGrain>(id);

    /// <summary>The silo-local registry of <paramref name="silo"/>.</summary>
    public LocalRunnerRegistry Registry(SiloHandle silo) => Cluster.GetSiloServiceProvider(silo.SiloAddress)!.GetRequiredService<LocalRunnerRegistry>();

    /// <summary>The feed service of <paramref name="silo"/>.</summary>
    public SiloFeed Feed(SiloHandle silo) => Cluster.GetSiloServiceProvider(silo.SiloAddress)!.GetRequiredService<SiloFeed>();

    /// <summary>The storage of the first silo (they all share the file).</summary>
    public SqliteGrainStorage Storage => Cluster.GetSiloServiceProvider(Cluster.Primary!.SiloAddress)!.GetRequiredService<SqliteGrainStorage>();

    /// <summary>The live silo whose registry lists <paramref name="runnerId"/>, or null (read off the silos, calling no grain).</summary>
    public SiloHandle? SiloOf(string runnerId) =>
        Cluster.GetActiveSilos().FirstOrDefault(s => Registry(s).RunnerIds.Contains(runnerId));

    /// <summary>Defines a runner of <paramref name="code"/> on <paramref name="symbol"/>.</summary>
    public Task<RunnerView> DefineAsync(string id, string code, string symbol = "BTCUSDT", Dictionary<string, ScalarValue>? parameters = null) =>
        Runner(id).DefineAsync(new RunnerSpec { Symbol = symbol, StrategyCode = code, WindowSize = 20, Params = parameters });

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        _directory.Dispose();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddTickrunnerCluster(feed: _ => new WallClockFeed(Symbols, BarIntervalMs));
            // A dead silo is declared dead after two missed half-second probes by one silo: the failover the tests measure is
            // that detection plus a keep-alive round. The defaults (about 15 s to detect) are for networks that hiccup.
            siloBuilder.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromMilliseconds(500);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
                o.ExtendProbeTimeoutDuringDegradation = false;
                o.EnableIndirectProbes = false;
            });
            siloBuilder.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
        }
    }
}

/// <summary>One cluster for the tests that do not kill a silo.</summary>
public sealed class RunnerClusterFixture : IAsyncLifetime
{
    /// <summary>The cluster.</summary>
    public RunnerCluster Runners { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => Runners = await RunnerCluster.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync() => await Runners.DisposeAsync();
}

/// <summary>The tests sharing <see cref="RunnerClusterFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class RunnerClusterCollection : ICollectionFixture<RunnerClusterFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "runner cluster";
}
