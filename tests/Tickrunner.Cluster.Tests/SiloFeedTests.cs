using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tickrunner.Cluster.Feeds;
using Tickrunner.Cluster.Runners;
using Tickrunner.Engine;
using Tickrunner.Engine.Feeds;

namespace Tickrunner.Cluster.Tests;

public sealed class SiloFeedTests
{
    [Fact]
    public async Task Bars_queue_for_a_busy_runner_and_go_in_one_call_while_the_others_get_theirs_and_the_oldest_drop_past_the_capacity()
    {
        var feed = new ChannelFeed(["BTCUSDT", "ETHUSDT"]);
        var registry = new LocalRunnerRegistry();
        var slow = new RecordingRunner { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var fast = new RecordingRunner();
        var eth = new RecordingRunner();
        var gone = new RecordingRunner { TakesNothing = true }; // an activation that no longer reads its queue (it moved)
        slow.Inbox = registry.Register("slow", "BTCUSDT", slow);
        fast.Inbox = registry.Register("fast", "BTCUSDT", fast);
        eth.Inbox = registry.Register("eth", "ETHUSDT", eth);
        gone.Inbox = registry.Register("gone", "ETHUSDT", gone);
        var options = new TickrunnerClusterOptions { InboxCapacity = 3 };
        using var silo = new SiloFeed(feed, registry, Options.Create(options), NullLogger<SiloFeed>.Instance, []);
        await silo.StartAsync(CancellationToken.None);

        for (var t = 1; t <= 5; t++) feed.Write("BTCUSDT", t);
        await Wait.Until(() => fast.Timestamps.Count == 5, what: "the fast runner's five bars");
        // The slow runner is still in its first call: the next four queued for it, and the oldest of them went past the capacity.
        var slowEntry = registry.RunnersOf("BTCUSDT").Single(r => r.RunnerId == "slow");
        Assert.Equal([1L], slow.Timestamps);
        Assert.Equal(1, slowEntry.BarsDropped);
        Assert.Equal(3, slowEntry.Pending);
        Assert.Empty(eth.Timestamps);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], fast.Timestamps); // in order, whatever the calls

        slow.Gate.SetResult();
        await Wait.Until(() => slow.Timestamps.Count == 4 && slowEntry.Draining.IsCompleted, what: "the slow runner's queue to drain");
        Assert.Equal([1L, 3L, 4L, 5L], slow.Timestamps);
        Assert.Equal([1, 2, 1], slow.Calls); // the queue in calls of at most two bars
        registry.Unregister("fast");
        feed.Write("BTCUSDT", 6);
        feed.Write("ETHUSDT", 6);
        await Wait.Until(() => slow.Timestamps.Count == 5 && eth.Timestamps.Count == 1, what: "bar 6");
        Assert.Equal(5, fast.Timestamps.Count); // off the registry: no more bars
        // A call that takes nothing ends the calls: the bar waits for the next one's call instead of a loop of calls.
        await Wait.Until(() => gone.Inbox.Draining.IsCompleted, what: "the calls to a runner that takes nothing to end");
        Assert.Equal([0], gone.Calls);
        Assert.Equal(1, gone.Inbox.Pending);
        Assert.Equal(1, silo.Subscriptions);
        Assert.Equal(7, silo.BarsReceived);

        await silo.StopAsync(CancellationToken.None);
    }

    private sealed class ChannelFeed(IReadOnlyList<string> symbols) : IMarketDataFeed
    {
        private readonly Channel<MarketData> _bars = Channel.CreateUnbounded<MarketData>();

        public void Write(string symbol, long timestamp) =>
            _bars.Writer.TryWrite(new MarketData(symbol, timestamp, 100, 101, 99, 100, 1, 0, 0));

        public string Kind => "Channel";
        public IReadOnlyList<string> Symbols => symbols;
        public FeedStatus Status => new(Kind, true, 0, 0, null);
        public long BarsRejected => 0;

        public async IAsyncEnumerable<MarketData> SubscribeAsync(IReadOnlyCollection<string> symbols,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var bar in _bars.Reader.ReadAllAsync(cancellationToken)) yield return bar;
        }
    }

    // Records the bars it gets and the calls; with a gate, the first call waits for it, as a runner busy with a long strategy call would.
    private sealed class RecordingRunner : IRunnerGrain
    {
        public TaskCompletionSource? Gate { get; init; }
        public bool TakesNothing { get; init; }
        public LocalRunner Inbox { get; set; } = null!;
        public ConcurrentQueue<long> Timestamps { get; } = new();
        public ConcurrentQueue<int> Calls { get; } = new();

        // Takes at most two bars a call, as a grain with MaxBarsPerCall 2 would.
        public async Task ProcessQueuedBarsAsync()
        {
            var bars = new MarketData[2];
            var count = TakesNothing ? 0 : Inbox.Take(bars);
            Calls.Enqueue(count);
            foreach (var bar in bars.AsSpan(0, count)) Timestamps.Enqueue(bar.Timestamp);
            if (Gate is { } gate && Calls.Count == 1) await gate.Task;
        }

        public Task<RunnerView> DefineAsync(RunnerSpec spec) => throw new NotSupportedException();
        public Task<RunnerView> GetSnapshotAsync() => throw new NotSupportedException();
        public Task<RunnerView> CreateAsync(RunnerSpec spec) => throw new NotSupportedException();
        public Task<byte[]> GetWireSnapshotAsync() => throw new NotSupportedException();
        public Task<byte[]> GetWireHistoryAsync(int count) => throw new NotSupportedException();
        public Task<RunnerView> RestartAsync(string? code, bool reload) => throw new NotSupportedException();
        public Task<RunnerView> ChangeRiskAsync(RiskSpec? risk) => throw new NotSupportedException();
        public Task<TradeHistoryView> GetTradeHistoryAsync() => throw new NotSupportedException();
        public Task<TradeView[]> GetTradesAsync(int count = int.MaxValue) => throw new NotSupportedException();
        public Task<string> PauseAsync() => throw new NotSupportedException();
        public Task<string> ResumeAsync() => throw new NotSupportedException();
        public Task<string> StopAsync() => throw new NotSupportedException();
        public Task RemoveAsync() => throw new NotSupportedException();
        public Task<string?> EnterAsync(string side, double quantity, double? stopLoss = null, double? takeProfit = null) => throw new NotSupportedException();
        public Task<string?> ExitAsync() => throw new NotSupportedException();
        public Task KeepAliveAsync() => throw new NotSupportedException();
    }
}
