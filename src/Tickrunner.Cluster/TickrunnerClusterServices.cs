using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Hosting;
using Tickrunner.Cluster.Events;
using Tickrunner.Cluster.Feeds;
using Tickrunner.Cluster.KeepAlive;
using Tickrunner.Cluster.Optimization;
using Tickrunner.Cluster.Risk;
using Tickrunner.Cluster.Runners;
using Tickrunner.Cluster.Storage;
using Tickrunner.Engine.Feeds;

namespace Tickrunner.Cluster;

/// <summary>Wires runners on a silo: the runner grains, their SQLite storage, the silo's feed, its events and the keep-alive.</summary>
public static class TickrunnerClusterServices
{
    /// <summary>The name of the grain storage runner grains use.</summary>
    public const string StorageName = "tickrunner";

    /// <summary>The service key of the feed each silo reads.</summary>
    public const string FeedKey = "tickrunner-cluster-feed";

    /// <summary>
    /// Adds the runner grains and their services to <paramref name="silo"/>, with options from its configuration section
    /// <c>Cluster</c> then <paramref name="configure"/>; <paramref name="feed"/> gives the silo's market data (default: the
    /// simulated feed of <see cref="TickrunnerClusterOptions.SimulatedFeed"/>). Membership and clustering are the host's.
    /// </summary>
    public static ISiloBuilder AddTickrunnerCluster(this ISiloBuilder silo, Action<TickrunnerClusterOptions>? configure = null,
        Func<IServiceProvider, IMarketDataFeed>? feed = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var services = silo.Services;
        var options = services.AddOptions<TickrunnerClusterOptions>().Bind(silo.Configuration.GetSection(TickrunnerClusterOptions.SectionName));
        if (configure is not null) options.Configure(configure);
        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<TickrunnerClusterOptions>, TickrunnerClusterOptionsValidator>();

        services.AddSingleton(sp => new SqliteGrainStorage(sp.GetRequiredService<IOptions<TickrunnerClusterOptions>>().Value.StoragePath));
        services.AddGrainStorage(StorageName, (sp, _) => sp.GetRequiredService<SqliteGrainStorage>());
        services.AddSingleton<RunnerStrategyLoader>();
        services.AddSingleton<LocalRunnerRegistry>();
        services.AddKeyedSingleton(FeedKey, (sp, _) =>
            feed?.Invoke(sp) ?? new SimulatedFeed(sp.GetRequiredService<IOptions<TickrunnerClusterOptions>>().Value.SimulatedFeed));
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<SiloFeed>(sp, sp.GetRequiredKeyedService<IMarketDataFeed>(FeedKey)));
        services.AddHostedService(sp => sp.GetRequiredService<SiloFeed>());
        services.AddSingleton<TrialBars>();
        silo.AddPlacementDirector<SpreadPlacement, SpreadPlacementDirector>();
        silo.AddPlacementDirector<SiloPinnedPlacement, SiloPinnedPlacementDirector>();
        services.AddSingleton<ClusterEvents>();
        services.AddSingleton<ClusterRisk>();
        services.AddHostedService<ClusterRiskSync>();
        services.AddHostedService<EventRelayMembership>();
        services.AddHostedService<EventInterestAnnouncer>();
        services.AddSingleton<RunnerKeepAlive>();
        services.AddHostedService(sp => sp.GetRequiredService<RunnerKeepAlive>());
        return silo;
    }
}

/// <summary>Refuses <see cref="TickrunnerClusterOptions"/> with a problem, naming each one, when the silo starts.</summary>
public sealed class TickrunnerClusterOptionsValidator : IValidateOptions<TickrunnerClusterOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TickrunnerClusterOptions options) =>
        options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
