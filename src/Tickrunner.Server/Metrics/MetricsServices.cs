namespace Tickrunner.Server.Metrics;

/// <summary>Registers the metrics; <see cref="MetricsEndpoint"/> maps them and counts requests.</summary>
public static class MetricsServices
{
    /// <summary>Adds <see cref="TickrunnerMetrics"/>, made on first use (the first request or scrape).</summary>
    public static IServiceCollection AddTickrunnerMetrics(this IServiceCollection services) =>
        services.AddSingleton<TickrunnerMetrics>();
}
