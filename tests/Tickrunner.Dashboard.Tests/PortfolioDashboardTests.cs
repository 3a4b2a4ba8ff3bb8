using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace Tickrunner.Dashboard.Tests;

/// <summary>The landing page's portfolio: the figures the API has, the curve across runners, and the table's new columns sorting on demand.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PortfolioDashboardTests(BrowserFixture fixture) : IAsyncLifetime
{
    private RunningServer _server = null!;
    private IBrowserContext _context = null!;
    private IPage _page = null!;
    private readonly List<string> _consoleErrors = [];

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(new()
        {
            ["Tickrunner:Feed:TickIntervalMs"] = "50",
            ["Tickrunner:Portfolio:SampleIntervalMs"] = "200",
        });
        _context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
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

    private static double Value(string? text) => double.Parse(text!, CultureInfo.InvariantCulture);

    [Fact]
    public async Task The_first_screen_shows_the_portfolio_its_curve_and_sortable_runner_figures()
    {
        await _server.UploadStrategyAsync("flipper", TestStrategies.Flipper);
        foreach (var (id, symbol) in new[] { ("pa", "BTCUSDT"), ("pb", "ETHUSDT"), ("pc", "SOLUSDT") })
            await _server.CreateRunnerAsync(id, symbol, "flipper");
        await Wait.Until(async () => (await _server.GetJsonAsync("/api/portfolio")).GetProperty("runners").EnumerateArray()
            .All(l => l.GetProperty("trades").GetInt64() >= 3), 30_000, "every runner closes three trades");

        await _page.GotoAsync(_server.BaseAddress.ToString());
        await Assertions.Expect(_page.Locator("[data-testid=portfolio]")).ToBeVisibleAsync();
        // The curve: the server's samples, then the page's own reads extend it.
        await _page.WaitForFunctionAsync("() => Number(document.querySelector('[data-testid=portfolio-chart]')?.dataset.points) >= 3");
        await Assertions.Expect(_page.Locator("[data-testid=portfolio-chart] canvas").First).ToBeVisibleAsync();
        // The chart is on the first screen, above the runners table.
        var chartBox = await _page.Locator("[data-testid=portfolio-chart]").BoundingBoxAsync();
        Assert.True(chartBox!.Y + chartBox.Height <= 900, $"the curve ends at {chartBox.Y + chartBox.Height} px, below the first screen");

        // Paused, the accounts stand still; the page's next read shows exactly what the API says.
        foreach (var id in new[] { "pa", "pb", "pc" }) await _server.Http.PostAsync($"/api/runners/{id}/pause", null);
        await Task.Delay(300); // a tick already on its way lands
        var portfolio = await _server.GetJsonAsync("/api/portfolio");
        var equity = portfolio.GetProperty("equity").GetDouble();
        await _page.WaitForFunctionAsync(
            "e => Math.abs(Number(document.querySelector('[data-testid=portfolio-equity]').dataset.value) - e) < 1e-6", equity,
            new PageWaitForFunctionOptions { Timeout = 15_000 });
        portfolio = await _server.GetJsonAsync("/api/portfolio");
        Assert.Equal(portfolio.GetProperty("pnl").GetDouble(), Value(await _page.Locator("[data-testid=portfolio-pnl]").GetAttributeAsync("data-value")), 6);
        Assert.Equal(portfolio.GetProperty("pnl_today").GetDouble(), Value(await _page.Locator("[data-testid=portfolio-today]").GetAttributeAsync("data-value")), 6);
        await Assertions.Expect(_page.Locator("[data-testid=portfolio-open]")).ToHaveTextAsync(portfolio.GetProperty("open_positions").GetInt32().ToString(CultureInfo.InvariantCulture));

        // Each row's new columns are the runner's line.
        var lines = portfolio.GetProperty("runners").EnumerateArray().ToDictionary(l => l.GetProperty("runner_id").GetString()!);
        foreach (var (id, line) in lines)
        {
            await Assertions.Expect(_page.Locator($"[data-runner={id}] [data-testid=trades]")).ToHaveTextAsync(line.GetProperty("trades").GetInt64().ToString(CultureInfo.InvariantCulture));
            await Assertions.Expect(_page.Locator($"[data-runner={id}] [data-testid=win-rate]"))
                .ToHaveTextAsync($"{(line.GetProperty("win_rate").GetDouble() * 100).ToString("0.0", CultureInfo.InvariantCulture)} %");
            await Assertions.Expect(_page.Locator($"[data-runner={id}] [data-testid=max-dd]"))
                .ToHaveTextAsync($"{line.GetProperty("max_drawdown_pct").GetDouble().ToString("0.00", CultureInfo.InvariantCulture)} %");
        }

        // Sorting: most trades first, then the reverse; the table says which column sorts it.
        string Expected(Func<JsonElement, double> by, bool descending)
        {
            var ordered = descending
                ? lines.Values.OrderByDescending(by).ThenBy(l => l.GetProperty("runner_id").GetString(), StringComparer.Ordinal)
                : lines.Values.OrderBy(by).ThenBy(l => l.GetProperty("runner_id").GetString(), StringComparer.Ordinal);
            return string.Join(",", ordered.Select(l => l.GetProperty("runner_id").GetString()));
        }
        var body = _page.Locator("[data-testid=runners-table] tbody");
        await _page.ClickAsync("[data-testid=runners-table] th[data-sort=trades] button");
        await Assertions.Expect(body).ToHaveAttributeAsync("data-order", Expected(l => l.GetProperty("trades").GetInt64(), descending: true));
        await Assertions.Expect(_page.Locator("th[data-sort=trades]")).ToHaveAttributeAsync("aria-sort", "descending");
        var rowIds = await _page.Locator("[data-testid=runners-table] tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.runner)");
        Assert.Equal(Expected(l => l.GetProperty("trades").GetInt64(), descending: true), string.Join(",", rowIds));
        await _page.ClickAsync("[data-testid=runners-table] th[data-sort=trades] button");
        await Assertions.Expect(body).ToHaveAttributeAsync("data-order", Expected(l => l.GetProperty("trades").GetInt64(), descending: false));
        await _page.ClickAsync("[data-testid=runners-table] th[data-sort=max_drawdown_pct] button");
        await Assertions.Expect(body).ToHaveAttributeAsync("data-order", Expected(l => l.GetProperty("max_drawdown_pct").GetDouble(), descending: true));

        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "portfolio.png") });
        Assert.Empty(_consoleErrors);
    }
}
