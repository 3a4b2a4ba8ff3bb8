using System.Net;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

/// <summary>A runner's trade list a page at a time, by time range, and in total (what the runner page's trade card and chart read).</summary>
public sealed class RunnerTradesApiTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync();
        await _server.UploadStrategyAsync("flipper", """
            function detect_opportunity(md, ctx, ind) return { seen = md.close } end
            function filter_commitment(md, ctx, ind) return { action = "enter_long", price = md.close, quantity = 1 } end
            function manage_position(md, ctx, ind) return { action = "exit", price = md.close, reason = "flip" } end
            """);
        await _server.CreateRunnerAsync("f", "ETHUSDT", "flipper");
        await Wait.Until(async () => (await _server.GetJsonAsync("/api/runners/f/trades")).GetArrayLength() >= 8, what: "eight trades");
        Assert.True((await _server.Http.PostAsync("/api/runners/f/stop", null)).IsSuccessStatusCode);
        await Task.Delay(300); // the journal writes the last close after the stop
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<long[]> Ids(string query) =>
        (await _server.GetJsonAsync($"/api/runners/f/trades?{query}")).EnumerateArray().Select(t => t.GetProperty("id").GetInt64()).ToArray();

    [Fact]
    public async Task Offset_pages_in_closing_order_and_limit_alone_keeps_the_newest()
    {
        var all = (await _server.GetJsonAsync("/api/runners/f/trades?limit=100000")).EnumerateArray().ToArray();
        var ids = all.Select(t => t.GetProperty("id").GetInt64()).ToArray();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids[2..5], await Ids("offset=2&limit=3"));
        Assert.Equal(ids[..2], await Ids("offset=0&limit=2"));
        Assert.Empty(await Ids($"offset={ids.Length}&limit=10"));
        Assert.Equal(ids[^2..], await Ids("limit=2"));

        // Trades open at some time in [from, to]: here the 4th's entry to the 5th's exit holds exactly those two and any between.
        var (from, to) = (all[3].GetProperty("entry_timestamp").GetInt64(), all[4].GetProperty("exit_timestamp").GetInt64());
        var expected = all.Where(t => t.GetProperty("exit_timestamp").GetInt64() >= from && t.GetProperty("entry_timestamp").GetInt64() <= to)
            .Select(t => t.GetProperty("id").GetInt64()).ToArray();
        Assert.Contains(ids[3], expected);
        Assert.Contains(ids[4], expected);
        Assert.Equal(expected, await Ids($"from={from}&to={to}"));
        Assert.Equal(expected[..1], await Ids($"from={from}&to={to}&offset=0&limit=1"));
    }

    [Fact]
    public async Task Totals_sum_every_trade()
    {
        var all = (await _server.GetJsonAsync("/api/runners/f/trades?limit=100000")).EnumerateArray().ToArray();
        var totals = await _server.GetJsonAsync("/api/runners/f/trades/totals");
        var pnl = all.Select(t => t.GetProperty("realized_pnl").GetDouble()).ToArray();
        Assert.Equal(all.Length, totals.GetProperty("trades").GetInt64());
        Assert.Equal(pnl.Count(p => p > 0), totals.GetProperty("wins").GetInt64());
        Assert.Equal(100.0 * pnl.Count(p => p > 0) / pnl.Length, totals.GetProperty("win_rate_pct").GetDouble(), 9);
        Assert.Equal(pnl.Sum(), totals.GetProperty("net_pnl").GetDouble(), 6);
        Assert.Equal(all.Sum(t => t.GetProperty("fees").GetDouble()), totals.GetProperty("fees").GetDouble(), 6);
        Assert.Equal(all[0].GetProperty("entry_timestamp").GetInt64(), totals.GetProperty("first_entry_timestamp").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/api/runners/ghost/trades/totals")).StatusCode);
    }

    [Theory]
    [InlineData("offset=-1", "offset")]
    [InlineData("offset=x", "offset")]
    [InlineData("from=abc", "from")]
    [InlineData("to=-5", "to")]
    [InlineData("from=10&to=5", "from")]
    public async Task Bad_parameters_are_400_naming_the_parameter(string query, string parameter)
    {
        var response = await _server.Http.GetAsync($"/api/runners/f/trades?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
        Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty(parameter, out _), body);
    }
}
