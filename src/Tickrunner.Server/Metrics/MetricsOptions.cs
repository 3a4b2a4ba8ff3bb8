namespace Tickrunner.Server.Metrics;

/// <summary>Prometheus metrics at <c>GET /metrics</c> (<c>Tickrunner:Metrics</c>); docs/guides/web-app-api.md §8.</summary>
public sealed class MetricsOptions
{
    /// <summary>Serve <c>/metrics</c> and count HTTP requests (default true); off, <c>/metrics</c> answers 404.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Add the process's own series (CPU, memory, threads, .NET collections: <c>process_*</c>, <c>dotnet_*</c>); default true.</summary>
    public bool ProcessMetrics { get; set; } = true;

    /// <summary>Upper bounds, in seconds, of the tick → hub latency histogram's buckets; empty means <see cref="DefaultTickLatencyBuckets"/>.</summary>
    public List<double> TickLatencyBuckets { get; set; } = [];

    /// <summary>10 µs to 1 s: a healthy engine sits in the tens of microseconds, a loaded one in milliseconds.</summary>
    public static readonly IReadOnlyList<double> DefaultTickLatencyBuckets =
        [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

    /// <summary>The buckets in effect; <see cref="InvalidOperationException"/> unless they are positive, finite and increasing.</summary>
    public IReadOnlyList<double> EffectiveTickLatencyBuckets
    {
        get
        {
            if (TickLatencyBuckets.Count == 0) return DefaultTickLatencyBuckets;
            for (var i = 0; i < TickLatencyBuckets.Count; i++)
            {
                var bound = TickLatencyBuckets[i];
                if (!double.IsFinite(bound) || bound <= 0 || (i > 0 && bound <= TickLatencyBuckets[i - 1]))
                    throw new InvalidOperationException(
                        $"Tickrunner:Metrics:TickLatencyBuckets must be positive, finite and increasing (seconds); entry {i} is {bound}.");
            }
            return TickLatencyBuckets;
        }
    }
}
