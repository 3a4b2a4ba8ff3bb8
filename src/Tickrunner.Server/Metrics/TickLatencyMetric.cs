using Prometheus;
using Tickrunner.Engine.Common;

namespace Tickrunner.Server.Metrics;

/// <summary>
/// The event hub's tick → hub latency as a Prometheus histogram, filled at scrape time from the histogram the hub
/// already keeps: nothing is added to the per-tick path.
/// </summary>
/// <remarks>
/// Each scrape hands the Prometheus histogram what every engine bucket gained since the last one, as that many
/// observations at the bucket's middle. The engine's buckets are about 9 % wide, so a Prometheus bucket's count is
/// exact except for samples within 9 % of its bound, and <c>_sum</c> is within about 5 % of the true total.
/// </remarks>
internal sealed class TickLatencyMetric
{
    private readonly LatencyHistogram _source;
    private readonly Histogram _histogram;
    private readonly long[] _seen;
    private readonly double[] _middleSeconds;

    public TickLatencyMetric(IMetricFactory factory, LatencyHistogram source, IReadOnlyList<double> buckets)
    {
        _source = source;
        _histogram = factory.CreateHistogram("tickrunner_tick_to_hub_latency_seconds",
            "Time from a bar's arrival in a runner's inbox to its TickReceived event's publication on the event hub.",
            new HistogramConfiguration { Buckets = [.. buckets] });
        _seen = new long[source.Buckets];
        _middleSeconds = new double[source.Buckets];
        for (var i = 0; i < _middleSeconds.Length; i++)
        {
            var (lower, upper) = LatencyHistogram.BucketRange(i);
            _middleSeconds[i] = (lower + upper) / 2.0 / 1e9;
        }
    }

    /// <summary>Moves the samples recorded since the last call into the Prometheus histogram; one caller at a time.</summary>
    public void Update()
    {
        for (var i = 0; i < _seen.Length; i++)
        {
            var count = _source.CountIn(i);
            // Less than before only after LatencyHistogram.Reset (benchmarks): start over from there.
            var added = count >= _seen[i] ? count - _seen[i] : count;
            _seen[i] = count;
            if (added > 0) _histogram.Observe(_middleSeconds[i], added);
        }
    }
}
