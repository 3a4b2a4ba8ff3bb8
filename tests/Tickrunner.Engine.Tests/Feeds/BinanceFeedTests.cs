using System.Text.Json;
using System.Threading.Channels;
using Tickrunner.Engine.Feeds;

namespace Tickrunner.Engine.Tests;

public sealed class BinanceFeedTests : IAsyncLifetime
{
    private FakeBinanceServer _server = null!;
    private readonly CancellationTokenSource _stop = new();

    public async Task InitializeAsync() => _server = await FakeBinanceServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _server.DisposeAsync();
    }

    private BinanceFeed Feed(params string[] symbols) => new(new BinanceFeedOptions
    {
        BaseUrl = _server.BaseUrl,
        Symbols = [.. symbols],
        SilenceTimeout = TimeSpan.FromSeconds(5),
        ReconnectBaseDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
    });

    /// <summary>Subscribes in the background and collects bars into a channel.</summary>
    private ChannelReader<MarketData> Collect(BinanceFeed feed)
    {
        var bars = Channel.CreateUnbounded<MarketData>();
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var bar in feed.SubscribeAsync(feed.Symbols, _stop.Token)) await bars.Writer.WriteAsync(bar);
            }
            catch (OperationCanceledException)
            {
            }
        });
        return bars.Reader;
    }

    private static async Task<MarketData> Next(ChannelReader<MarketData> bars)
    {
        using var timeout = new CancellationTokenSource(10_000);
        return await bars.ReadAsync(timeout.Token);
    }

    private static string[] Streams(JsonElement request) =>
        request.GetProperty("params").EnumerateArray().Select(p => p.GetString()!).ToArray();

    [Fact]
    public async Task Subscribes_to_kline_and_book_ticker_streams_of_every_symbol()
    {
        var feed = Feed("BTCUSDT", "ethusdt");
        Collect(feed);
        var request = await _server.NextRequestAsync();
        Assert.Equal("SUBSCRIBE", request.GetProperty("method").GetString());
        Assert.Equal(["btcusdt@kline_1m", "btcusdt@bookTicker", "ethusdt@kline_1m", "ethusdt@bookTicker"], Streams(request));
        Assert.Equal(["BTCUSDT", "ETHUSDT"], feed.Symbols);
    }

    [Fact]
    public async Task Only_closed_klines_become_bars_with_exactly_parsed_decimals()
    {
        var feed = Feed("BTCUSDT");
        var bars = Collect(feed);
        await _server.NextRequestAsync();
        await _server.SendAsync(FakeBinanceServer.Kline("BTCUSDT", 60_000, "50000.01", "50100.5", "49900.25", "50050.75", "12.34567", closed: false));
        await _server.SendAsync(FakeBinanceServer.Kline("BTCUSDT", 60_000, "50000.01", "50100.50", "49900.25", "50050.75", "12.34567"));
        var bar = await Next(bars);
        Assert.Equal(("BTCUSDT", 60_000L, 50000.01, 50100.5, 49900.25, 50050.75, 12.34567), (bar.Symbol, bar.Timestamp, bar.Open, bar.High, bar.Low, bar.Close, bar.Volume));
        // No book ticker yet: close ∓ 0.05 %.
        Assert.Equal(50050.75 * 0.9995, bar.Bid, 9);
        Assert.Equal(50050.75 * 1.0005, bar.Ask, 9);
        Assert.Equal(1, feed.Status.BarsDelivered);
    }

    [Fact]
    public async Task Bid_and_ask_come_from_the_latest_book_ticker()
    {
        var feed = Feed("ETHUSDT");
        var bars = Collect(feed);
        await _server.NextRequestAsync();
        await _server.SendAsync(FakeBinanceServer.Book("ETHUSDT", "2999.10", "2999.20"));
        await _server.SendAsync(FakeBinanceServer.Book("ETHUSDT", "3000.10", "3000.30"));
        await _server.SendAsync(FakeBinanceServer.Kline("ETHUSDT", 0, "2990", "3010", "2980", "3000.2", "5"));
        var bar = await Next(bars);
        Assert.Equal((3000.10, 3000.30), (bar.Bid, bar.Ask));
    }

    [Fact]
    public async Task Raw_non_combined_events_are_understood_too()
    {
        var feed = Feed("BTCUSDT");
        var bars = Collect(feed);
        await _server.NextRequestAsync();
        await _server.SendAsync(FakeBinanceServer.Kline("BTCUSDT", 120_000, "1", "2", "0.5", "1.5", "3", combined: false));
        Assert.Equal(120_000, (await Next(bars)).Timestamp);
    }

    [Fact]
    public async Task Malformed_and_unknown_messages_are_counted_and_never_fatal()
    {
        var feed = Feed("BTCUSDT");
        var bars = Collect(feed);
        await _server.NextRequestAsync();
        await _server.SendAsync("{not json");
        await _server.SendAsync("""{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT","p":"1"}}""");
        await _server.SendAsync("""{"stream":"btcusdt@kline_1m","data":{"e":"kline","k":{"x":true,"s":"BTCUSDT","t":1}}}"""); // no prices
        await _server.SendAsync("""[1,2,3]""");
        await _server.SendAsync(FakeBinanceServer.Kline("BTCUSDT", 60_000, "10", "9", "11", "10", "1")); // high < low: rejected
        await _server.SendAsync(FakeBinanceServer.Kline("BTCUSDT", 120_000, "10", "12", "9", "11", "1"));
        Assert.Equal(120_000, (await Next(bars)).Timestamp);
        var status = feed.Status;
        Assert.Equal((3L, 1L, 1L, 1L), (status.MalformedMessages, status.UnknownMessages, status.BarsRejected, status.BarsDelivered));
        Assert.Equal(1, _server.Connections);
    }

    [Fact]
    public async Task Symbols_are_added_and_removed_on_the_open_connection()
    {
        var feed = Feed("BTCUSDT");
        var bars = Collect(feed);
        await _server.NextRequestAsync();
        await feed.AddSymbolAsync("solusdt");
        var subscribe = await _server.NextRequestAsync();
        Assert.Equal("SUBSCRIBE", subscribe.GetProperty("method").GetString());
        Assert.Equal(["solusdt@kline_1m", "solusdt@bookTicker"], Streams(subscribe));
        await _server.SendAsync(FakeBinanceServer.Kline("SOLUSDT", 60_000, "150", "151", "149", "150.5", "100"));
        Assert.Equal("SOLUSDT", (await Next(bars)).Symbol);

        await feed.RemoveSymbolAsync("BTCUSDT");
        var unsubscribe = await _server.NextRequestAsync();
        Assert.Equal("UNSUBSCRIBE", unsubscribe.GetProperty("method").GetString());
        Assert.Equal(["btcusdt@kline_1m", "btcusdt@bookTicker"], Streams(unsubscribe));
        Assert.Equal(["SOLUSDT"], feed.Symbols);
        Assert.Equal(1, _server.Connections); // no reconnect for either
        Assert.Throws<ArgumentException>(() => feed.AddSymbolAsync("not a symbol!").GetAwaiter().GetResult());
    }

    [Fact]
    public async Task A_dropped_connection_reconnects_resubscribes_and_loses_or_repeats_nothing()
    {
        var feed = Feed("BTCUSDT");
        var bars = Collect(feed);
        await _server.NextRequestAsync();
        await _server.SendAsync(FakeBinanceServer.Kline("BTCUSDT", 60_000, "1", "2", "0.5", "1.5", "3"));
        Assert.Equal(60_000, (await Next(bars)).Timestamp);

        _server.Drop();
        var resubscribe = await _server.NextRequestAsync();
        Assert.Equal(["btcusdt@kline_1m", "btcusdt@bookTicker"], Streams(resubscribe));
        Assert.Equal(2, _server.Connections);
        await Wait.Until(() => feed.Status is { Connected: true, Reconnects: 1 });

        // The server repeats the last closed kline after the reconnect, then goes on.
        await _server.SendAsync(FakeBinanceServer.Kline("BTCUSDT", 60_000, "1", "2", "0.5", "1.5", "3"));
        await _server.SendAsync(FakeBinanceServer.Kline("BTCUSDT", 120_000, "1.5", "2", "1", "1.8", "3"));
        Assert.Equal(120_000, (await Next(bars)).Timestamp);
        Assert.Equal(0, feed.Status.Gaps);

        // A bar the stream never sent (180,000) is reported as a gap.
        await _server.SendAsync(FakeBinanceServer.Kline("BTCUSDT", 240_000, "1.8", "2", "1", "1.9", "3"));
        Assert.Equal(240_000, (await Next(bars)).Timestamp);
        Assert.Equal(1, feed.Status.Gaps);
        Assert.Equal(3, feed.Status.BarsDelivered);
        Assert.False(bars.TryRead(out _));
    }

    [Fact]
    public async Task A_symbol_removed_and_added_again_starts_afresh()
    {
        var feed = Feed("BTCUSDT");
        var bars = Collect(feed);
        await _server.NextRequestAsync();
        await _server.SendAsync(FakeBinanceServer.Book("BTCUSDT", "10.0", "10.2"));
        await _server.SendAsync(FakeBinanceServer.Kline("BTCUSDT", 60_000, "10", "11", "9", "10.1", "1"));
        Assert.Equal(10.0, (await Next(bars)).Bid);
        await feed.RemoveSymbolAsync("BTCUSDT");
        await feed.AddSymbolAsync("BTCUSDT");
        await _server.NextRequestAsync();
        await _server.NextRequestAsync();
        await _server.SendAsync(FakeBinanceServer.Kline("BTCUSDT", 600_000, "10", "11", "9", "10", "1"));
        var bar = await Next(bars);
        Assert.Equal(10 * 0.9995, bar.Bid, 9); // no stale quote from before the removal
        Assert.Equal(0, feed.Status.Gaps);       // and no false gap for the time it was away
    }

    [Fact]
    public async Task A_silent_server_is_replaced()
    {
        var feed = new BinanceFeed(new BinanceFeedOptions
        {
            BaseUrl = _server.BaseUrl,
            Symbols = ["BTCUSDT"],
            SilenceTimeout = TimeSpan.FromMilliseconds(600),
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(50),
        });
        Collect(feed);
        await _server.NextRequestAsync();
        await _server.SendAsync(FakeBinanceServer.Book("BTCUSDT", "1", "2")); // then nothing: silence
        await _server.NextRequestAsync(); // the resubscription on a new connection
        Assert.True(_server.Connections >= 2);
        await Wait.Until(() => feed.Status.Reconnects >= 1);
        Assert.Contains("no message for", feed.Status.LastError);
    }

    [Fact]
    public async Task Status_reports_connection_and_message_age()
    {
        var feed = Feed("BTCUSDT");
        Assert.False(feed.Status.Connected);
        Collect(feed);
        await _server.NextRequestAsync();
        await Wait.Until(() => feed.Status.Connected && feed.Status.LastMessageAgeMs is not null);
        Assert.InRange(feed.Status.LastMessageAgeMs!.Value, 0, 5_000);
        Assert.Equal("Binance", feed.Status.Kind);
    }

    [Fact]
    public void Options_are_checked()
    {
        Assert.Throws<ArgumentException>(() => new BinanceFeed(new BinanceFeedOptions { Interval = "7m" }));
        Assert.Throws<ArgumentException>(() => new BinanceFeed(new BinanceFeedOptions { BaseUrl = "http://example" }));
        Assert.Equal(BinanceFeedOptions.UsUrl, new BinanceFeedOptions { Region = "US" }.EffectiveBaseUrl);
        Assert.Equal(BinanceFeedOptions.InternationalUrl, new BinanceFeedOptions().EffectiveBaseUrl);
    }
}
