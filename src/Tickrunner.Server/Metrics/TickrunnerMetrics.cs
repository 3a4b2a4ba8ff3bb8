using Microsoft.Extensions.Options;
using Prometheus;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Runners;
using Tickrunner.Server.Backtests;
using Tickrunner.Server.Candles;
using Tickrunner.Server.Optimizations;
using Tickrunner.Server.Streaming;

namespace Tickrunner.Server.Metrics;

/// <summary>
/// The server's Prometheus registry and its series. The registry is this server's own, not prometheus-net's static
/// default, so servers sharing a process (the tests start many) share no counters.
/// </summary>
/// <remarks>
/// Counts live where they are counted (the engine's runners, the hub, the stream, the backtest and optimization services, the
/// candle recorder); a scrape
/// first copies them into the series (<see cref="Update"/>, prometheus-net's before-collect callback), then the
/// registry writes the text. Only HTTP requests are counted into a series directly, once per request.
/// </remarks>
public sealed class TickrunnerMetrics
{
    private readonly Lock _gate = new();
    private readonly EngineMetrics _engine;
    private readonly StreamMetrics _stream;
    private readonly JobMetrics _jobs;
    private readonly CandleMetrics _candles;

    /// <summary>Creates the registry and every series.</summary>
    public TickrunnerMetrics(TradingEngine engine, EventHub hub, IMarketDataFeed feed, EventStreamService stream, BacktestService backtests,
        OptimizationService optimizations, CandleStore candles, IOptions<TickrunnerOptions> options)
    {
        var settings = options.Value.Metrics;
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        // Exemplars appear only in the OpenMetrics format, which /metrics does not serve; without this every counter
        // increment would look up the current trace.
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        _engine = new EngineMetrics(factory, engine, hub, feed, settings.EffectiveTickLatencyBuckets);
        _stream = new StreamMetrics(factory, stream);
        _jobs = new JobMetrics(factory, backtests, optimizations);
        _candles = new CandleMetrics(factory, candles);
        Http = new HttpRequestMetrics(factory);
        if (settings.ProcessMetrics) DotNetStats.Register(Registry);
        Registry.AddBeforeCollectCallback(Update);
    }

    /// <summary>Every series of this server.</summary>
    public CollectorRegistry Registry { get; }

    internal HttpRequestMetrics Http { get; }

    /// <summary>
    /// Copies the current counts into the series; runs before every scrape. Its cost does not depend on the number of
    /// runners, clients or jobs beyond summing their counters: it allocates nothing.
    /// </summary>
    public void Update()
    {
        // Two scrapes at once must not both hand the latency histogram the same new samples.
        lock (_gate)
        {
            _engine.Update();
            _stream.Update();
            _jobs.Update();
            _candles.Update();
        }
    }

    /// <summary>Writes every series in the Prometheus text format (version 0.0.4) to <paramref name="destination"/>.</summary>
    public Task WriteAsync(Stream destination, CancellationToken cancellationToken) =>
        Registry.CollectAndExportAsTextAsync(destination, cancellationToken);
}
