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
    public async Task Each_bar_goes_to_the_local_runners_of_its_symbol_and_a_busy_runner_misses_bars_instead_of_holding_up_the_others()
    {
        var feed = new ChannelFeed(["BTCUSDT", "ETHUSDT"]);
        var registry = new LocalRunnerRegistry();
        var slow = new RecordingRunner { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var fast = new RecordingRunner();
        var eth = new RecordingRunner();
        registry.Register("slow", "BTCUSDT", slow);
        registry.Register("fast", "BTCUSDT", fast);
        registry.Register("eth", "ETHUSDT", eth);
        using var silo = new SiloFeed(feed, registry, Options.Create(new TickrunnerClusterOptions()), NullLogger<SiloFeed>.Instance);
        await silo.StartAsync(CancellationToken.None);

        for (var t = 1; t <= 3; t++) feed.Write("BTCUSDT", t);
        await Wait.Until(() => fast.Timestamps.Count == 3, what: "the fast runner's three bars");
        // The slow runner is still on its first bar: the next two went past it, counted, and the fast one got them all.
        Assert.Equal([1L], slow.Timestamps);
        Assert.Equal(2, registry.RunnersOf("BTCUSDT").Single(r => r.RunnerId == "slow").BarsDropped);
        Assert.Empty(eth.Timestamps);

        slow.Gate.SetResult();
        var slowEntry = registry.RunnersOf("BTCUSDT").Single(r => r.RunnerId == "slow");
        await Wait.Until(() => slowEntry.InFlight.IsCompleted, what: "the slow runner's first bar to end");
        registry.Unregister("fast");
        feed.Write("BTCUSDT", 4);
        feed.Write("ETHUSDT", 4);
        await Wait.Until(() => slow.Timestamps.Count == 2 && eth.Timestamps.Count == 1, what: "bar 4");
        Assert.Equal([1L, 4L], slow.Timestamps);
        Assert.Equal(3, fast.Timestamps.Count); // off the registry: no more bars
        Assert.Equal(1, silo.Subscriptions);
        Assert.Equal(5, silo.BarsReceived);

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

    // Records the bars it gets; with a gate, the first bar's call waits for it, as a runner busy with a long strategy call would.
    private sealed class RecordingRunner : IRunnerGrain
    {
        public TaskCompletionSource? Gate { get; init; }
        public ConcurrentQueue<long> Timestamps { get; } = new();

        public async Task OnBarAsync(BarMessage bar)
        {
            Timestamps.Enqueue(bar.Timestamp);
            if (Gate is { } gate) await gate.Task;
        }

        public Task<RunnerView> DefineAsync(RunnerSpec spec) => throw new NotSupportedException();
        public Task<RunnerView> GetSnapshotAsync() => throw new NotSupportedException();
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
