using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

/// <summary>A runner's paper account over HTTP: settings in the create body, the account in the snapshot, kept across a restart.</summary>
public sealed class AccountApiTests : IDisposable
{
    private readonly TempDirectory _data = new("tickrunner-account-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Account_settings_from_the_create_body_show_in_the_snapshot()
    {
        await using var server = await RunningServer.StartAsync(dataDirectory: _data);
        var created = await server.PostJsonAsync("/api/runners", """
            {"runner_id": "acct", "symbol": "ETHUSDT", "strategy_name": "ema_crossover",
             "initial_capital": 50000, "fee_bps": 5, "slippage_bps": 2, "fill": "next_open", "stops": "intrabar"}
            """);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var account = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("account");
        Assert.Equal(50000, account.GetProperty("initial_capital").GetDouble());
        Assert.Equal(5, account.GetProperty("fee_bps").GetDouble());
        Assert.Equal(2, account.GetProperty("slippage_bps").GetDouble());
        Assert.Equal("next_open", account.GetProperty("fill").GetString());
        Assert.Equal("intrabar", account.GetProperty("stops").GetString());
        Assert.Equal(50000, account.GetProperty("equity").GetDouble());
        Assert.Equal(50000, account.GetProperty("cash").GetDouble());
        Assert.Equal(0, account.GetProperty("realized_pnl").GetDouble());
        Assert.Equal(0, account.GetProperty("fees_paid").GetDouble());

        var defaults = (await server.GetJsonAsync("/api/runners")).EnumerateArray().Single().GetProperty("account");
        Assert.Equal("next_open", defaults.GetProperty("fill").GetString());

        await server.CreateRunnerAsync("plain", "BTCUSDT", "ema_crossover");
        var plain = (await server.GetJsonAsync("/api/runners/plain")).GetProperty("account");
        Assert.Equal((10000.0, 10.0, 0.0, "close", "close"), (plain.GetProperty("initial_capital").GetDouble(), plain.GetProperty("fee_bps").GetDouble(),
            plain.GetProperty("slippage_bps").GetDouble(), plain.GetProperty("fill").GetString(), plain.GetProperty("stops").GetString()));
    }

    [Theory]
    [InlineData("\"fee_bps\": -1", "fee_bps")]
    [InlineData("\"initial_capital\": 0", "initial_capital")]
    [InlineData("\"slippage_bps\": 20000", "slippage_bps")]
    [InlineData("\"fill\": \"sometimes\"", "fill")]
    [InlineData("\"stops\": 3", "stops")]
    public async Task Bad_account_settings_are_400_naming_the_field_and_nothing_is_stored(string field, string name)
    {
        await using var server = await RunningServer.StartAsync(dataDirectory: _data);
        var response = await server.PostJsonAsync("/api/runners",
            $$"""{"runner_id": "bad", "symbol": "BTCUSDT", "strategy_name": "ema_crossover", {{field}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(name, problem.GetRawText());
        Assert.Equal(0, (await server.GetJsonAsync("/api/runners")).GetArrayLength());
    }

    [Fact]
    public async Task The_accounts_realized_pnl_and_fees_survive_a_restart()
    {
        double realized, fees;
        await using (var server = await RunningServer.StartAsync(dataDirectory: _data))
        {
            await server.UploadStrategyAsync("flipper", PersistenceTests.Flipper);
            await server.PostJsonAsync("/api/runners", """{"runner_id": "f", "symbol": "BTCUSDT", "strategy_name": "flipper", "fee_bps": 25}""");
            await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/f/trades")).GetArrayLength() >= 3, what: "trades");
            await server.Http.PostAsync("/api/runners/f/stop", null);
            var account = (await server.GetJsonAsync("/api/runners/f")).GetProperty("account");
            realized = account.GetProperty("realized_pnl").GetDouble();
            fees = account.GetProperty("fees_paid").GetDouble();
            Assert.True(fees > 0);
            // The snapshot's totals are the journal's: the trades' net P&L (the journal writes them as they happen).
            var expected = realized;
            await Wait.Until(async () => Math.Abs((await server.GetJsonAsync("/api/runners/f/trades")).EnumerateArray()
                .Sum(t => t.GetProperty("realized_pnl").GetDouble()) - expected) < 1e-6, what: "the journal to hold every trade");
        }
        await using (var again = await RunningServer.StartAsync(dataDirectory: _data))
        {
            var account = (await again.GetJsonAsync("/api/runners/f")).GetProperty("account");
            Assert.Equal(realized, account.GetProperty("realized_pnl").GetDouble(), 6);
            Assert.Equal(fees, account.GetProperty("fees_paid").GetDouble(), 6);
            Assert.Equal(25, account.GetProperty("fee_bps").GetDouble());
        }
    }
}
