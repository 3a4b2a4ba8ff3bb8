using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Feeds;
using Tickrunner.Testing;

// How long the dashboard takes to show its pages, in Debian's Chromium against an in-process server.
// --page report (the default): a dataset of --bars one-minute bars, one ema_crossover backtest over it, then the report page
// loaded --loads times, each from navigation until every chart, the heatmap and the trade list are drawn (the page's own
// "report-rendered" mark). --page runners: --runners runners on the simulated feed, then the start page loaded --loads
// times, each from navigation until the runners table shows its first row, with the JavaScript it fetched.
// Usage: dotnet run -c Release --project bench/Tickrunner.DashboardHarness -- [--page report|runners] [--bars 1000000] [--runners 20] [--loads 10]
var bars = Option("--bars", 1_000_000);
var loads = Option("--loads", 10);
var chromium = Environment.GetEnvironmentVariable("TICKRUNNER_CHROMIUM") ?? "/usr/bin/chromium";
if (!File.Exists(chromium))
{
    Console.Error.WriteLine($"Chromium is not at {chromium}: run scripts/test.sh once (it installs Debian's chromium) or set TICKRUNNER_CHROMIUM.");
    return 2;
}
var pageIndex = Array.IndexOf(args, "--page");
if (pageIndex >= 0 && pageIndex + 1 < args.Length && args[pageIndex + 1] == "runners") return await RunnersPageAsync(Option("--runners", 20), loads, chromium);

await using var server = await RunningServer.StartAsync(new() { ["Tickrunner:Backtests:Workers"] = "1" });
var store = server.Services.GetRequiredService<DatasetStore>();
var series = new SimulatedSeries(new SimulatedSymbol { Symbol = "BTCUSDT", StartPrice = 50_000, Volatility = 0.0008 }, seed: 7,
    startTimestamp: 1_704_067_200_000, interval: TimeSpan.FromMinutes(1));
store.Save(BarSeries.From("BTCUSDT", "1m", Enumerable.Range(0, bars).Select(_ => series.Next())), "long");
Console.WriteLine($"dataset: {bars:N0} one-minute bars");

var clock = Stopwatch.StartNew();
var submitted = await server.PostJsonAsync("/api/backtests", """{"strategy_name": "ema_crossover", "dataset": "long"}""");
var id = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
JsonElement job;
while (true)
{
    job = await server.GetJsonAsync($"/api/backtests/{id}");
    if (job.GetProperty("status").GetString() is "done" or "failed" or "cancelled") break;
    await Task.Delay(20);
}
Console.WriteLine($"backtest {id}: {job.GetProperty("status").GetString()} in {clock.Elapsed.TotalSeconds:F2} s, "
    + $"{job.GetProperty("report").GetProperty("trades").GetInt32():N0} trades");

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = chromium, Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-dev-shm-usage"],
});
var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
page.SetDefaultTimeout(60_000);

// A cold load: the bundle too. Then warm loads (a fresh navigation each, the browser's cache as a returning trader has it),
// and in-app navigations from the history (no reload: the route changes).
var cold = await LoadAsync(page, server.BaseAddress + $"#/backtests/{id}");
var warm = new List<double>();
for (var i = 0; i < loads; i++) warm.Add(await LoadAsync(page, server.BaseAddress + $"#/backtests/{id}"));
var inApp = new List<double>();
for (var i = 0; i < loads; i++)
{
    await page.GotoAsync(server.BaseAddress + "#/backtests");
    await page.WaitForSelectorAsync($"[data-backtest={id}]");
    inApp.Add(await page.EvaluateAsync<double>($$"""
        () => new Promise((resolve) => {
          const start = performance.now();
          location.hash = "#/backtests/{{id}}";
          const wait = () => document.querySelector(".backtest-body[data-rendered=true]") ? resolve(performance.now() - start) : requestAnimationFrame(wait);
          wait();
        })
        """));
}
Console.WriteLine($"report page, {bars:N0}-bar run: cold load {cold:F0} ms; reload {Summary(warm)}; in-app {Summary(inApp)} (n = {loads} each)");
// Where the last load's time went: each request the page made, by when it ended.
await LoadAsync(page, server.BaseAddress + $"#/backtests/{id}");
var requests = await page.EvaluateAsync<JsonElement>(
    "() => performance.getEntriesByType('resource').map(r => [r.name.replace(location.origin, ''), Math.round(r.startTime), Math.round(r.duration)])");
foreach (var r in requests.EnumerateArray())
    Console.WriteLine($"  {r[1].GetInt32(),5} ms +{r[2].GetInt32(),4} ms  {r[0].GetString()}");
return 0;

// The start page: from the navigation's start to the first runner row in the table, cold (the bundle fetched and compiled)
// and as reloads; and the JavaScript the page fetched, as sent (compressed) and as it is.
static async Task<int> RunnersPageAsync(int runners, int loads, string chromium)
{
    await using var server = await RunningServer.StartAsync();
    var symbols = new[] { "BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT" };
    for (var i = 0; i < runners; i++) await server.CreateRunnerAsync($"r{i:D3}", symbols[i % symbols.Length]);
    using var playwright = await Playwright.CreateAsync();
    await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = chromium, Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-dev-shm-usage"],
    });
    var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
    // Marks the moment the first runner row is in the document, from a mutation observer installed before any page script.
    await context.AddInitScriptAsync("""
        new MutationObserver((_, observer) => {
          if (document.querySelector("tr[data-runner]")) { performance.mark("runners-visible"); observer.disconnect(); }
        }).observe(document, { childList: true, subtree: true });
        """);
    var page = await context.NewPageAsync();
    page.SetDefaultTimeout(60_000);
    async Task<double> Load()
    {
        await page.GotoAsync("about:blank");
        await page.GotoAsync(server.BaseAddress.ToString());
        await page.WaitForSelectorAsync("tr[data-runner]");
        return await page.EvaluateAsync<double>("() => performance.getEntriesByName('runners-visible')[0].startTime");
    }
    var cold = await Load();
    var scripts = await page.EvaluateAsync<JsonElement>(
        "() => performance.getEntriesByType('resource').filter(r => r.initiatorType === 'script' || r.name.endsWith('.js')).map(r => [r.name.replace(location.origin, ''), r.encodedBodySize, r.decodedBodySize])");
    var warm = new List<double>();
    for (var i = 0; i < loads; i++) warm.Add(await Load());
    Console.WriteLine($"start page, {runners} runners: first runner row after {cold:F0} ms cold; reload {Summary(warm)} (n = {loads})");
    long sent = 0, size = 0;
    foreach (var s in scripts.EnumerateArray())
    {
        sent += s[1].GetInt64();
        size += s[2].GetInt64();
        Console.WriteLine($"  {s[0].GetString()}: {s[1].GetInt64() / 1024.0:F1} KiB sent, {s[2].GetInt64() / 1024.0:F1} KiB");
    }
    Console.WriteLine($"JavaScript of the start page (cold): {sent / 1024.0:F1} KiB sent, {size / 1024.0:F1} KiB uncompressed");
    return 0;
}

static async Task<double> LoadAsync(IPage page, string url)
{
    await page.GotoAsync("about:blank");
    await page.GotoAsync(url);
    await page.WaitForSelectorAsync(".backtest-body[data-rendered=true]", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached });
    // From the navigation's start (performance's time origin) to the mark the page sets once everything is drawn.
    return await page.EvaluateAsync<double>("() => performance.getEntriesByName('report-rendered')[0].startTime");
}

static string Summary(List<double> ms)
{
    var sorted = ms.Order().ToList();
    double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    return string.Create(CultureInfo.InvariantCulture, $"p50 {At(0.5):F0} ms, p90 {At(0.9):F0} ms, max {sorted[^1]:F0} ms");
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var value) ? value : fallback;
}
