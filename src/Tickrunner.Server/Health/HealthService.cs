using System.Text.Json.Serialization;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Runners;
using Tickrunner.Server.Storage;
using Tickrunner.Server.Streaming;

namespace Tickrunner.Server.Health;

/// <summary>The health report; <see cref="Cluster"/> only when the server is a cluster node (then <see cref="Engine"/> is the idle in-process engine).</summary>
public sealed record HealthReport(string Status, EngineHealth Engine, FeedStatus Feed, StoreHealth Store, EventsHealth Events)
{
    /// <summary>This node's place in the cluster; left out of the JSON when the runners run in this process.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Clustering.ClusterHealth? Cluster { get; init; }
}

/// <summary>The database's health.</summary>
public sealed record StoreHealth(string Status, string Path, int SchemaVersion, string? Error);

/// <summary>The event hub's health; tick → hub latency percentiles are since the server started.</summary>
public sealed record EventsHealth(long LastSeq, int Backlog, int Subscribers, int WebsocketClients,
    double TickToHubP50Us, double TickToHubP99Us);

/// <summary>Engine, feed, store and event stream status in one report.</summary>
public sealed class HealthService(TickrunnerDatabase database, IMarketDataFeed feed, TradingEngine engine, EventHub hub, EventStreamService stream,
    Clustering.ClusterNodeHealth? cluster = null)
{
    /// <summary>The report; "degraded" unless the store answers, the feed is connected and every runner responds.</summary>
    public HealthReport Report()
    {
        var storeOk = database.IsHealthy(out var error);
        var feedStatus = feed.Status;
        var engineHealth = engine.Health();
        return new HealthReport(
            storeOk && feedStatus.Connected && engineHealth.UnresponsiveRunners.Count == 0 ? "ok" : "degraded",
            engineHealth,
            feedStatus,
            new StoreHealth(storeOk ? "ok" : "failing", database.FilePath, database.SchemaVersion, error),
            new EventsHealth(hub.LastSeq, hub.Backlog, hub.SubscriberCount, stream.Clients,
                hub.TickLatency.Percentile(0.50) / 1000.0, hub.TickLatency.Percentile(0.99) / 1000.0))
        {
            Cluster = cluster?.Report(),
        };
    }
}
