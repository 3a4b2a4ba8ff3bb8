using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Tickrunner.Dashboard.Tests;

/// <summary>The Optimize pages in Chromium: set up a search from the declared parameters, read the results, act on a row.</summary>
[Collection(BrowserCollection.Name)]
public sealed class OptimizationDashboardTests(BrowserFixture fixture) : IAsyncLifetime
{
    private const long Start = 1_704_067_200_000; // 2024-01-01 00:00 UTC
    private const long Hour = 3_600_000;

    private RunningServer _server = null!;
    private IBrowserContext _context = null!;
    private IPage _page = null!;
    private readonly List<string> _consoleErrors = [];

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(new() { ["Tickrunner:Feed:TickIntervalMs"] = "100", ["Tickrunner:Optimizations:ProgressIntervalMs"] = "20" });
        _context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
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
    }

    private Task Open(string hash) => _page.GotoAsync(_server.BaseAddress + hash);

    private async Task Screenshot(string name)
    {
        await _page.EvaluateAsync("() => { document.getElementById('toast').hidden = true; }");
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, name + ".png"), FullPage = true });
    }

    private static string HourlyCsv(int count) => BarCsv.RandomWalk(count, Start, Hour, volatility: 2.5);

    private async Task<string> SubmitAsync(object body)
    {
        var response = await _server.PostJsonAsync("/api/optimizations", JsonSerializer.Serialize(body));
        Assert.True((int)response.StatusCode == 202, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> WaitForEndAsync(string id)
    {
        JsonElement job = default;
        await Wait.Until(async () =>
        {
            job = await _server.GetJsonAsync($"/api/optimizations/{id}");
            return job.GetProperty("status").GetString() is "done" or "failed" or "cancelled";
        }, 90_000, $"optimization {id} to end");
        return job;
    }

    [Fact]
    public async Task Set_up_a_grid_from_the_declared_parameters_read_the_results_and_backtest_or_run_a_row()
    {
        await _server.UploadOkAsync(HourlyCsv(1500), "opt-1h");
        await Open("#/optimizations");
        await _page.SelectOptionAsync("select[name=strategy_name]", "ema_crossover");
        await _page.SelectOptionAsync("select[name=dataset]", "opt-1h");
        // Every declared parameter has a row, searched over its declared range until told otherwise.
        await Assertions.Expect(_page.Locator("[data-testid=space] tr[data-param]")).ToHaveCountAsync(6);
        await Assertions.Expect(_page.Locator("[data-space='fast.max']")).ToHaveValueAsync("50");
        foreach (var name in new[] { "stop_loss", "take_profit", "size", "max_wait" })
            await _page.UncheckAsync($"[data-search={name}]");
        await Assertions.Expect(_page.Locator("[data-fixed=size]")).ToBeVisibleAsync();
        await _page.SelectOptionAsync("select[name=method]", "grid");

        // A range outside the declaration is refused on its row.
        await _page.FillAsync("[data-space='fast.min']", "1");
        await _page.ClickAsync("text=Run optimization");
        await Assertions.Expect(_page.Locator("tr[data-field='space.fast'] .error")).ToContainTextAsync("between 2 and 50");

        await _page.FillAsync("[data-space='fast.min']", "5");
        await _page.FillAsync("[data-space='fast.max']", "15");
        await _page.FillAsync("[data-space='fast.step']", "5");
        await _page.FillAsync("[data-space='slow.min']", "20");
        await _page.FillAsync("[data-space='slow.max']", "40");
        await _page.FillAsync("[data-space='slow.step']", "10");
        await _page.FillAsync("[data-fixed=size]", "0.5");
        await _page.ClickAsync("text=Run optimization");
        await Assertions.Expect(_page.Locator("[data-optimization=opt-1]")).ToBeVisibleAsync();
        var job = await WaitForEndAsync("opt-1");
        Assert.Equal("done", job.GetProperty("status").GetString());
        Assert.Equal(0.5, job.GetProperty("settings").GetProperty("backtest").GetProperty("params").GetProperty("size").GetDouble());
        await Assertions.Expect(_page.Locator("[data-optimization=opt-1] [data-testid=progress] .label")).ToContainTextAsync("9 / 9 trials");

        await _page.ClickAsync("[data-optimization=opt-1] a");
        var best = job.GetProperty("best");
        await Assertions.Expect(_page.Locator("[data-testid=best-params]")).ToContainTextAsync($"Trial {best.GetProperty("trial").GetInt32()}");
        await Assertions.Expect(_page.Locator("[data-testid=dsr] .gauge")).Not.ToHaveTextAsync("–");
        await Assertions.Expect(_page.Locator("[data-testid=pbo] .gauge")).Not.ToHaveTextAsync("–");
        await Assertions.Expect(_page.Locator("[data-testid=dsr]")).ToContainTextAsync("after allowing for how many trials were tried");
        // A 3 × 3 grid fills a 3 × 3 heatmap (cells where a trial counted); the best cell holds the best objective.
        var counted = job.GetProperty("top").GetArrayLength();
        Assert.True(counted > 0);
        await Assertions.Expect(_page.Locator("[data-testid=heatmap] thead th")).ToHaveCountAsync(4);
        await Assertions.Expect(_page.Locator("[data-testid=heatmap] tbody tr")).ToHaveCountAsync(3);
        var cells = await _page.Locator("[data-testid=heatmap] td[data-best]").EvaluateAllAsync<double[]>("cells => cells.map(c => Number(c.dataset.best))");
        Assert.Equal(best.GetProperty("objective").GetDouble(), cells.Max(), 9);

        // The trials table: best first, then by trial number when that column is clicked.
        await Assertions.Expect(_page.Locator("[data-testid=trials-info]")).ToHaveTextAsync("1–9 of 9");
        await Assertions.Expect(_page.Locator("[data-testid=trials] tbody tr").First).ToHaveAttributeAsync("data-trial", best.GetProperty("trial").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture));
        await _page.ClickAsync("[data-testid=trials] th[data-sort=trial]");
        await Assertions.Expect(_page.Locator("[data-testid=trials] tbody tr").First).ToHaveAttributeAsync("data-trial", "0");
        await Assertions.Expect(_page.Locator("[data-testid=trials] th[data-sort=trial]")).ToHaveAttributeAsync("aria-sort", "ascending");
        await Screenshot("optimization");

        // Run live with a row's values: the fixed size and the row's lengths reach the runner.
        await _page.Locator("[data-testid=trials] tbody tr[data-trial='4'] button", new() { HasText = "Run live" }).ClickAsync();
        await _page.FillAsync("[data-testid=live-runner-id]", "from_trial");
        await _page.SelectOptionAsync("[data-testid=live-symbol]", "ETHUSDT");
        await _page.ClickAsync("text=Run live with these settings");
        await _page.WaitForFunctionAsync("() => location.hash === '#/runners/from_trial'");
        var trial4 = (await _server.GetJsonAsync("/api/optimizations/opt-1/trials?sort=trial&order=asc&offset=4&limit=1")).GetProperty("trials")[0].GetProperty("params");
        var runner = await _server.GetJsonAsync("/api/runners/from_trial");
        Assert.Equal(trial4.GetProperty("fast").GetDouble(), runner.GetProperty("params").GetProperty("fast").GetDouble());
        Assert.Equal(trial4.GetProperty("slow").GetDouble(), runner.GetProperty("params").GetProperty("slow").GetDouble());
        Assert.Equal(0.5, runner.GetProperty("params").GetProperty("size").GetDouble());

        // Backtest the best: the same report, to the digest.
        await Open("#/optimizations/opt-1");
        await _page.ClickAsync("[data-testid=best] button:has-text('Backtest this')");
        await _page.WaitForFunctionAsync("() => location.hash.startsWith('#/backtests/bt-')");
        var backtestId = (await _page.EvaluateAsync<string>("() => location.hash")).Split('/')[^1];
        var backtest = await _server.WaitForAsync(backtestId, "done", "failed");
        Assert.Equal(best.GetProperty("report").GetProperty("digest").GetString(), backtest.GetProperty("report").GetProperty("digest").GetString());
        // The refused range above is a 400, which Chromium logs as a failed resource; nothing else may be logged.
        Assert.DoesNotContain(_consoleErrors, e => !e.StartsWith("Failed to load resource", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_walk_forward_shows_in_sample_against_out_of_sample_and_the_stitched_curve_and_a_long_run_cancels()
    {
        await _server.UploadOkAsync(HourlyCsv(2000), "wf-1h");
        var id = await SubmitAsync(new
        {
            strategy_name = "ema_crossover", dataset = "wf-1h", method = "random", trials = 6, seed = 3,
            space = new { fast = new { min = 4, max = 12 }, slow = new { min = 20, max = 40, step = 10 } },
            walk_forward = new { train_bars = 800, test_bars = 400, windows = 3 },
        });
        await WaitForEndAsync(id);
        await Open($"#/optimizations/{id}");
        await Assertions.Expect(_page.Locator("[data-testid=windows] tbody tr")).ToHaveCountAsync(3);
        Assert.True(await _page.Locator("[data-testid=is-oos] rect").CountAsync() >= 3);
        await Assertions.Expect(_page.Locator("[data-testid=oos-summary]")).ToContainTextAsync("1,200 test bars");
        await _page.WaitForFunctionAsync("() => Number(document.querySelector('[data-testid=oos-equity]')?.dataset.points ?? 0) > 100");
        await Screenshot("optimization-walk-forward");

        // A long search shows its trials going up, and its Cancel stops it.
        var longId = await SubmitAsync(new { strategy_name = "ema_crossover", dataset = "wf-1h", method = "random", trials = 100_000 });
        await Open($"#/optimizations/{longId}");
        await Assertions.Expect(_page.Locator("[data-testid=progress] .label")).ToContainTextAsync("of 100,000 trials");
        await _page.WaitForFunctionAsync("() => /· [1-9][0-9,]* of 100,000/.test(document.querySelector('[data-testid=progress] .label').textContent)");
        await _page.ClickAsync("button:has-text('Cancel')");
        await Assertions.Expect(_page.Locator("[data-testid=status]")).ToHaveTextAsync("cancelled");
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task The_optimize_pages_fit_a_phone()
    {
        await _server.UploadOkAsync(HourlyCsv(600), "phone-opt");
        var id = await SubmitAsync(new { strategy_name = "ema_crossover", dataset = "phone-opt", method = "random", trials = 4, space = new { fast = new { min = 4, max = 12 } } });
        await WaitForEndAsync(id);
        await _page.SetViewportSizeAsync(390, 844);
        var wide = new List<string>();
        foreach (var (hash, ready) in new[] { ("#/optimizations", $"[data-optimization={id}]"), ($"#/optimizations/{id}", "[data-testid=trials] tbody tr") })
        {
            await Open(hash);
            await _page.Locator(ready).First.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
            var width = await _page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            // Name the widest element that is not inside a scrolling table, so a failure says what to fix.
            if (width > 391) wide.Add($"{hash}: {width} px, {await _page.EvaluateAsync<string>(WidestElement)}");
        }
        Assert.True(wide.Count == 0, "pages wider than 390 px: " + string.Join("; ", wide));
    }

    // The innermost elements wider than the phone (outside scrolling tables): what makes the page too wide.
    private const string WidestElement = """
        () => {
          const wide = (e) => e.getBoundingClientRect().width > 391;
          const names = [];
          for (const e of document.querySelectorAll("body *")) {
            if (e.closest(".table-wrap") && !e.classList.contains("table-wrap")) continue;
            if (wide(e) && ![...e.children].some(wide)) names.push(`${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().width)} px)`);
          }
          return names.slice(0, 5).join(", ");
        }
        """;
}
