using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Tickrunner.Server.Metrics;

/// <summary><c>GET /metrics</c> in the Prometheus text format, and the middleware that counts HTTP requests for it.</summary>
public static class MetricsEndpoint
{
    /// <summary>The text exposition format's content type.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>
    /// Maps <c>GET /metrics</c>; the builder is returned so authorization can be attached to it. With
    /// <c>Tickrunner:Metrics:Enabled=false</c> the route answers 404 saying so.
    /// </summary>
    public static IEndpointConventionBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        var enabled = app.ServiceProvider.GetRequiredService<IOptions<TickrunnerOptions>>().Value.Metrics.Enabled;
        var endpoint = enabled ? app.MapGet("/metrics", Scrape) : app.MapGet("/metrics", Disabled);
        return endpoint.WithTags("Metrics").WithSummary("Prometheus metrics: engine, HTTP, WebSocket stream and jobs (see the API guide)")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
    }

    /// <summary>Counts every request by route and status (<c>tickrunner_http_requests_total</c>); nothing when metrics are off.</summary>
    /// <remarks>Goes first in the pipeline, so it sees the status of every answer, errors and refused hosts included.</remarks>
    public static IApplicationBuilder UseRequestMetrics(this IApplicationBuilder app)
    {
        if (!app.ApplicationServices.GetRequiredService<IOptions<TickrunnerOptions>>().Value.Metrics.Enabled) return app;
        HttpRequestMetrics? metrics = null; // resolved on the first request: by then the engine it reads is running
        return app.Use(async (context, next) =>
        {
            // Routing may have run already (WebApplication runs it first unless UseRouting comes later in the pipeline).
            var routed = context.GetEndpoint();
            var failed = true;
            try
            {
                await next(context);
                failed = false;
            }
            finally
            {
                metrics ??= context.RequestServices.GetRequiredService<TickrunnerMetrics>().Http;
                // Routed later, or routed and then cleared by the exception handler, which keeps it in its feature.
                var endpoint = context.GetEndpoint() ?? context.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? routed;
                // An exception that got this far is answered with 500 by the server.
                metrics.Count(context.Request.Method, endpoint, failed && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError
                    : context.Response.StatusCode);
            }
        });
    }

    private static async Task Scrape(HttpContext context, TickrunnerMetrics metrics)
    {
        context.Response.ContentType = ContentType;
        context.Response.Headers.CacheControl = "no-store";
        await metrics.WriteAsync(context.Response.Body, context.RequestAborted);
    }

    private static IResult Disabled() => TypedResults.Problem(
        "Metrics are off on this server (Tickrunner:Metrics:Enabled=false).", "/metrics", StatusCodes.Status404NotFound, "Metrics are off");
}
