using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Wire;
using Tickrunner.Server.Hosting;

namespace Tickrunner.Server.Api;

/// <summary>The health report.</summary>
public sealed record HealthReport(string Status, EngineHealth Engine, FeedStatus Feed, StoreHealth Store, EventsHealth Events);

/// <summary>The database's health.</summary>
public sealed record StoreHealth(string Status, string Path, int SchemaVersion, string? Error);

/// <summary>The event hub's health; tick → hub latency percentiles are since the server started.</summary>
public sealed record EventsHealth(long LastSeq, int Backlog, int Subscribers, int WebsocketClients,
    double TickToHubP50Us, double TickToHubP99Us);

/// <summary><c>/api/health</c>: engine, feed and store status.</summary>
public static class HealthApi
{
    /// <summary>Maps the health endpoint.</summary>
    public static void MapHealthApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/health", Health).WithTags("Health").WithSummary("Engine, feed, store and event stream status");

    private static IResult Health(TickrunnerRuntime runtime)
    {
        var storeOk = runtime.Database.IsHealthy(out var error);
        var feed = runtime.Feed.Status;
        var engine = runtime.Engine.Health();
        var report = new HealthReport(
            storeOk && feed.Connected && engine.UnresponsiveRunners.Count == 0 ? "ok" : "degraded",
            engine,
            feed,
            new StoreHealth(storeOk ? "ok" : "failing", runtime.Database.FilePath, runtime.Database.SchemaVersion, error),
            new EventsHealth(runtime.Hub.LastSeq, runtime.Hub.Backlog, runtime.Hub.SubscriberCount, runtime.WebSocketClients,
                runtime.Hub.TickLatency.Percentile(0.50) / 1000.0, runtime.Hub.TickLatency.Percentile(0.99) / 1000.0));
        return TypedResults.Json(report, WireJson.Options, statusCode: storeOk ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
