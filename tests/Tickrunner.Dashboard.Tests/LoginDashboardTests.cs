using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tickrunner.Server.Security;

namespace Tickrunner.Dashboard.Tests;

/// <summary>The dashboard behind keys: the login page, a session that steers runners (with its CSRF token), logout, the audit page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class LoginDashboardTests(BrowserFixture fixture) : IAsyncLifetime
{
    private RunningServer _server = null!;
    private IBrowserContext _context = null!;
    private IPage _page = null!;
    private string _admin = "", _trader = "";
    private readonly List<string> _pageErrors = [];

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(new() { ["Tickrunner:Feed:TickIntervalMs"] = "100" });
        var access = _server.Services.GetRequiredService<AccessControl>();
        _admin = access.CreateKey("owner", ApiScope.Admin).Secret;
        _trader = access.CreateKey("desk", ApiScope.Trade).Secret;
        _server.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _admin);
        await _server.CreateRunnerAsync("guarded", "BTCUSDT");
        _context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        _page = await _context.NewPageAsync();
        _page.PageError += (_, error) => _pageErrors.Add(error);
        _page.SetDefaultTimeout(20_000);
    }

    public async Task DisposeAsync()
    {
        await _context.CloseAsync();
        await _server.DisposeAsync();
    }

    private Task Screenshot(string name) =>
        _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, name + ".png"), FullPage = true });

    private async Task LogIn(string key)
    {
        await _page.FillAsync("#login-key", key);
        await _page.ClickAsync("button:text-is('Log in')");
    }

    [Fact]
    public async Task A_key_logs_in_the_session_steers_a_runner_and_logout_brings_the_login_back()
    {
        await _page.GotoAsync(_server.BaseAddress + "#/");
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Log in to Tickrunner");
        Assert.Equal(0, await _page.Locator("[data-runner]").CountAsync());
        await Screenshot("login");

        await _page.SetViewportSizeAsync(390, 844);
        Assert.True(await _page.EvaluateAsync<int>("() => document.documentElement.scrollWidth") <= 391, "the login fits a phone");
        await _page.SetViewportSizeAsync(1400, 900);

        await LogIn("trk_not_a_key");
        await Assertions.Expect(_page.Locator("#login-error")).ToContainTextAsync("not valid");

        await LogIn(_trader);
        var row = _page.Locator("[data-runner=guarded]");
        await Assertions.Expect(row).ToBeVisibleAsync();
        await Assertions.Expect(_page.Locator("#who")).ToHaveTextAsync("desk · trade");
        await Assertions.Expect(_page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live"); // the cookie opened /ws
        // The session cookie is HttpOnly: the page's script cannot read it.
        Assert.Equal("", await _page.EvaluateAsync<string>("() => document.cookie"));
        var cookie = (await _context.CookiesAsync()).Single(c => c.Name == AccessAuthenticationHandler.SessionCookie);
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);

        // A change made from the page carries the CSRF token, so it is accepted.
        await row.Locator("button:text-is('Pause')").ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("paused");
        Assert.Equal("paused", (await _server.GetJsonAsync("/api/runners/guarded")).GetProperty("status").GetString());
        // A trade key sees no audit link.
        await Assertions.Expect(_page.Locator("[data-nav=audit]")).ToBeHiddenAsync();

        await _page.ClickAsync("#logout");
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Log in to Tickrunner");
        Assert.DoesNotContain(await _context.CookiesAsync(), c => c.Name == AccessAuthenticationHandler.SessionCookie);
        Assert.Empty(_pageErrors);
    }

    [Fact]
    public async Task Revoking_the_key_sends_an_open_page_back_to_the_login()
    {
        await _page.GotoAsync(_server.BaseAddress + "#/");
        await LogIn(_trader);
        await Assertions.Expect(_page.Locator("[data-runner=guarded]")).ToBeVisibleAsync();
        _server.Services.GetRequiredService<AccessControl>().RevokeKey("desk");
        await _page.GotoAsync(_server.BaseAddress + "#/runners/guarded"); // the next request the page makes is refused
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Log in to Tickrunner");
        await Assertions.Expect(_page.Locator(".login")).ToContainTextAsync("Log in again");
    }

    [Fact]
    public async Task An_admin_reads_the_audit_log_of_what_was_changed()
    {
        await _page.GotoAsync(_server.BaseAddress + "#/");
        await LogIn(_admin);
        await Assertions.Expect(_page.Locator("[data-runner=guarded]")).ToBeVisibleAsync();
        await _page.Locator("[data-runner=guarded] button:text-is('Pause')").ClickAsync();
        await Assertions.Expect(_page.Locator("[data-runner=guarded]")).ToContainTextAsync("paused");
        await _page.ClickAsync("[data-nav=audit]");
        var rows = _page.Locator("table.audit tbody tr");
        await Assertions.Expect(rows.First).ToContainTextAsync("POST /api/runners/{id}/pause");
        await Assertions.Expect(rows.First).ToContainTextAsync("owner");
        await Assertions.Expect(rows.First).ToContainTextAsync("guarded");
        await Assertions.Expect(_page.Locator("table.audit")).ToContainTextAsync("POST /api/auth/login");
        await Assertions.Expect(_page.Locator("table.audit")).ToContainTextAsync("POST /api/runners"); // the runner made with the key
        await Screenshot("audit");
        Assert.Empty(_pageErrors);
    }
}
