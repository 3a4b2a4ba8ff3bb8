using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Tickrunner.Cluster;
using Tickrunner.Cluster.Events;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Server.Runners;

namespace Tickrunner.Server.Clustering;

/// <summary>
/// The server as a node of a Tickrunner cluster (<c>Cluster:Enabled=true</c>): it hosts an Orleans silo running the runner
/// grains on its own feed, and its API and <c>/ws</c> answer for every runner of the cluster, wherever the runner is active.
/// Off (the default) nothing of this is registered and no silo starts.
/// </summary>
public static class ClusterHosting
{
    /// <summary>The switch.</summary>
    public const string EnabledKey = "Cluster:Enabled";

    /// <summary>Whether <paramref name="configuration"/> asks for the cluster.</summary>
    public static bool IsEnabled(IConfiguration configuration) => configuration.GetValue<bool>(EnabledKey);

    /// <summary>
    /// Hosts a silo in the server when the cluster is enabled: localhost or Redis clustering on <see cref="ClusterNodeOptions"/>' ports,
    /// Orleans' membership timings from <c>Cluster:Membership</c>, runner state in <c>Cluster:StoragePath</c> (default
    /// <c>DataDirectory/cluster.db</c>; nodes of one machine share one file), and the server's own feed for market data.
    /// Call before the server's services are added, so the silo starts before them and stops after them.
    /// </summary>
    /// <exception cref="OptionsValidationException">The node's options are wrong (each problem is named).</exception>
    public static void UseTickrunnerCluster(this WebApplicationBuilder builder)
    {
        if (IsEnabled(builder.Configuration)) HostSilo(builder);
    }

    // Apart, so that a server with the cluster off never loads Orleans' assemblies (a method's body is compiled when it is first called).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void HostSilo(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var node = configuration.GetSection(ClusterNodeOptions.Section).Get<ClusterNodeOptions>() ?? new ClusterNodeOptions();
        if (node.Problems() is { Count: > 0 } problems) throw new OptionsValidationException(ClusterNodeOptions.Section, typeof(ClusterNodeOptions), problems);
        var dataDirectory = configuration[$"{TickrunnerOptions.Section}:DataDirectory"] ?? new TickrunnerOptions().DataDirectory;
        builder.UseOrleans(silo =>
        {
            if (node.IsRedis)
            {
                // Every node equal: any may stop or die, the membership stays in Redis.
                silo.UseRedisClustering(node.Redis!);
                silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (node.ClusterId, node.ServiceId));
                silo.ConfigureEndpoints(IPAddress.Parse(node.Address), node.SiloPort, node.GatewayPort, listenOnAnyHostAddress: true);
            }
            else
            {
                silo.UseLocalhostClustering(node.SiloPort, node.GatewayPort,
                    new IPEndPoint(IPAddress.Loopback, node.PrimarySiloPort ?? node.SiloPort), node.ServiceId, node.ClusterId);
            }
            silo.Services.Configure<ClusterMembershipOptions>(configuration.GetSection("Cluster:Membership"));
            silo.AddTickrunnerCluster(o =>
            {
                if (configuration["Cluster:StoragePath"] is null) o.StoragePath = Path.Combine(dataDirectory, "cluster.db");
                if (configuration["Cluster:DataDirectory"] is null) o.DataDirectory = Path.Combine(dataDirectory, "datasets");
            }, feed: sp => sp.GetRequiredService<IMarketDataFeed>());
        });
    }

    /// <summary>
    /// Puts the cluster's runners behind the API: the runner service, the kill switch and the event hub become the cluster's,
    /// and the in-process engine's hosted service (restore, feed pump, journal) is replaced by <see cref="ClusterNodeService"/>.
    /// </summary>
    internal static void AddClusterRunners(IServiceCollection services)
    {
        services.AddSingleton<IRunnerService, ClusterRunnerService>();
        services.AddSingleton<IEngineControl, ClusterEngineControl>();
        // The hub /ws, the portfolio and the metrics read: the silo's view of every runner's events.
        services.AddSingleton(sp => sp.GetRequiredService<ClusterEvents>().Hub);
        services.AddSingleton<ClusterNodeHealth>();
        services.AddSingleton<Cluster.Feeds.ISiloBarObserver, CandleRecorder>();
        services.AddHostedService<ClusterNodeService>();
    }
}
