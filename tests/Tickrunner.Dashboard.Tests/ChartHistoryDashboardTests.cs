using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using Tickrunner.Server.Candles;
using Tickrunner.Server.Storage;

namespace Tickrunner.Dashboard.Tests;

/// <summary>The runner page's chart beyond the runner's window: stored candles, timeframes, paging back, every trade's markers, the trade list.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ChartHistoryDashboardTests(BrowserFixture fixture) : IAsyncLifetime
{
    private const string Flipper = """
        function detect_opportunity(md, ctx, ind) return { seen = md.close } end
        function filter_commitment(md, ctx, ind) return { action = "enter_long", price = md.close, quantity = 1 } end
        function manage_position(md, ctx, ind) return { action = "exit", price = md.close, reason = "flip" } end
        """;

    private readonly TempDirectory _data = new("tickrunner-chart-history-");
    private RunningServer _server = null!;
    private IBrowserContext _context = null!;
    private IPage _page = null!;
    private readonly List<string> _consoleErrors = [];

    public async Task InitializeAsync()
    {
        _context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        _page = await _context.NewPageAsync();
        _page.Console += (_, message) => { if (message.Type == "error") _consoleErrors.Add(message.Text); };
        _page.PageError += (_, error) => _consoleErrors.Add(error);
        _page.SetDefaultTimeout(20_000);
    }

    public async Task DisposeAsync()
    {
        await _context.CloseAsync();
        if (_server is not null) await _server.DisposeAsync();
        _data.Dispose();
    }

    private Task StartAsync() => StartAsync(new Dictionary<string, string?>());

    private async Task StartAsync(Dictionary<string, string?> settings)
    {
        settings["Tickrunner:Feed:TickIntervalMs"] = "100";
        _server = await RunningServer.StartAsync(settings, _data.Path);
    }

    private Task Open(string hash) => _page.GotoAsync(_server.BaseAddress + hash);

    private Task<string> Chart(string attribute) =>
        _page.EvaluateAsync<string>($"() => document.querySelector('[data-testid=chart]')?.dataset.{attribute} ?? ''");

    private async Task<long> ChartNumber(string attribute) => long.Parse(await Chart(attribute), CultureInfo.InvariantCulture);

    [Fact]
    public async Task After_a_reload_every_trade_older_than_the_runners_window_has_its_marker_and_the_trade_list_pages_and_exports()
    {
        await StartAsync();
        await _server.UploadStrategyAsync("flipper", Flipper);
        // A window of 10 bars is one second of this feed: within seconds most trades are older than anything the runner holds.
        Assert.True((await _server.PostJsonAsync("/api/runners", """{"runner_id": "f", "symbol": "ETHUSDT", "strategy_name": "flipper", "window_size": 10}""")).IsSuccessStatusCode);
        await Wait.Until(async () => (await _server.GetJsonAsync("/api/runners/f/trades/totals")).GetProperty("trades").GetInt64() >= 60,
            timeoutMs: 60_000, what: "60 trades");
        Assert.True((await _server.Http.PostAsync("/api/runners/f/stop", null)).IsSuccessStatusCode); // a list that holds still
        await Task.Delay(500);
        var trades = (await _server.GetJsonAsync("/api/runners/f/trades?limit=100000")).EnumerateArray().ToArray();
        var windowStart = (await _server.GetJsonAsync("/api/runners/f/history?count=10"))[0].GetProperty("timestamp").GetInt64();
        var oldest = trades[0].GetProperty("entry_timestamp").GetInt64();
        var open = (await _server.GetJsonAsync("/api/runners/f")).GetProperty("position").ValueKind == JsonValueKind.Object ? 1 : 0;
        Assert.True(oldest < windowStart - 3_000, "the first trade is well before the runner's window");

        await Open("#/runners/f");
        await _page.ReloadAsync(); // what a person does: the page is rebuilt from the server alone
        await _page.WaitForFunctionAsync($"() => Number(document.querySelector('[data-testid=chart]')?.dataset.markers || 0) >= {2 * trades.Length}");
        Assert.Equal(2 * trades.Length + open, await ChartNumber("markers")); // an entry and an exit per trade (and the open entry), none twice
        Assert.Equal(oldest / 1000 * 1000, await ChartNumber("firstMarker"));
        Assert.True(await ChartNumber("firstTime") <= oldest);

        // The trade list: totals of every trade, opened on the newest page, paging, and a CSV of all of them.
        var totals = await _server.GetJsonAsync("/api/runners/f/trades/totals");
        var list = _page.Locator("[data-testid=trade-list]");
        await Assertions.Expect(list.Locator("[data-testid=trade-totals]")).ToContainTextAsync($"{trades.Length} trades · net P&L");
        await Assertions.Expect(list.Locator("[data-testid=trade-totals]"))
            .ToContainTextAsync($"fees {totals.GetProperty("fees").GetDouble().ToString("N2", CultureInfo.InvariantCulture)}");
        var pages = (trades.Length + 49) / 50;
        await Assertions.Expect(list.Locator("[data-testid=trade-page]")).ToHaveTextAsync($"page {pages} of {pages}");
        await Assertions.Expect(list.Locator("tbody tr")).ToHaveCountAsync(trades.Length - (pages - 1) * 50);
        await list.Locator("text=« Previous").ClickAsync();
        await Assertions.Expect(list.Locator("[data-testid=trade-page]")).ToHaveTextAsync($"page {pages - 1} of {pages}");
        await Assertions.Expect(list.Locator("tbody tr")).ToHaveCountAsync(50);
        await Assertions.Expect(list.Locator("tbody tr").First).ToHaveAttributeAsync("data-index", ((pages - 2) * 50).ToString(CultureInfo.InvariantCulture));
        var download = await _page.RunAndWaitForDownloadAsync(() => list.Locator("[data-testid=export-csv]").ClickAsync());
        Assert.Equal("f-trades.csv", download.SuggestedFilename);
        var lines = await File.ReadAllLinesAsync((await download.PathAsync())!);
        Assert.Equal(trades.Length + 1, lines.Length);
        Assert.StartsWith("side,entry_time,entry_timestamp,entry_price", lines[0]);
        Assert.Equal(trades[0].GetProperty("realized_pnl").GetDouble(), double.Parse(lines[1].Split(',')[9], CultureInfo.InvariantCulture), 9);

        // Hovering a candle describes it (and its trades) above the chart instead of text stacked on the markers.
        var chart = _page.Locator("[data-testid=chart]");
        await chart.ScrollIntoViewIfNeededAsync(); // the list's buttons scrolled the page down
        var box = (await chart.BoundingBoxAsync())!;
        await chart.HoverAsync(new() { Position = new() { X = box.Width * 0.8f, Y = box.Height * 0.3f } }); // the newest candles are on the right
        await chart.HoverAsync(new() { Position = new() { X = box.Width * 0.85f, Y = box.Height * 0.35f } });
        await Assertions.Expect(_page.Locator("[data-testid=chart-legend]")).ToContainTextAsync(" O ");
        await _page.EvaluateAsync("() => window.scrollTo(0, 0)");
        Directory.CreateDirectory(BrowserFixture.ScreenshotDirectory);
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "runner-chart-history.png") });

        await _page.SetViewportSizeAsync(390, 844);
        Assert.False(await _page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1"),
            "no horizontal scrolling of the runner page with its trade list at 390 px");
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task Stored_candles_page_back_when_scrolled_to_the_left_edge_and_switch_timeframes()
    {
        // Forty minutes of stored one-second candles up to a second ago, as a server that ran before would have left them.
        var database = new TickrunnerDatabase(_data.Path);
        database.Migrate();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000 * 1000;
        var stored = Enumerable.Range(1, 2400).Select(i => ("BTCUSDT", new Candle(now - i * 1000L, 100 + i % 7, 101 + i % 7, 99 + i % 7, 100.5 + i % 7, 1))).Reverse().ToList();
        new CandleRepository(database).Save(stored, 172_800);
        await StartAsync();
        await _server.CreateRunnerAsync("b", "BTCUSDT");
        await Open("#/runners/b");

        await _page.WaitForFunctionAsync("() => Number(document.querySelector('[data-testid=chart]')?.dataset.candles || 0) >= 500");
        Assert.Equal("1s", await Chart("interval"));
        var first = await ChartNumber("firstTime");
        Assert.True(first >= stored[0].Item2.Time, "the first page is the newest candles");
        // The left edge: the chart asks for the 500 before its first candle.
        await _page.EvaluateAsync("() => document.querySelector('[data-testid=chart]').chartTest.scrollToStart()");
        await _page.WaitForFunctionAsync($"() => Number(document.querySelector('[data-testid=chart]')?.dataset.firstTime) < {first}");
        Assert.Equal(first - 500_000, await ChartNumber("firstTime"));
        Assert.True(await ChartNumber("candles") >= 1000);

        // One minute: the stored minutes, aligned to UTC minutes, as the API aggregates them.
        await _page.ClickAsync("[data-testid=timeframes] button[data-timeframe='1m']");
        await _page.WaitForFunctionAsync("() => document.querySelector('[data-testid=chart]')?.dataset.interval === '1m'");
        var minutes = await _server.GetJsonAsync("/api/symbols/BTCUSDT/candles?interval=1m&limit=500");
        await _page.WaitForFunctionAsync($"() => Number(document.querySelector('[data-testid=chart]')?.dataset.candles) >= {minutes.GetArrayLength()}");
        Assert.InRange(await ChartNumber("candles"), minutes.GetArrayLength(), minutes.GetArrayLength() + 1); // + a minute begun meanwhile
        Assert.Equal(minutes[0].GetProperty("time").GetInt64(), await ChartNumber("firstTime"));
        Assert.Equal(0, await ChartNumber("firstTime") % 60_000);
        Assert.Equal("true", await _page.GetAttributeAsync("[data-testid=timeframes] button[data-timeframe='1m']", "aria-pressed"));
        // Remembered for the next visit.
        await _page.ReloadAsync();
        await _page.WaitForFunctionAsync("() => document.querySelector('[data-testid=chart]')?.dataset.interval === '1m' && Number(document.querySelector('[data-testid=chart]').dataset.candles) > 30");
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task Stop_loss_and_take_profit_far_from_the_price_stay_inside_the_price_scale()
    {
        await StartAsync();
        await _server.UploadStrategyAsync("holder", """
            function detect_opportunity(md, ctx, ind) return { go = true } end
            function filter_commitment(md, ctx, ind)
              return { action = "enter_long", price = md.close, quantity = 1, stop_loss = md.close * 0.8, take_profit = md.close * 1.3 }
            end
            function manage_position(md, ctx, ind) return nil end
            """);
        await _server.CreateRunnerAsync("hold", "BNBUSDT", "holder");
        await Wait.Until(async () => (await _server.GetJsonAsync("/api/runners/hold")).GetProperty("position").ValueKind == JsonValueKind.Object, what: "a position");
        var position = (await _server.GetJsonAsync("/api/runners/hold")).GetProperty("position");
        var (stop, target) = (position.GetProperty("stop_loss").GetDouble(), position.GetProperty("take_profit").GetDouble());
        await Open("#/runners/hold");
        await _page.WaitForFunctionAsync("() => (document.querySelector('[data-testid=chart]')?.dataset.levels ?? '').includes(',')");
        await _page.WaitForFunctionAsync("() => Number(document.querySelector('[data-testid=chart]')?.dataset.candles || 0) >= 2");
        await _page.WaitForTimeoutAsync(300); // the scale follows on the next frame
        var range = await _page.EvaluateAsync<JsonElement>("() => document.querySelector('[data-testid=chart]').chartTest.priceRange()");
        Assert.True(range.GetProperty("from").GetDouble() <= stop, $"stop {stop} is above the scale's bottom {range}");
        Assert.True(range.GetProperty("to").GetDouble() >= target, $"target {target} is below the scale's top {range}");
        Assert.Empty(_consoleErrors);
    }
}
