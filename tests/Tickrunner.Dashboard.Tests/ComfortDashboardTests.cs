using System.Net;
using Microsoft.AspNetCore.Hosting;
using System.Net.Sockets;
using Microsoft.Playwright;

namespace Tickrunner.Dashboard.Tests;

/// <summary>Comfort: the light theme and its toggle, headings and labels for assistive technology, loading skeletons, the offline look and "Retry now".</summary>
[Collection(BrowserCollection.Name)]
public sealed class ComfortDashboardTests(BrowserFixture fixture) : IAsyncLifetime
{
    private readonly TempDirectory _data = new("tickrunner-comfort-");
    private readonly int _port = FreePort();
    private RunningServer _server = null!;
    private IBrowserContext _context = null!;
    private IPage _page = null!;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // Every start of this test's server listens on the same port, so a page can reconnect to the next one.
    private Task<RunningServer> StartServer() => RunningServer.StartAsync(new() { ["Tickrunner:Feed:TickIntervalMs"] = "100" },
        dataDirectory: _data, configure: b => b.WebHost.UseUrls($"http://127.0.0.1:{_port}"));

    public async Task InitializeAsync()
    {
        _server = await StartServer();
        _context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            ColorScheme = ColorScheme.Light,
        });
        _page = await _context.NewPageAsync();
        _page.SetDefaultTimeout(20_000);
    }

    public async Task DisposeAsync()
    {
        await _context.CloseAsync();
        await _server.DisposeAsync();
        _data.Dispose();
    }

    private Task<string> Background() => _page.EvaluateAsync<string>("() => getComputedStyle(document.documentElement).backgroundColor");

    [Fact]
    public async Task The_system_light_preference_gives_the_light_theme_and_the_toggle_keeps_a_choice_across_reloads()
    {
        await _server.CreateRunnerAsync("sunny", "BTCUSDT");
        await _page.GotoAsync(_server.BaseAddress.ToString());
        await Assertions.Expect(_page.Locator("html")).ToHaveAttributeAsync("data-theme", "light");
        Assert.Equal("rgb(246, 248, 250)", await Background());
        await Assertions.Expect(_page.Locator("#theme")).ToHaveTextAsync("Theme: auto (light)");
        await Assertions.Expect(_page.Locator("[data-testid=runners-table]")).ToBeVisibleAsync();
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "light-theme.png") });

        await _page.ClickAsync("#theme"); // auto → light
        await Assertions.Expect(_page.Locator("#theme")).ToHaveTextAsync("Theme: light");
        await _page.ClickAsync("#theme"); // light → dark
        await Assertions.Expect(_page.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
        Assert.Equal("rgb(13, 17, 23)", await Background());

        await _page.ReloadAsync();
        await Assertions.Expect(_page.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
        Assert.Equal("rgb(13, 17, 23)", await Background());
        await _page.ClickAsync("#theme"); // dark → auto: the system's light again
        await Assertions.Expect(_page.Locator("html")).ToHaveAttributeAsync("data-theme", "light");
    }

    [Fact]
    public async Task Every_page_has_one_heading_scoped_table_headers_named_buttons_and_live_regions()
    {
        await _server.CreateRunnerAsync("a11y", "BTCUSDT");
        foreach (var hash in new[] { "#/", "#/runners/a11y", "#/strategies", "#/backtests", "#/optimizations", "#/audit" })
        {
            await _page.GotoAsync(_server.BaseAddress + hash);
            await _page.WaitForFunctionAsync("() => document.querySelector('#app .view') && !document.querySelector('[data-testid=skeleton]')");
            await _page.WaitForFunctionAsync("() => document.querySelectorAll('#app h1').length === 1");
            var unscoped = await _page.EvaluateAsync<int>("() => document.querySelectorAll('#app th:not([scope])').length");
            Assert.True(unscoped == 0, $"{hash}: {unscoped} table headers without a scope");
            var unnamed = await _page.EvaluateAsync<string[]>("""
                () => [...document.querySelectorAll('button')].filter(b => !b.hidden && b.offsetParent !== null)
                        .filter(b => !(b.getAttribute('aria-label') || b.textContent).trim()).map(b => b.outerHTML)
                """);
            Assert.True(unnamed.Length == 0, $"{hash}: buttons without a name: {string.Join(", ", unnamed)}");
        }
        await Assertions.Expect(_page.Locator("#toast")).ToHaveAttributeAsync("aria-live", "assertive");
        await Assertions.Expect(_page.Locator("#connection")).ToHaveAttributeAsync("aria-live", "polite");
    }

    [Fact]
    public async Task A_page_waiting_for_its_data_shows_a_skeleton_not_a_blank()
    {
        await _page.RouteAsync("**/api/runners", async route =>
        {
            await Task.Delay(1_500);
            await route.ContinueAsync();
        });
        await _page.GotoAsync(_server.BaseAddress.ToString());
        await Assertions.Expect(_page.Locator("[data-testid=skeleton]")).ToBeVisibleAsync();
        await Assertions.Expect(_page.Locator("[data-testid=runners-table]")).ToBeVisibleAsync();
        await Assertions.Expect(_page.Locator("[data-testid=skeleton]")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Offline_the_page_greys_its_stale_figures_and_Retry_now_reconnects_at_once()
    {
        await _server.CreateRunnerAsync("stale", "BTCUSDT");
        await _page.GotoAsync(_server.BaseAddress.ToString());
        await Assertions.Expect(_page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live");
        await Assertions.Expect(_page.Locator("#retry")).ToBeHiddenAsync();

        await _server.DisposeAsync();
        await Assertions.Expect(_page.Locator("#connection")).ToHaveAttributeAsync("data-state", "offline");
        await Assertions.Expect(_page.Locator("body")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\boffline\b"));
        await _page.WaitForFunctionAsync("() => Number(getComputedStyle(document.querySelector('main')).opacity) < 0.6"); // greyed, after its fade
        await Assertions.Expect(_page.Locator("#retry")).ToBeVisibleAsync();
        // Let the pause between tries grow to several seconds, so a reconnect within one second is the button's doing.
        await _page.WaitForFunctionAsync("() => /retrying in ([4-9]|1\\d)s/.test(document.querySelector('#connection .label').textContent)",
            null, new PageWaitForFunctionOptions { Timeout = 30_000 });

        _server = await StartServer();
        await _page.ClickAsync("#retry");
        await Assertions.Expect(_page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live", new LocatorAssertionsToHaveAttributeOptions { Timeout = 2_000 });
        await Assertions.Expect(_page.Locator("body")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\boffline\b"));
        await Assertions.Expect(_page.Locator("#retry")).ToBeHiddenAsync();
    }
}
