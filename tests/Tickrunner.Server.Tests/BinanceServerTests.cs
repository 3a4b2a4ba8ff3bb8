using System.Text.Json;

namespace Tickrunner.Server.Tests;

/// <summary>The server on the Binance feed (a local server speaking its protocol): runners get its bars.</summary>
public sealed class BinanceServerTests
{
    [Fact]
    public async Task Runners_get_binance_bars_exactly_as_with_the_simulated_feed()
    {
        await using var binance = await FakeBinanceServer.StartAsync();
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Tickrunner:Feed:Kind"] = "Binance",
            ["Tickrunner:Feed:Symbols"] = "BTCUSDT,ETHUSDT",
            ["Tickrunner:Feed:Binance:BaseUrl"] = binance.BaseUrl,
        });
        var subscribe = await binance.NextRequestAsync();
        Assert.Equal(4, subscribe.GetProperty("params").GetArrayLength());
        Assert.Equal(["BTCUSDT", "ETHUSDT"], (await server.GetJsonAsync("/api/symbols")).EnumerateArray().Select(s => s.GetString()));
        await server.CreateRunnerAsync("live", "ETHUSDT", "ema_crossover");

        await binance.SendAsync(FakeBinanceServer.Book("ETHUSDT", "3000.10", "3000.30"));
        for (var i = 0; i < 3; i++)
            await binance.SendAsync(FakeBinanceServer.Kline("ETHUSDT", 60_000 * (i + 1), "2990", "3010", "2980", $"300{i}.5", "5"));
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/live/history")).GetArrayLength() == 3, what: "three bars");
        var bars = await server.GetJsonAsync("/api/runners/live/history");
        Assert.Equal([60_000L, 120_000L, 180_000L], bars.EnumerateArray().Select(b => b.GetProperty("timestamp").GetInt64()));
        Assert.Equal(3000.10, bars[2].GetProperty("bid").GetDouble());
        Assert.Equal(3002.5, bars[2].GetProperty("close").GetDouble());

        var health = await server.GetJsonAsync("/api/health");
        var feed = health.GetProperty("feed");
        Assert.Equal("Binance", feed.GetProperty("kind").GetString());
        Assert.True(feed.GetProperty("connected").GetBoolean());
        Assert.Equal(0, feed.GetProperty("reconnects").GetInt64());
        Assert.True(feed.GetProperty("last_message_age_ms").GetInt64() >= 0);
        Assert.Equal("ok", health.GetProperty("status").GetString());
    }
}
