using Tickrunner.Engine.Wire;
using Tickrunner.Server.Health;

namespace Tickrunner.Server.Api;

/// <summary><c>/api/health</c>: engine, feed and store status.</summary>
public static class HealthApi
{
    /// <summary>Maps the health endpoint; the builder is returned so authorization (or its absence) can be attached to it.</summary>
    public static RouteHandlerBuilder MapHealthApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/health", Health).WithTags("Health").WithSummary("Engine, feed, store and event stream status");

    // 503 only when the store fails: a disconnected feed or an unresponsive runner is "degraded" but served.
    private static IResult Health(HealthService health)
    {
        var report = health.Report();
        return TypedResults.Json(report, WireJson.Options,
            statusCode: report.Store.Status == "ok" ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
