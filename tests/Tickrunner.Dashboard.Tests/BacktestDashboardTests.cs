using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Tickrunner.Dashboard.Tests;

/// <summary>The Backtests pages in Chromium: upload a dataset, run, watch progress, read the report, compare, and go live.</summary>
[Collection(BrowserCollection.Name)]
public sealed class BacktestDashboardTests(BrowserFixture fixture) : IAsyncLifetime
{
    private const long Start = 1_704_067_200_000; // 2024-01-01 00:00 UTC
    private const long Hour = 3_600_000;

    private RunningServer _server = null!;
    private IBrowserContext _context = null!;
    private IPage _page = null!;
    private TempDirectory _files = null!;
    private readonly List<string> _consoleErrors = [];

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(new() { ["Tickrunner:Feed:TickIntervalMs"] = "100", ["Tickrunner:Backtests:ProgressIntervalMs"] = "20" });
        _files = new TempDirectory("tickrunner-dashboard-");
        _context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 }, AcceptDownloads = true });
        _page = await _context.NewPageAsync();
        _page.Console += (_, message) => { if (message.Type == "error") _consoleErrors.Add(message.Text); };
        _page.PageError += (_, error) => _consoleErrors.Add(error);
        _page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        _page.SetDefaultTimeout(20_000);
    }

    public async Task DisposeAsync()
    {
        await _context.CloseAsync();
        await _server.DisposeAsync();
        _files.Dispose();
    }

    private Task Open(string hash) => _page.GotoAsync(_server.BaseAddress + hash);

    // Without the last toast, which would cover part of the page.
    private async Task Screenshot(string name)
    {
        await _page.EvaluateAsync("() => { document.getElementById('toast').hidden = true; }");
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, name + ".png"), FullPage = true });
    }

    // About six months of hourly bars: several months for the heatmap, more bars than the report draws at once.
    private static string HourlyCsv(int count = 4400) => BarCsv.RandomWalk(count, Start, Hour, volatility: 2.5);

    // Every job of these tests ends one way or another; the test then looks at which.
    private Task<JsonElement> WaitForEndAsync(string id) => _server.WaitForAsync(id, "done", "failed", "cancelled");

    // ema_crossover trades 0.1 a time: with 100 of capital at prices near 100, its P&L moves the account by whole percents.
    private async Task RunThroughTheForm(string dataset, string feeBps)
    {
        await _page.SelectOptionAsync("select[name=strategy_name]", "ema_crossover");
        await _page.SelectOptionAsync("select[name=dataset]", dataset);
        await _page.FillAsync("input[name=initial_capital]", "100");
        await _page.FillAsync("input[name=fee_bps]", feeBps);
        await _page.ClickAsync("text=Run backtest");
    }

    [Fact]
    public async Task Upload_run_watch_the_report_and_compare_two_runs()
    {
        var csv = Path.Combine(_files.Path, "test_1h.csv");
        await File.WriteAllTextAsync(csv, HourlyCsv());
        await Open("#/backtests");
        await Assertions.Expect(_page.Locator("nav a.active")).ToHaveTextAsync("Backtests");

        // Upload with progress, then the dataset is listed and offered in the form.
        await _page.SetInputFilesAsync("[data-testid=dataset-file]", csv);
        await _page.FillAsync("[data-testid=dataset-symbol]", "TESTUSDT");
        await _page.FillAsync("[data-testid=dataset-id]", "test-1h");
        await _page.ClickAsync("[data-testid=dataset-upload] button[type=submit]");
        await Assertions.Expect(_page.Locator("[data-testid=upload-result]")).ToContainTextAsync("Imported test-1h: 4,400 1h bars of TESTUSDT");
        await Assertions.Expect(_page.Locator("[data-testid=upload-progress] .label")).ToHaveTextAsync("done");
        await Assertions.Expect(_page.Locator("[data-dataset=test-1h]")).ToContainTextAsync("4,400");

        // Two runs that differ only in fees; each row ends done at 100 %.
        await RunThroughTheForm("test-1h", "10");
        await Assertions.Expect(_page.Locator("[data-backtest=bt-1] .badge")).ToHaveTextAsync("done");
        await RunThroughTheForm("test-1h", "0");
        await Assertions.Expect(_page.Locator("[data-backtest=bt-2] .badge")).ToHaveTextAsync("done");
        await Assertions.Expect(_page.Locator("[data-backtest=bt-1] [data-testid=progress] .label")).ToHaveTextAsync("100 %");
        var first = await _server.GetJsonAsync("/api/backtests/bt-1");
        var report = first.GetProperty("report");
        var trades = report.GetProperty("trades").GetInt32();
        Assert.True(trades > 50, $"ema_crossover made {trades} trades: the list needs more than a page");
        Assert.Equal(10, first.GetProperty("settings").GetProperty("account").GetProperty("fee_bps").GetDouble());
        Assert.Equal(100, first.GetProperty("settings").GetProperty("account").GetProperty("initial_capital").GetDouble());
        await Screenshot("backtests");

        // The report: metrics as the API has them, the equity chart with its drawdown pane, candles with markers, months, trades.
        await _page.ClickAsync("[data-backtest=bt-1] a");
        await Assertions.Expect(_page.Locator("[data-testid=status]")).ToHaveTextAsync("done");
        // The scalar metrics; risk_rejections is an object per limit (null here: this run has no limits).
        foreach (var metric in report.EnumerateObject().Where(p => p.Name is not "digest" and not "risk_rejections"))
        {
            var expected = metric.Value.ValueKind == JsonValueKind.Null ? "null" : metric.Value.GetDouble().ToString("R", CultureInfo.InvariantCulture);
            var shown = await _page.Locator($"[data-testid=metrics] [data-metric={metric.Name}]").GetAttributeAsync("data-value");
            Assert.True(shown is not null, $"{metric.Name} is on the page");
            Assert.Equal(double.Parse(expected == "null" ? "NaN" : expected, CultureInfo.InvariantCulture),
                double.Parse(shown == "null" ? "NaN" : shown, CultureInfo.InvariantCulture));
        }
        await Assertions.Expect(_page.Locator("[data-testid=equity-chart] canvas").First).ToBeVisibleAsync();
        await _page.WaitForFunctionAsync("() => Number(document.querySelector('[data-testid=equity-chart]')?.dataset.points) > 100");
        var deepest = double.Parse((await _page.Locator("[data-testid=equity-chart]").GetAttributeAsync("data-deepest"))!, CultureInfo.InvariantCulture);
        Assert.Equal(-report.GetProperty("max_drawdown_pct").GetDouble(), deepest, 3); // the thinned curve keeps the deepest point
        await _page.WaitForFunctionAsync("() => Number(document.querySelector('[data-testid=trades-chart]')?.dataset.markers) >= 2");
        await Assertions.Expect(_page.Locator("[data-testid=trade-caption]")).ToContainTextAsync($"trade 1 of {trades}");
        var months = await _server.GetJsonAsync("/api/backtests/bt-1/monthly");
        Assert.True(months.GetArrayLength() >= 6);
        await Assertions.Expect(_page.Locator("[data-testid=monthly] td[data-month]")).ToHaveCountAsync(months.GetArrayLength());
        var january = months[0].GetProperty("return_pct").GetDouble();
        await Assertions.Expect(_page.Locator("[data-testid=monthly] td[data-month='2024-01']")).ToHaveTextAsync(january.ToString("N2", CultureInfo.InvariantCulture));
        await Assertions.Expect(_page.Locator("[data-testid=trade-list] tbody tr")).ToHaveCountAsync(50);
        await Assertions.Expect(_page.Locator("[data-testid=trade-page]")).ToHaveTextAsync($"page 1 of {(trades + 49) / 50}");
        await Screenshot("backtest-report");

        // A trade row puts that trade on the chart; the next page comes from the server.
        await _page.ClickAsync("[data-testid=trade-list] tr[data-index='2']");
        await Assertions.Expect(_page.Locator("[data-testid=trade-caption]")).ToContainTextAsync($"trade 3 of {trades}");
        await Assertions.Expect(_page.Locator("[data-testid=trade-list] tr.selected")).ToHaveAttributeAsync("data-index", "2");
        await _page.ClickAsync("[data-testid=trade-list] >> text=Next »");
        await Assertions.Expect(_page.Locator("[data-testid=trade-list] tbody tr").First).ToHaveAttributeAsync("data-index", "50");

        // CSV export: a header and one line per trade, the P&L as the API gives it.
        var download = await _page.RunAndWaitForDownloadAsync(() => _page.ClickAsync("[data-testid=export-csv]"));
        Assert.Equal("bt-1-trades.csv", download.SuggestedFilename);
        var lines = (await File.ReadAllLinesAsync((await download.PathAsync())!)).ToList();
        Assert.Equal(trades + 1, lines.Count);
        Assert.StartsWith("side,entry_time,entry_timestamp,entry_price", lines[0]);
        var apiTrades = await _server.GetJsonAsync("/api/backtests/bt-1/trades?limit=1");
        Assert.Equal(apiTrades[0].GetProperty("pnl").GetDouble(), double.Parse(lines[1].Split(',')[9], CultureInfo.InvariantCulture));

        // Compare: tick both runs in the history.
        await Open("#/backtests");
        await _page.CheckAsync("[data-backtest=bt-1] input[type=checkbox]");
        await _page.CheckAsync("[data-backtest=bt-2] input[type=checkbox]");
        await _page.ClickAsync("[data-testid=compare]");
        await Assertions.Expect(_page.Locator("[data-testid=compare-metrics]")).ToBeVisibleAsync();
        Assert.Matches(@"#/backtests/compare\?ids=bt-[12],bt-[12]$", _page.Url);
        await _page.WaitForFunctionAsync("() => document.querySelector('[data-testid=compare-chart]')?.dataset.series === '2'");
        var fees = _page.Locator("[data-testid=compare-settings] tr", new() { HasText = "Fee (bps)" });
        await Assertions.Expect(fees).ToHaveClassAsync(new Regex("differs"));
        await Assertions.Expect(_page.Locator("[data-testid=compare-settings] tr", new() { HasText = "Window size" })).Not.ToHaveClassAsync(new Regex("differs"));
        // Without fees the same trades make more: the fee-free run has the best total return and pays no fees.
        var second = (await _server.GetJsonAsync("/api/backtests/bt-2")).GetProperty("report");
        Assert.True(second.GetProperty("total_return_pct").GetDouble() > report.GetProperty("total_return_pct").GetDouble());
        var best = _page.Locator("[data-testid=compare-metrics] tr[data-metric=total_return_pct] td.best");
        await Assertions.Expect(best).ToHaveCountAsync(1);
        Assert.Equal(second.GetProperty("total_return_pct").GetDouble(), double.Parse((await best.GetAttributeAsync("data-value"))!, CultureInfo.InvariantCulture));
        await Assertions.Expect(_page.Locator("[data-testid=compare-metrics] tr[data-metric=trades] td.best")).ToHaveCountAsync(0);
        await Screenshot("backtest-compare");
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task A_long_job_shows_live_progress_and_cancels_from_its_page()
    {
        await _server.UploadOkAsync(HourlyCsv(20_000), "slow-1h");
        await _server.UploadStrategyAsync("slow", """
            function detect_opportunity(md, ctx)
              local s = 0
              for i = 1, 60000 do s = s + i end
              return nil
            end
            function filter_commitment() return nil end
            function manage_position() return nil end
            """);
        var id = await _server.SubmitAsync(new { strategy_name = "slow", dataset = "slow-1h" });
        await Open($"#/backtests/{id}");
        var label = _page.Locator("[data-testid=progress] .label");
        // A BacktestProgress event, not the first read. The job's worker runs at the lowest priority, so on a busy
        // machine the first event (after the first few thousand bars) can take several seconds.
        await Assertions.Expect(label).ToContainTextAsync("bars/s", new() { Timeout = 30_000 });
        await Assertions.Expect(_page.Locator("[data-testid=status]")).ToHaveTextAsync("running");
        await _page.ClickAsync("text=Cancel");
        await Assertions.Expect(_page.Locator("[data-testid=status]")).ToHaveTextAsync("cancelled");
        await Assertions.Expect(_page.Locator(".backtest-body")).ToContainTextAsync("Cancelled after");
        Assert.Equal("cancelled", (await WaitForEndAsync(id)).GetProperty("status").GetString());
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task A_bad_csv_is_refused_with_its_line_and_a_failed_run_shows_its_lua_line()
    {
        var bad = Path.Combine(_files.Path, "bad.csv");
        await File.WriteAllTextAsync(bad, "timestamp,open,high,low,close,volume\n1704067200000,1,2,0.5,1.5,10\n1704070800000,1,2,0.5,abc,10\n");
        await Open("#/backtests");
        await _page.SetInputFilesAsync("[data-testid=dataset-file]", bad);
        await _page.ClickAsync("[data-testid=dataset-upload] button[type=submit]");
        await Assertions.Expect(_page.Locator("[data-testid=upload-result]")).ToContainTextAsync("bad.csv:3, column 5 (close): 'abc' is not a number");
        await Assertions.Expect(_page.Locator("[data-testid=upload-result]")).ToHaveClassAsync(new Regex("error"));

        await _server.UploadOkAsync(HourlyCsv(200), "fail-1h");
        await _server.UploadStrategyAsync("breaks", """
            function detect_opportunity(md)
              if md.timestamp > 1704100000000 then
                local x = nil
                return x.field
              end
            end
            function filter_commitment() end
            function manage_position() end
            """);
        var id = await _server.SubmitAsync(new { strategy_name = "breaks", dataset = "fail-1h" });
        Assert.Equal("failed", (await WaitForEndAsync(id)).GetProperty("status").GetString());
        await Open($"#/backtests/{id}");
        await Assertions.Expect(_page.Locator("[data-testid=error]")).ToContainTextAsync("breaks.lua:4:");
        await Assertions.Expect(_page.Locator("[data-testid=status]")).ToHaveTextAsync("failed");
    }

    [Fact]
    public async Task Backtest_this_from_the_editor_and_run_live_from_a_report()
    {
        await _server.UploadOkAsync(HourlyCsv(500), "live-1h");
        await Open("#/strategies/ema_crossover");
        await Assertions.Expect(_page.Locator("[data-testid=strategy-name]")).ToHaveValueAsync("ema_crossover_copy");
        await _page.ClickAsync("[data-testid=backtest]");
        await _page.WaitForFunctionAsync("() => location.hash === '#/backtests?strategy=ema_crossover'");
        await Assertions.Expect(_page.Locator("select[name=strategy_name]")).ToHaveValueAsync("ema_crossover");

        // The form offers the strategy's declared parameters as typed inputs; a value set there reaches the job.
        await Assertions.Expect(_page.Locator("[data-testid=params] [data-param=fast]")).ToHaveAttributeAsync("placeholder", "10");
        await Assertions.Expect(_page.Locator("[data-testid=params] [data-param=fast]")).ToHaveAttributeAsync("max", "50");
        await _page.SelectOptionAsync("select[name=dataset]", "live-1h");
        await _page.FillAsync("[data-testid=params] [data-param=fast]", "1");
        await _page.ClickAsync("text=Run backtest");
        await Assertions.Expect(_page.Locator(".field[data-field='params.fast'] .error")).ToContainTextAsync("between 2 and 50");
        await _page.FillAsync("[data-testid=params] [data-param=fast]", "8");
        await _page.ClickAsync("text=Run backtest");
        await Assertions.Expect(_page.Locator("[data-backtest=bt-1]")).ToBeVisibleAsync();
        Assert.Equal(8, (await _server.GetJsonAsync("/api/backtests/bt-1")).GetProperty("settings").GetProperty("params").GetProperty("fast").GetDouble());

        var id = await _server.SubmitAsync(new
        {
            strategy_name = "ema_crossover", dataset = "live-1h", window_size = 60, initial_capital = 25000, fee_bps = 7, slippage_bps = 3,
            fill = "next_open", stops = "intrabar", @params = new { slow = 30 },
        });
        await WaitForEndAsync(id);
        await Open($"#/backtests/{id}");
        await _page.FillAsync("[data-testid=live-runner-id]", "from_report");
        await _page.SelectOptionAsync("[data-testid=live-symbol]", "ETHUSDT");
        await _page.ClickAsync("text=Run live with these settings");
        await _page.WaitForFunctionAsync("() => location.hash === '#/runners/from_report'");
        var runner = await _server.GetJsonAsync("/api/runners/from_report");
        Assert.Equal("ema_crossover", runner.GetProperty("strategy_name").GetString());
        Assert.Equal("ETHUSDT", runner.GetProperty("symbol").GetString());
        Assert.Equal(60, runner.GetProperty("window_size").GetInt32());
        var account = runner.GetProperty("account");
        Assert.Equal(25000, account.GetProperty("initial_capital").GetDouble());
        Assert.Equal(7, account.GetProperty("fee_bps").GetDouble());
        Assert.Equal(3, account.GetProperty("slippage_bps").GetDouble());
        Assert.Equal("next_open", account.GetProperty("fill").GetString());
        Assert.Equal("intrabar", account.GetProperty("stops").GetString());
        Assert.Equal(30, runner.GetProperty("params").GetProperty("slow").GetInt32());
        Assert.Equal(10, runner.GetProperty("params").GetProperty("fast").GetInt32());
    }

    [Fact]
    public async Task Every_page_fits_a_phone_without_horizontal_scrolling()
    {
        await _server.CreateRunnerAsync("phone_btc", "BTCUSDT");
        await _server.UploadOkAsync(HourlyCsv(600), "phone-1h");
        var first = await _server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "phone-1h" });
        var second = await _server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "phone-1h", fee_bps = 0 });
        await WaitForEndAsync(first);
        await WaitForEndAsync(second);
        await _page.SetViewportSizeAsync(390, 844);
        var wide = new List<string>();
        foreach (var (hash, ready) in new[]
        {
            ("#/", "[data-runner=phone_btc]"), ("#/runners/phone_btc", "[data-testid=fsm]"), ("#/strategies/ema_crossover", ".cm-content"),
            ("#/backtests", $"[data-backtest={first}]"), ($"#/backtests/{first}", ".backtest-body[data-rendered=true]"),
            ($"#/backtests/compare?ids={first},{second}", "[data-testid=compare-metrics]"), ("#/audit", "table.audit tbody tr"),
        })
        {
            await Open(hash);
            await _page.Locator(ready).First.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
            var width = await _page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            if (width > 391) wide.Add($"{hash}: {width} px");
            await Screenshot("phone-" + hash.Trim('#', '/').Replace('/', '-').Replace('?', '-').Replace('=', '-').Replace(',', '-'));
        }
        Assert.True(wide.Count == 0, "pages wider than 390 px: " + string.Join("; ", wide));
    }

    [Fact]
    public async Task Times_follow_the_browsers_zone_or_utc_everywhere_with_one_toggle()
    {
        await _server.UploadOkAsync(HourlyCsv(600), "zone-1h");
        var id = await _server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "zone-1h" });
        await WaitForEndAsync(id);
        var trade = (await _server.GetJsonAsync($"/api/backtests/{id}/trades?limit=1"))[0];
        var entry = DateTimeOffset.FromUnixTimeMilliseconds(trade.GetProperty("entry_timestamp").GetInt64());
        static string Shown(DateTimeOffset t) => t.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

        // A trader in New York (UTC−5 in January): the dashboard's times are theirs by default.
        await using var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { TimezoneId = "America/New_York" });
        var page = await context.NewPageAsync();
        await page.GotoAsync(_server.BaseAddress + $"#/backtests/{id}");
        var cell = page.Locator("[data-testid=trade-list] tr[data-index='0'] td").Nth(3);
        await Assertions.Expect(cell).ToHaveTextAsync(Shown(entry.ToOffset(TimeSpan.FromHours(-5))));
        await Assertions.Expect(page.Locator("[data-testid=trade-list] thead")).ToContainTextAsync("Entry (local, UTC−05:00)");
        await Assertions.Expect(page.Locator("[data-testid=trade-caption]")).ToContainTextAsync(Shown(entry.ToOffset(TimeSpan.FromHours(-5))));
        await Assertions.Expect(page.Locator("#zone")).ToHaveTextAsync("Local time");

        // One toggle: every time on the page in UTC, and it stays so on the next page and after a reload.
        await page.ClickAsync("#zone");
        await Assertions.Expect(page.Locator("#zone")).ToHaveTextAsync("UTC");
        await Assertions.Expect(cell).ToHaveTextAsync(Shown(entry));
        await Assertions.Expect(page.Locator("[data-testid=trade-list] thead")).ToContainTextAsync("Entry (UTC)");
        await page.ReloadAsync();
        await Assertions.Expect(cell).ToHaveTextAsync(Shown(entry));
        await page.GotoAsync(_server.BaseAddress + "#/backtests");
        await Assertions.Expect(page.Locator(".field[data-field=from] span")).ToHaveTextAsync("From (UTC)");
    }

    [Fact]
    public async Task Compare_refuses_fewer_than_two_runs()
    {
        await Open("#/backtests/compare?ids=bt-1");
        await Assertions.Expect(_page.Locator("[data-testid=compare-error]")).ToContainTextAsync("2 to 5 backtests (got 1)");
        await Open("#/backtests/compare?ids=bt-1,bt-404");
        await Assertions.Expect(_page.Locator("[data-testid=compare-error]")).ToBeVisibleAsync();
    }
}
