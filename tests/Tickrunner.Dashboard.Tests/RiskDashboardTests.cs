using System.Text.Json;
using Microsoft.Playwright;

namespace Tickrunner.Dashboard.Tests;

/// <summary>
/// Risk in the dashboard, in Chromium against the real server: a runner's Risk card and its edit form, manual entry and exit
/// with their confirmations, the kill switch's banner on every page (also when another client halts or resumes), a backtest
/// report's refusals per limit, and all of it at phone width.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RiskDashboardTests(BrowserFixture fixture) : IAsyncLifetime
{
    private RunningServer _server = null!;
    private IBrowserContext _context = null!;
    private IPage _page = null!;
    private readonly List<string> _consoleErrors = [];

    // Enters 0.1 long whenever it may and holds.
    private const string Holder = """
        function detect_opportunity(md, ctx, ind) return { go = true } end
        function filter_commitment(md, ctx, ind) return { action = "enter_long", price = md.close, quantity = 0.1 } end
        function manage_position(md, ctx, ind) return nil end
        """;

    private const string Passive = TestStrategies.Passive;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(new() { ["Tickrunner:Feed:TickIntervalMs"] = "100" });
        _context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        _page = await _context.NewPageAsync();
        _page.Console += (_, message) => { if (message.Type == "error") _consoleErrors.Add(message.Text); };
        _page.PageError += (_, error) => _consoleErrors.Add(error);
        _page.SetDefaultTimeout(20_000);
    }

    public async Task DisposeAsync()
    {
        await _context.CloseAsync();
        await _server.DisposeAsync();
    }

    private Task Open(string hash) => _page.GotoAsync(_server.BaseAddress + hash);

    private Task Screenshot(string name) =>
        _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, name + ".png"), FullPage = true });

    private ILocator Dialog => _page.Locator("[data-testid=ask]");

    private async Task<string?> State(string id) => (await _server.GetJsonAsync($"/api/runners/{id}")).GetProperty("state").GetString();

    [Fact]
    public async Task The_risk_card_shows_the_limits_and_refusals_and_its_form_changes_them_live()
    {
        await _server.UploadStrategyAsync("holder", Holder);
        using (var created = await _server.PostJsonAsync("/api/runners",
            """{"runner_id":"r","symbol":"BTCUSDT","strategy_name":"holder","risk":{"max_quantity":0.05}}"""))
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        await Open("#/runners/r");
        var card = _page.Locator("[data-testid=risk-card]");
        await Assertions.Expect(card.Locator("[data-limit=max_quantity]")).ToContainTextAsync("0.05");
        await Assertions.Expect(card.Locator("[data-testid=risk-blocked]")).ToHaveTextAsync("no");
        await Assertions.Expect(card.Locator("[data-testid=risk-rejections]")).ToContainTextAsync("max_quantity");
        await Assertions.Expect(_page.Locator("[data-testid=event-log]")).ToContainTextAsync("RiskLimitHit");

        // A bad value: the server's problem shows under the form, nothing changes.
        await card.Locator("input[name=daily_loss_limit]").FillAsync("0");
        await card.Locator("[data-testid=risk-save]").ClickAsync();
        await Dialog.Locator("[data-testid=ask-confirm]").ClickAsync();
        await Assertions.Expect(card.Locator("[data-testid=risk-error]")).ToContainTextAsync("daily_loss_limit must be");

        // Cancelled: nothing is sent.
        await card.Locator("input[name=daily_loss_limit]").FillAsync("");
        await card.Locator("input[name=max_quantity]").FillAsync("1");
        await card.Locator("[data-testid=risk-save]").ClickAsync();
        await Dialog.Locator("[data-testid=ask-cancel]").ClickAsync();
        Assert.Equal(0.05, (await _server.GetJsonAsync("/api/runners/r")).GetProperty("risk").GetProperty("limits").GetProperty("max_quantity").GetDouble());

        await card.Locator("[data-testid=risk-save]").ClickAsync();
        await Dialog.Locator("[data-testid=ask-confirm]").ClickAsync();
        await Assertions.Expect(card.Locator("[data-limit=max_quantity]")).ToContainTextAsync("1");
        await Assertions.Expect(card.Locator("[data-testid=risk-error]")).ToBeEmptyAsync();
        Assert.Equal(1, (await _server.GetJsonAsync("/api/runners/r")).GetProperty("risk").GetProperty("limits").GetProperty("max_quantity").GetDouble());
        await Wait.Until(async () => await State("r") == "InPosition", what: "the entry the new limit allows");
        await Assertions.Expect(_page.Locator("[data-testid=manual-exit]")).ToBeVisibleAsync();
        await Screenshot("risk-card");
        // The refused PATCH is logged by the browser as a failed request; nothing else may be.
        Assert.DoesNotContain(_consoleErrors, e => !e.Contains("status of 400"));
    }

    [Fact]
    public async Task Manual_entry_and_exit_ask_first_and_go_through_the_runner()
    {
        await _server.UploadStrategyAsync("passive", Passive);
        await _server.CreateRunnerAsync("m", "ETHUSDT", "passive");
        await Open("#/runners/m");
        await Assertions.Expect(_page.Locator("[data-testid=risk-card]")).ToContainTextAsync("No limits of its own");

        await _page.ClickAsync("[data-testid=manual-long]");
        await Dialog.Locator("[data-testid=ask-cancel]").ClickAsync();
        await Assertions.Expect(Dialog).ToHaveCountAsync(0);
        await Task.Delay(500);
        Assert.Equal("Idle", await State("m"));

        await _page.ClickAsync("[data-testid=manual-long]");
        await Dialog.Locator("[data-testid=manual-quantity]").FillAsync("0.01");
        await Dialog.Locator("input[name=stop_loss]").FillAsync("1");
        await Dialog.Locator("[data-testid=ask-confirm]").ClickAsync();
        await Assertions.Expect(_page.Locator("#toast")).ToContainTextAsync("queued for the next bar");
        await Assertions.Expect(_page.Locator("[data-testid=position]")).ToContainTextAsync("Long");
        var position = (await _server.GetJsonAsync("/api/runners/m")).GetProperty("position");
        Assert.Equal((0.01, 1.0), (position.GetProperty("quantity").GetDouble(), position.GetProperty("stop_loss").GetDouble()));

        await _page.ClickAsync("[data-testid=manual-exit]");
        await Assertions.Expect(Dialog).ToContainTextAsync("Exit m's position now?");
        await Dialog.Locator("[data-testid=ask-confirm]").ClickAsync();
        // The trade list reads the journal again after a close (at most every 2 s).
        await Assertions.Expect(_page.Locator("[data-testid=trade-list]")).ToContainTextAsync("manual", new LocatorAssertionsToContainTextOptions { Timeout = 15_000 });
        await Assertions.Expect(_page.Locator("[data-testid=manual-long]")).ToBeVisibleAsync();

        // Paused, the buttons give way to a note.
        await _page.ClickAsync("text=Pause");
        await Assertions.Expect(_page.Locator("[data-testid=manual]")).ToContainTextAsync("need a running runner");
        await Screenshot("manual-entry");
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task The_halt_banner_is_on_every_page_follows_other_clients_and_Halt_and_Resume_ask_first()
    {
        await _server.UploadStrategyAsync("holder", Holder);
        await _server.CreateRunnerAsync("h", "BTCUSDT", "holder");
        await Wait.Until(async () => await State("h") == "InPosition", what: "h in position");
        await Open("#/");
        var banner = _page.Locator("#halt-banner");
        await Assertions.Expect(_page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live");
        await Assertions.Expect(banner).ToBeHiddenAsync();

        await _page.ClickAsync("#halt");
        await Assertions.Expect(Dialog).ToContainTextAsync("Halt the engine?");
        await Dialog.Locator("[data-testid=halt-flatten]").CheckAsync();
        await Dialog.Locator("[data-testid=ask-confirm]").ClickAsync();
        await Assertions.Expect(banner).ToBeVisibleAsync();
        await Assertions.Expect(banner).ToContainTextAsync("Engine halted since");
        await Assertions.Expect(_page.Locator("#halt")).ToBeHiddenAsync();
        var engine = await _server.GetJsonAsync("/api/engine");
        Assert.True(engine.GetProperty("halted").GetBoolean());
        Assert.True(engine.GetProperty("flatten").GetBoolean());
        await Wait.Until(async () => (await _server.GetJsonAsync("/api/runners/h/trades")).EnumerateArray().Any(t => t.GetProperty("reason").GetString() == "halt"),
            what: "the flatten");

        foreach (var hash in new[] { "#/runners/h", "#/strategies", "#/backtests", "#/optimizations", "#/audit" })
        {
            await Open(hash);
            await Assertions.Expect(banner).ToBeVisibleAsync();
        }

        // Another client resumes and halts again: the page follows the events.
        await Open("#/runners/h");
        await Assertions.Expect(_page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live");
        Assert.True((await _server.PostJsonAsync("/api/engine/resume", "")).IsSuccessStatusCode);
        await Assertions.Expect(banner).ToBeHiddenAsync();
        Assert.True((await _server.PostJsonAsync("/api/engine/halt", "{}")).IsSuccessStatusCode);
        await Assertions.Expect(banner).ToBeVisibleAsync();
        await Screenshot("halted-runner");

        await _page.SetViewportSizeAsync(390, 844);
        foreach (var hash in new[] { "#/", "#/runners/h" })
        {
            await Open(hash);
            await Assertions.Expect(banner).ToBeVisibleAsync();
            await _page.Locator("[data-testid=risk-card], [data-runner=h]").First.WaitForAsync();
            var width = await _page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            Assert.True(width <= 391, $"{hash} is {width} px wide at 390 px");
        }
        await Screenshot("phone-halted");

        await _page.ClickAsync("#resume");
        await Dialog.Locator("[data-testid=ask-confirm]").ClickAsync();
        await Assertions.Expect(banner).ToBeHiddenAsync();
        Assert.False((await _server.GetJsonAsync("/api/engine")).GetProperty("halted").GetBoolean());
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task A_backtest_report_counts_the_refusals_per_limit()
    {
        await _server.UploadOkAsync(BarCsv.RandomWalk(600, 1_704_067_200_000, 3_600_000, volatility: 2.5), "risk-1h");
        var id = await _server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "risk-1h", risk = new { max_quantity = 1e-9, max_entries_per_hour = 5 } });
        var done = await _server.WaitForAsync(id, "done", "failed", "cancelled");
        Assert.Equal("done", done.GetProperty("status").GetString());
        var counts = done.GetProperty("report").GetProperty("risk_rejections");
        Assert.True(counts.GetProperty("max_quantity").GetInt64() > 0, counts.ToString());
        await Open($"#/backtests/{id}");
        var table = _page.Locator("[data-testid=risk-rejections]");
        await Assertions.Expect(table.Locator("[data-limit=max_quantity]")).ToContainTextAsync(counts.GetProperty("max_quantity").GetInt64().ToString());
        await Assertions.Expect(table.Locator("[data-limit=max_entries_per_hour]")).ToContainTextAsync("0");

        var plain = await _server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "risk-1h" });
        await _server.WaitForAsync(plain, "done", "failed", "cancelled");
        await _page.GotoAsync("about:blank"); // a fresh page: this test is about the report, not about leaving one
        await Open($"#/backtests/{plain}");
        await _page.Locator(".backtest-body[data-rendered=true]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
        await Assertions.Expect(_page.Locator("[data-testid=risk-rejections]")).ToHaveCountAsync(0);
        Assert.Empty(_consoleErrors);
    }
}
