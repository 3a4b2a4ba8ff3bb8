using Microsoft.Extensions.DependencyInjection.Extensions;
using Tickrunner.Engine.Common;
using Microsoft.Extensions.Options;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Datasets;
using Tickrunner.Server.Backtests;
using Tickrunner.Server.Candles;
using Tickrunner.Server.Datasets;
using Tickrunner.Server.Health;
using Tickrunner.Server.Metrics;
using Tickrunner.Server.Optimizations;
using Tickrunner.Server.Portfolio;
using Tickrunner.Server.Runners;
using Tickrunner.Server.Storage;
using Tickrunner.Server.Strategies;
using Tickrunner.Server.Streaming;

namespace Tickrunner.Server.Hosting;

/// <summary>
/// The composition of the server: options bound once (the engine's own option types straight from their
/// configuration sections), the engine's parts, storage, and the application services the endpoints call.
/// </summary>
public static class TickrunnerServices
{
    /// <summary>Registers everything the server runs on; nothing starts until <see cref="EngineHostedService"/> does.</summary>
    public static IServiceCollection AddTickrunner(this IServiceCollection services, IConfiguration configuration)
    {
        var clustered = Clustering.ClusterHosting.IsEnabled(configuration); // runners as grains of a silo hosted here
        services.Configure<TickrunnerOptions>(configuration.GetSection(TickrunnerOptions.Section));
        // --Tickrunner:Feed:Symbols=BTCUSDT,ETHUSDT (one value) replaces the list from appsettings.json.
        var symbolList = configuration[$"{TickrunnerOptions.Section}:Feed:Symbols"];
        if (!string.IsNullOrWhiteSpace(symbolList))
            services.PostConfigure<TickrunnerOptions>(o => o.Feed.Symbols =
                [.. symbolList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]);
        // The engine's option types, bound where their keys have always been; the server's defaults differ from
        // the engine's for the event history and the simulated feed's pace, and are set before binding.
        services.AddOptions<LuaSandboxOptions>().BindConfiguration($"{TickrunnerOptions.Section}:Sandbox");
        services.AddOptions<EngineOptions>().BindConfiguration($"{TickrunnerOptions.Section}:Engine");
        services.AddOptions<EventHubOptions>().Configure(o => o.HistorySize = 50_000).BindConfiguration($"{TickrunnerOptions.Section}:Engine");
        services.AddOptions<SimulatedFeedOptions>().Configure(o => o.TickInterval = TimeSpan.FromMilliseconds(250))
            .BindConfiguration($"{TickrunnerOptions.Section}:Feed");
        services.AddOptions<JournalOptions>().BindConfiguration(JournalOptions.Section);
        services.AddOptions<RiskOptions>().BindConfiguration(RiskOptions.Section);

        services.AddSingleton(sp =>
        {
            var database = new TickrunnerDatabase(sp.GetRequiredService<IOptions<TickrunnerOptions>>().Value.DataDirectory);
            database.Migrate();
            return database;
        });
        services.AddSingleton<RunnerRepository>();
        services.AddSingleton(sp => new StrategyCatalog(
            ResolveStrategies(sp.GetRequiredService<IOptions<TickrunnerOptions>>().Value.StrategiesDirectory),
            new SqliteStrategyStore(sp.GetRequiredService<TickrunnerDatabase>()),
            sp.GetRequiredService<IOptions<LuaSandboxOptions>>().Value));
        // One clock for everything the server stamps: events, lag notices and heartbeats (tests may inject their own).
        services.TryAddSingleton<IEngineClock>(EngineClock.System);
        if (!clustered) // on the cluster, the silo's hub (ClusterHosting.AddClusterRunners)
            services.AddSingleton(sp => new EventHub(sp.GetRequiredService<IOptions<EventHubOptions>>().Value, sp.GetRequiredService<IEngineClock>()));
        services.AddSingleton<SimulatedMarketState>();
        services.AddSingleton(sp =>
        {
            var feed = sp.GetRequiredService<IOptions<TickrunnerOptions>>().Value.Feed;
            // An explicit seed asks for the same bars on every start; otherwise the market goes on from where it was.
            var continuing = feed.Continue && configuration[$"{TickrunnerOptions.Section}:Feed:Seed"] is null;
            return FeedFactory.Create(feed, sp.GetRequiredService<IOptions<SimulatedFeedOptions>>().Value, sp.GetRequiredService<ILoggerFactory>(),
                continuing ? sp.GetRequiredService<SimulatedMarketState>().Continue : null);
        });
        services.AddSingleton(sp =>
        {
            _ = sp.GetRequiredService<IMarketDataFeed>(); // first: a bad feed setting then leaves no runner threads behind
            var risk = sp.GetRequiredService<IOptions<RiskOptions>>().Value;
            return new TradingEngine(sp.GetRequiredService<StrategyCatalog>(), sp.GetRequiredService<EventHub>(),
                sp.GetRequiredService<IOptions<EngineOptions>>().Value, sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<IEngineClock>(),
                new Tickrunner.Engine.Trading.GlobalRisk(risk.MaxTotalNotional, risk.MaxOpenPositions));
        });

        // One dataset store for uploads, downloads and backtests, where the CLI keeps its datasets too.
        services.AddSingleton(sp => new DatasetStore(Path.Combine(sp.GetRequiredService<IOptions<TickrunnerOptions>>().Value.DataDirectory, "datasets")));
        services.AddSingleton<DatasetUsage>();
        services.AddSingleton<DatasetService>();
        services.AddSingleton<BacktestRepository>();
        services.AddSingleton<BacktestService>();
        services.AddSingleton<OptimizationRepository>();
        services.AddSingleton<OptimizationService>();

        services.AddSingleton<RunnerLocks>();
        services.AddSingleton<StrategyLocks>();
        services.AddSingleton<RunnerService>();
        services.AddSingleton<EngineControl>();
        if (!clustered)
        {
            services.AddSingleton<IRunnerService>(sp => sp.GetRequiredService<RunnerService>());
            services.AddSingleton<IEngineControl>(sp => sp.GetRequiredService<EngineControl>());
        }
        services.AddSingleton<StrategyService>();
        services.AddSingleton<EventStreamService>();
        services.AddSingleton<HealthService>();
        services.AddSingleton<PortfolioRepository>();
        services.AddSingleton<PortfolioService>();
        services.AddSingleton<PortfolioSampler>();
        services.AddTickrunnerMetrics();
        services.AddSingleton<RunnerJournal>();
        services.AddSingleton<CandleRepository>();
        services.AddSingleton<CandleStore>();
        // Before the engine's: it restores before the feed starts, and stops (writing its last batch) after the feed has.
        services.AddHostedService(sp => sp.GetRequiredService<CandleStore>());
        services.AddSingleton<PlotRepository>();
        services.AddSingleton<Plots.PlotStore>();
        // Before the engine's too: it subscribes to the hub before any runner starts, and reads the last plots after the engine stopped.
        if (clustered)
        {
            // The runners are grains: no in-process engine, journal or feed pump. The plot store is not started either: its
            // subscription to every runner's plots would ask every silo to relay every runner's frequent events here.
            Clustering.ClusterHosting.AddClusterRunners(services);
        }
        else
        {
            services.AddHostedService(sp => sp.GetRequiredService<Plots.PlotStore>());
            services.AddHostedService<EngineHostedService>();
        }
        // After the engine's: hosted services stop in reverse order, so jobs stop before the engine and the hub.
        services.AddHostedService(sp => sp.GetRequiredService<BacktestService>());
        services.AddHostedService(sp => sp.GetRequiredService<OptimizationService>());
        services.AddHostedService(sp => sp.GetRequiredService<PortfolioSampler>());
        return services;
    }

    // A relative path is tried against the working directory first, then next to the server binary, where the
    // build copies the shipped strategies.
    private static string ResolveStrategies(string directory)
    {
        if (Path.IsPathRooted(directory) || Directory.Exists(directory)) return directory;
        var besideBinary = Path.Combine(AppContext.BaseDirectory, directory);
        return Directory.Exists(besideBinary) ? besideBinary : directory;
    }
}
