using System.Text.Json;
using Microsoft.Playwright;

namespace Tickrunner.Dashboard.Tests;

/// <summary>The runner page draws what the strategy plots: ema_crossover's two EMAs on the candles, rsi_mean_reversion's RSI in its pane.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PlotDashboardTests(BrowserFixture fixture) : IAsyncLifetime
{
    private readonly TempDirectory _data = new("tickrunner-plot-dashboard-");
    private RunningServer _server = null!;
    private readonly List<IBrowserContext> _contexts = [];
    private readonly List<string> _consoleErrors = [];

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Tickrunner:Feed:TickIntervalMs"] = "50" }, _data.Path);
        await _server.CreateRunnerAsync("ema", "BTCUSDT", "ema_crossover");
        await _server.CreateRunnerAsync("rsi", "ETHUSDT", "rsi_mean_reversion");
        foreach (var id in new[] { "ema", "rsi" })
            await Wait.Until(async () => (await _server.GetJsonAsync($"/api/runners/{id}/plots?interval=1s")).GetProperty("points").GetArrayLength() >= 3,
                timeoutMs: 30_000, what: $"{id}'s plots");
    }

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts) await context.CloseAsync();
        await _server.DisposeAsync();
        _data.Dispose();
    }

    private async Task<IPage> OpenAsync(string hash, int width, ColorScheme scheme)
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = 900 }, ColorScheme = scheme });
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        page.Console += (_, message) => { if (message.Type == "error") _consoleErrors.Add(message.Text); };
        page.PageError += (_, error) => _consoleErrors.Add(error);
        page.SetDefaultTimeout(20_000);
        await page.GotoAsync(_server.BaseAddress + hash);
        return page;
    }

    private static async Task<JsonElement> Plots(IPage page) =>
        JsonDocument.Parse(await page.EvaluateAsync<string>("() => JSON.stringify(document.querySelector('[data-testid=chart]').chartTest.plots())")).RootElement;

    [Fact]
    public async Task Ema_crossover_shows_its_two_EMAs_on_the_candles_from_history_and_live()
    {
        var page = await OpenAsync("#/runners/ema", 1400, ColorScheme.Dark);
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=chart]')?.dataset.plots === 'ema_fast:0,ema_slow:0'");
        // Loaded with the candles, then drawn on as Plot events come in.
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=chart]').chartTest.plots().every(p => p.points >= 3)");
        var first = await Plots(page);
        Assert.Equal(["ema_fast", "ema_slow"], first.EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.All(first.EnumerateArray(), p => Assert.Equal(0, p.GetProperty("pane").GetInt32()));
        Assert.Equal(["#f59e0b", "#38bdf8"], first.EnumerateArray().Select(p => p.GetProperty("color").GetString()));
        var before = first[0].GetProperty("points").GetInt32();
        await page.WaitForFunctionAsync($"() => document.querySelector('[data-testid=chart]').chartTest.plots()[0].points > {before}");
        Assert.Equal(2, await page.EvaluateAsync<int>("() => document.querySelector('[data-testid=chart]').chartTest.panes()")); // candles and volume only
        Assert.False(await page.EvaluateAsync<bool>("() => document.querySelector('[data-testid=chart]').classList.contains('with-panes')"));

        // Another timeframe loads the plots of it with its candles.
        await page.ClickAsync("[data-timeframe='1m']");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=chart]').dataset.interval === '1m'");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=chart]').chartTest.plots().every(p => p.points >= 1)");
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task Rsi_mean_reversion_shows_its_RSI_in_its_own_pane_with_its_levels_in_the_light_theme_at_390_px()
    {
        var page = await OpenAsync("#/runners/rsi", 390, ColorScheme.Light);
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "light");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=chart]')?.dataset.plots === 'rsi:2'");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=chart]').chartTest.plots()[0].points >= 3");
        var rsi = (await Plots(page))[0];
        Assert.Equal(2, rsi.GetProperty("pane").GetInt32()); // below the candles (0) and the volume (1)
        Assert.Equal([30.0, 40.0, 50.0], rsi.GetProperty("lines").EnumerateArray().Select(l => l.GetDouble()));
        Assert.Equal(3, await page.EvaluateAsync<int>("() => document.querySelector('[data-testid=chart]').chartTest.panes()"));
        Assert.True(await page.EvaluateAsync<bool>("() => document.querySelector('[data-testid=chart]').classList.contains('with-panes')"));
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 390"), "nothing wider than the phone");
        Directory.CreateDirectory(BrowserFixture.ScreenshotDirectory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "runner-plots-rsi-390.png") });
        Assert.Empty(_consoleErrors);
    }
}
