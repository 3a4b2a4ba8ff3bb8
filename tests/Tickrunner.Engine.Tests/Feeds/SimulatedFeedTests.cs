using Tickrunner.Engine.Feeds;

namespace Tickrunner.Engine.Tests;

public class SimulatedFeedTests
{
    private static SimulatedFeedOptions Options(long seed = 42, long? max = 200) => new()
    {
        Seed = seed,
        TickInterval = TimeSpan.Zero,
        StartTimestamp = 1_700_000_000_000,
        MaxBarsPerSymbol = max,
        Symbols =
        [
            new() { Symbol = "BTCUSDT", StartPrice = 50_000, Volatility = 0.002 },
            new() { Symbol = "ETHUSDT", StartPrice = 3_000, Volatility = 0.01 },
            new() { Symbol = "DOGEUSDT", StartPrice = 0.1, Volatility = 0.05 },
        ],
    };

    private static async Task<List<Engine.MarketData>> Collect(SimulatedFeed feed, params string[] symbols)
    {
        var bars = new List<Engine.MarketData>();
        await foreach (var bar in feed.SubscribeAsync(symbols)) bars.Add(bar);
        return bars;
    }

    [Fact]
    public async Task Same_seed_gives_the_same_series_per_symbol()
    {
        var a = await Collect(new SimulatedFeed(Options()), "BTCUSDT", "ETHUSDT");
        var b = await Collect(new SimulatedFeed(Options()), "BTCUSDT", "ETHUSDT");
        foreach (var symbol in new[] { "BTCUSDT", "ETHUSDT" })
            Assert.Equal(a.Where(x => x.Symbol == symbol), b.Where(x => x.Symbol == symbol));
        Assert.Equal(400, a.Count);
    }

    [Fact]
    public void Different_seeds_and_symbols_give_different_series()
    {
        var one = new SimulatedFeed(Options(1)).CreateSeries("BTCUSDT", 0).Next();
        var two = new SimulatedFeed(Options(2)).CreateSeries("BTCUSDT", 0).Next();
        Assert.NotEqual(one.Close, two.Close);
    }

    [Fact]
    public void Bars_are_valid_consistent_and_continuous()
    {
        var feed = new SimulatedFeed(Options());
        foreach (var symbol in feed.Symbols)
        {
            var series = feed.CreateSeries(symbol, 1000);
            var previous = series.Next();
            Assert.Null(previous.Validate());
            for (var i = 0; i < 5000; i++)
            {
                var bar = series.Next();
                Assert.Null(bar.Validate());
                Assert.True(bar.Low <= Math.Min(bar.Open, bar.Close) && bar.High >= Math.Max(bar.Open, bar.Close));
                Assert.True(bar.Bid < bar.Ask, $"bid {bar.Bid} must be below ask {bar.Ask}");
                Assert.Equal(previous.Close, bar.Open);
                Assert.True(bar.Timestamp > previous.Timestamp);
                previous = bar;
            }
        }
    }

    [Fact]
    public void Prices_are_rounded_to_the_tick_like_an_exchange()
    {
        var series = new SimulatedFeed(Options()).CreateSeries("BTCUSDT", 0); // 50,000 → 2 decimals
        for (var i = 0; i < 1000; i++)
        {
            var bar = series.Next();
            foreach (var price in new[] { bar.Open, bar.High, bar.Low, bar.Close, bar.Bid, bar.Ask })
                Assert.Equal(Math.Round(price, 2), price);
            Assert.Equal(Math.Round(bar.Volume, 4), bar.Volume);
        }
        var doge = new SimulatedFeed(Options()).CreateSeries("DOGEUSDT", 0).Next(); // 0.1 → 7 decimals
        Assert.Equal(Math.Round(doge.Close, 7), doge.Close);
        Assert.True(doge.Close > 0);
    }

    [Fact]
    public void Volatility_setting_shapes_the_returns()
    {
        var series = new SimulatedFeed(Options()).CreateSeries("ETHUSDT", 0);
        var returns = Enumerable.Range(0, 20_000).Select(_ => series.Next()).Select(b => Math.Log(b.Close / b.Open)).ToList();
        var mean = returns.Average();
        var sd = Math.Sqrt(returns.Sum(r => (r - mean) * (r - mean)) / returns.Count);
        Assert.InRange(sd, 0.0095, 0.0105); // configured 0.01 per bar
    }

    [Fact]
    public async Task Paced_feed_stamps_bars_by_the_interval()
    {
        var options = Options(max: 3);
        options.TickInterval = TimeSpan.FromMilliseconds(5);
        var bars = await Collect(new SimulatedFeed(options), "BTCUSDT");
        Assert.Equal([1_700_000_000_000L, 1_700_000_000_005L, 1_700_000_000_010L], bars.Select(b => b.Timestamp));
    }

    [Fact]
    public async Task Cancelling_ends_an_endless_subscription()
    {
        var feed = new SimulatedFeed(Options(max: null));
        using var cts = new CancellationTokenSource();
        var count = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in feed.SubscribeAsync(["BTCUSDT"], cts.Token))
                if (++count == 100) await cts.CancelAsync();
        });
        Assert.Equal(100, count);
        Assert.False(feed.Status.Connected);
        Assert.True(feed.Status.BarsDelivered >= 100);
    }

    [Fact]
    public async Task Unknown_symbols_and_bad_settings_are_rejected()
    {
        var feed = new SimulatedFeed(Options());
        var e = await Assert.ThrowsAsync<ArgumentException>(async () => await Collect(feed, "NOPE"));
        Assert.Contains("NOPE", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedFeed(new SimulatedFeedOptions
        {
            Symbols = [new() { Symbol = "X", StartPrice = -1 }],
        }));
        Assert.Throws<ArgumentException>(() => new SimulatedFeed(new SimulatedFeedOptions
        {
            Symbols = [new() { Symbol = "X" }, new() { Symbol = "X" }],
        }));
    }

    [Fact]
    public void Defaults_offer_well_known_symbols() =>
        Assert.Contains("BTCUSDT", new SimulatedFeed().Symbols);
}
