using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tickrunner.Engine;
using Tickrunner.Engine.Feeds;

namespace Tickrunner.Cluster.Feeds;

/// <summary>
/// This silo's one subscription to market data: each bar goes to the runner grains activated here for its symbol
/// (<see cref="LocalRunnerRegistry"/>), however many runners trade it.
/// </summary>
/// <remarks>
/// <para>
/// Per-silo subscription rather than Orleans streams: a stream would carry every bar through a stream provider (a queue or
/// a pub-sub grain) to each subscribing runner, wherever it is, so one bar crosses the network once per runner and the
/// provider becomes the hot path of the whole cluster. The exchange feed is the same for every silo, so each silo reads it
/// once and fans out in memory to its own activations: the bar crosses no network inside the cluster, and a silo that dies
/// takes only its own subscription with it.
/// </para>
/// <para>
/// Each bar waits in the runner's queue on this silo (<see cref="LocalRunner"/>) and a grain call makes the runner take what
/// is queued, so bars run on the grain's scheduler like any other call (one at a time with its commands, never beside them).
/// Past the queue's capacity the oldest bars are dropped (counted in <see cref="LocalRunner.BarsDropped"/>), as the
/// single-process runner's inbox drops its oldest: a slow runner never holds up the feed or the other runners of the silo.
/// </para>
/// </remarks>
public sealed partial class SiloFeed(
    IMarketDataFeed feed, LocalRunnerRegistry registry, IOptions<TickrunnerClusterOptions> options, ILogger<SiloFeed> logger,
    IEnumerable<ISiloBarObserver> observers)
    : BackgroundService
{
    private readonly ISiloBarObserver[] _observers = [.. observers];

    private long _barsReceived, _deliveries, _subscriptions;

    /// <summary>The feed this silo reads.</summary>
    public IMarketDataFeed Feed => feed;

    /// <summary>Bars read from the feed.</summary>
    public long BarsReceived => Interlocked.Read(ref _barsReceived);

    /// <summary>Bars handed to local runners (one per runner per bar; calls carry several when they queue).</summary>
    public long Deliveries => Interlocked.Read(ref _deliveries);

    /// <summary>Subscriptions opened to the feed (one, plus one per retry after the source failed).</summary>
    public long Subscriptions => Interlocked.Read(ref _subscriptions);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Every symbol the feed has, not those of the runners active now: runners come and go with failovers, and a
        // subscription per change would reconnect the exchange every time one moves.
        var symbols = feed.Symbols;
        Action<LocalRunner, Exception> failed = (runner, e) => LogDeliveryFailed(e, runner.RunnerId);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                Interlocked.Increment(ref _subscriptions);
                await foreach (var bar in feed.SubscribeAsync(symbols, stoppingToken).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref _barsReceived);
                    foreach (var observer in _observers) observer.Observe(bar);
                    Deliver(bar, failed);
                }
                LogFeedEnded(feed.Kind);
                return; // a finite source (a replay) ended: nothing more will come
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogFeedFailed(e, feed.Kind, options.Value.FeedRetryDelayMs);
                await Task.Delay(options.Value.FeedRetryDelayMs, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private void Deliver(in MarketData bar, Action<LocalRunner, Exception> failed)
    {
        var runners = registry.RunnersOf(bar.Symbol);
        if (runners.Count == 0) return;
        var capacity = options.Value.InboxCapacity;
        foreach (var runner in runners)
        {
            Interlocked.Increment(ref _deliveries);
            if (runner.Offer(bar, capacity)) runner.Drain(failed);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The {Kind} feed ended")]
    private partial void LogFeedEnded(string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Kind} feed failed; subscribing again in {DelayMs} ms")]
    private partial void LogFeedFailed(Exception e, string kind, int delayMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A bar for {RunnerId} was not delivered")]
    private partial void LogDeliveryFailed(Exception e, string runnerId);
}
