using System.Text.Json;

namespace Tickrunner.Engine.Tests;

public class MarketDataTests
{
    private static Engine.MarketData Bar(double open = 100, double high = 101, double low = 99, double close = 100.5,
        double volume = 5, double bid = 100.4, double ask = 100.6) =>
        new("BTCUSDT", 1_700_000_000_000, open, high, low, close, volume, bid, ask);

    [Fact]
    public void A_consistent_bar_is_valid_and_mid_price_is_the_mean_of_bid_and_ask()
    {
        var bar = Bar();
        Assert.Null(bar.Validate());
        Assert.Equal(100.5, bar.MidPrice, 10);
    }

    [Fact]
    public void Mid_price_falls_back_to_close_without_a_book() =>
        Assert.Equal(100.5, Bar(bid: 0, ask: 0).MidPrice);

    [Theory]
    [InlineData(double.NaN, 101, 99, 100, 1, "open")]
    [InlineData(100, double.PositiveInfinity, 99, 100, 1, "high")]
    [InlineData(100, 101, -1, 100, 1, "low")]
    [InlineData(100, 101, 99, 0, 1, "close")]
    [InlineData(100, 98, 99, 100, 1, "high")]      // high < low
    [InlineData(102, 101, 99, 100, 1, "open")]     // open above high
    [InlineData(100, 101, 99, 98, 1, "close")]     // close below low
    [InlineData(100, 101, 99, 100, -1, "volume")]
    public void Invalid_bars_name_the_field(double open, double high, double low, double close, double volume, string field)
    {
        var error = Bar(open, high, low, close, volume).Validate();
        Assert.NotNull(error);
        Assert.Equal(field, error.Field);
        var thrown = Assert.Throws<InvalidMarketDataException>(() =>
            Engine.MarketData.Create("BTCUSDT", 1, open, high, low, close, volume));
        Assert.Equal(field, thrown.Field);
        Assert.Contains("BTCUSDT", thrown.Message);
    }

    [Fact]
    public void Bid_above_ask_is_invalid() => Assert.Equal("bid", Bar(bid: 101, ask: 100).Validate()?.Field);

    [Fact]
    public void Json_is_snake_case_in_spec_field_order()
    {
        var json = JsonSerializer.Serialize(new Engine.MarketData("ETHUSDT", 1000, 1, 2, 0.5, 1.5, 10.25, 1.4, 1.6), Wire.WireJson.Options);
        Assert.Equal("""{"symbol":"ETHUSDT","timestamp":1000,"open":1,"high":2,"low":0.5,"close":1.5,"volume":10.25,"bid":1.4,"ask":1.6}""", json);
    }
}
