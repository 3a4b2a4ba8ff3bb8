using Microsoft.Playwright;

namespace Tickrunner.Dashboard.Tests;

/// <summary>
/// Every page of the dashboard under the server's Content-Security-Policy in Chromium: nothing is refused (no console
/// message about the Content Security Policy, no securitypolicyviolation event), and the styles the pages set still apply.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ContentSecurityPolicyTests(BrowserFixture fixture) : IAsyncLifetime
{
    private const long Start = 1_704_067_200_000; // 2024-01-01 00:00 UTC
    private const long Hour = 3_600_000;

    // Installed before any page script: every violation the page reports, as "directive blocked-uri".
    private const string ViolationRecorder = """
        window.__violations = [];
        document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
        """;

    private RunningServer _server = null!;
    private IBrowserContext _context = null!;
    private IPage _page = null!;
    private readonly List<string> _refusals = [];

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(new() { ["Tickrunner:Feed:TickIntervalMs"] = "100" });
        _context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        await _context.AddInitScriptAsync(ViolationRecorder);
        _page = await _context.NewPageAsync();
        // Chromium reports each refusal on the console: "Refused to …" in older versions, "Executing inline script violates the
        // following Content Security Policy directive …" in newer ones.
        _page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal) || message.Text.StartsWith("Refused to", StringComparison.Ordinal))
                _refusals.Add(message.Text);
        };
        _page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        _page.SetDefaultTimeout(20_000);
    }

    public async Task DisposeAsync()
    {
        await _context.CloseAsync();
        await _server.DisposeAsync();
    }

    private async Task<IReadOnlyList<string>> Violations() => await _page.EvaluateAsync<string[]>("() => window.__violations");

    // A fresh load each time (a hash change alone is no navigation and has no response to look at).
    private async Task Open(string hash)
    {
        await _page.GotoAsync("about:blank");
        var response = await _page.GotoAsync(_server.BaseAddress + hash);
        Assert.NotNull(response);
        Assert.Contains("script-src 'self'", (await response.AllHeadersAsync())["content-security-policy"]);
    }

    // Violations are reported asynchronously: give the page a moment after it is drawn, then none may have come.
    private async Task AssertNoRefusals(string page)
    {
        await _page.WaitForTimeoutAsync(300);
        var violations = await Violations();
        Assert.True(violations.Count == 0 && _refusals.Count == 0,
            $"{page}: {string.Join("; ", violations)} {string.Join("; ", _refusals)}");
    }

    [Fact]
    public async Task The_policy_is_enforced_and_a_violation_would_be_seen()
    {
        // The detector itself: an inline script and a fetch to another origin (a closed port on loopback) are refused, and
        // the page's reports and Chromium's console messages both arrive. (Not eval: code that Playwright runs in the page
        // is exempt from the policy's eval rule.)
        await Open("#/");
        await Assertions.Expect(_page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live");
        var outcome = await _page.EvaluateAsync<string>("""
            async () => {
              const script = document.createElement("script");
              script.textContent = "window.__inlineRan = true";
              document.body.append(script);
              let fetched;
              try { await fetch("http://127.0.0.1:1/"); fetched = "fetched"; } catch { fetched = "refused"; }
              return `${window.__inlineRan === true} ${fetched}`;
            }
            """);
        Assert.Equal("false refused", outcome);
        await _page.WaitForFunctionAsync("() => window.__violations.length >= 2");
        var violations = await Violations();
        Assert.Contains(violations, v => v == "script-src-elem inline");
        Assert.Contains(violations, v => v.StartsWith("connect-src http://127.0.0.1:1", StringComparison.Ordinal));
        Assert.Contains(_refusals, r => r.Contains("Content Security Policy directive", StringComparison.Ordinal) && r.Contains("script-src", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_page_works_under_the_policy()
    {
        await _server.CreateRunnerAsync("btc", "BTCUSDT");
        await _server.UploadOkAsync(BarCsv.RandomWalk(2000, Start, Hour, volatility: 2.5), "csp-1h");
        var first = await _server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "csp-1h" });
        var second = await _server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "csp-1h", fee_bps = 0 });
        await _server.WaitForAsync(first, "done");
        await _server.WaitForAsync(second, "done");

        // Runners, live over the WebSocket (connect-src 'self' covers ws: on the same origin).
        await Open("#/");
        await Assertions.Expect(_page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live");
        await Assertions.Expect(_page.Locator("[data-runner=btc]")).ToBeVisibleAsync();
        await AssertNoRefusals("runners");

        // A runner: the candle chart draws.
        await Open("#/runners/btc");
        await _page.WaitForFunctionAsync("() => Number(document.querySelector('[data-testid=chart]')?.dataset.candles || 0) >= 1");
        await AssertNoRefusals("runner detail");

        // Strategies and the editor, with lint marks (CodeMirror's styles are constructed style sheets; its marks data: images).
        await Open("#/strategies");
        await Assertions.Expect(_page.Locator("[data-testid=strategy-list]")).ToContainTextAsync("ema_crossover");
        await AssertNoRefusals("strategies");
        await Open("#/strategies/ema_crossover");
        await Assertions.Expect(_page.Locator(".cm-editor")).ToBeVisibleAsync();
        await Assertions.Expect(_page.Locator(".cm-content")).ToContainTextAsync("detect_opportunity");
        Assert.NotEqual("static", await _page.Locator(".cm-editor").EvaluateAsync<string>("e => getComputedStyle(e).position"));
        await _page.ClickAsync(".cm-content");
        await _page.Keyboard.PressAsync("Control+A");
        await _page.Keyboard.PressAsync("Delete");
        await _page.Locator(".cm-content").FillAsync("function detect_opportunity(md, ctx, ind)\n  x = = 1\nend\n");
        await _page.ClickAsync("[data-testid=validate]");
        await Assertions.Expect(_page.Locator(".cm-lintRange-error")).ToHaveCountAsync(1);
        Assert.Contains("data:image/svg+xml",
            await _page.Locator(".cm-lintRange-error").EvaluateAsync<string>("e => getComputedStyle(e).backgroundImage"));
        await AssertNoRefusals("strategy editor");

        // Backtests, a report (the heatmap colours its cells through the style helper) and the comparison (its swatches too).
        await Open("#/backtests");
        await Assertions.Expect(_page.Locator($"[data-backtest={second}] .badge")).ToHaveTextAsync("done");
        await AssertNoRefusals("backtests");
        await Open($"#/backtests/{first}");
        await _page.WaitForSelectorAsync(".backtest-body[data-rendered=true]", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached });
        var heat = _page.Locator("[data-testid=monthly] td[data-month]").First;
        Assert.NotEqual("rgba(0, 0, 0, 0)", await heat.EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor"));
        await AssertNoRefusals("backtest report");
        await Open($"#/backtests/compare?ids={first},{second}");
        await _page.WaitForFunctionAsync("() => document.querySelector('[data-testid=compare-chart]')?.dataset.series === '2'");
        var swatch = await _page.Locator(".swatch").First.EvaluateAsync<string>("e => getComputedStyle(e).getPropertyValue('--color')");
        Assert.False(string.IsNullOrWhiteSpace(swatch));
        await AssertNoRefusals("backtest comparison");

        // Optimizations: the form, the history, and a result (its heatmap colours cells through the style helper too).
        var submitted = await _server.PostJsonAsync("/api/optimizations",
            """{"strategy_name": "ema_crossover", "dataset": "csp-1h", "method": "random", "trials": 4}""");
        Assert.Equal(System.Net.HttpStatusCode.Accepted, submitted.StatusCode);
        var optimization = submitted.Headers.Location!.ToString();
        await Wait.Until(async () => (await _server.GetJsonAsync(optimization)).GetProperty("status").GetString() == "done", 60_000, "the optimization");
        var optimizationId = optimization[(optimization.LastIndexOf('/') + 1)..];
        await Open("#/optimizations");
        await Assertions.Expect(_page.Locator($"[data-optimization={optimizationId}]")).ToBeVisibleAsync();
        await AssertNoRefusals("optimizations");
        await Open($"#/optimizations/{optimizationId}");
        await Assertions.Expect(_page.Locator("[data-testid=best-params]")).ToBeVisibleAsync();
        await Assertions.Expect(_page.Locator("[data-testid=heatmap]")).ToBeVisibleAsync();
        await AssertNoRefusals("optimization result");

        // The audit log (every visitor is the owner on loopback without keys), and the portfolio's curve on the start page.
        await Open("#/audit");
        await Assertions.Expect(_page.Locator("table.audit")).ToContainTextAsync("POST /api/optimizations");
        await AssertNoRefusals("audit");
        await Open("#/");
        await _page.WaitForFunctionAsync("() => document.querySelector('[data-testid=portfolio-chart] canvas') !== null");
        await AssertNoRefusals("portfolio");
    }

    [Fact]
    public async Task The_login_page_works_under_the_policy()
    {
        await using var guarded = await RunningServer.StartAsync(withAdminKey: true);
        await _page.GotoAsync("about:blank");
        var response = await _page.GotoAsync(guarded.BaseAddress.ToString());
        Assert.Contains("script-src 'self'", (await response!.AllHeadersAsync())["content-security-policy"]);
        await Assertions.Expect(_page.Locator("#login-key")).ToBeVisibleAsync();
        await _page.FillAsync("#login-key", guarded.AdminKey!);
        await _page.ClickAsync("button:text-is('Log in')");
        await Assertions.Expect(_page.Locator("#who")).ToHaveTextAsync("test-admin · admin");
        await AssertNoRefusals("login");
    }
}
