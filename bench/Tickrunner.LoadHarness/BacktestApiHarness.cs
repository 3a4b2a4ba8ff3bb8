using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Feeds;
using Tickrunner.Server;

/// <summary>
/// A backtest through the API against the engine's own <see cref="Backtest.Run"/> over the same bars: ema_crossover over
/// N one-minute bars of the simulated random walk, saved into the server's dataset store. The API run is timed as a client
/// sees it (POST /api/backtests to the first GET that answers "done", polled every 5 ms), and by the job's own
/// started_at/finished_at; the direct run is what the CLI does for one backtest (load from the cache, run, report), in the
/// same process, so both have the same JIT and the same cores. Runs alternate, after one warm-up of each. The server has
/// no runners: this is the job's own cost, not its share of a busy machine (its worker is SCHED_IDLE, below any runner).
/// </summary>
internal static class BacktestApiHarness
{
    private const string DatasetId = "bench-api";

    /// <summary>With <paramref name="keepIn"/>, the server's data directory is that one and is kept, so the CLI can run the same dataset.</summary>
    public static async Task<int> RunAsync(int bars, int runs, string? keepIn)
    {
        var data = keepIn is null ? Directory.CreateTempSubdirectory("tickrunner-bt-api-").FullName : Directory.CreateDirectory(keepIn).FullName;
        var settings = new Dictionary<string, string?>
        {
            ["Tickrunner:DataDirectory"] = data,
            ["Tickrunner:StrategiesDirectory"] = Path.Combine(AppContext.BaseDirectory, "strategies"),
            ["Tickrunner:Feed:TickIntervalMs"] = "1000",
            ["Tickrunner:Demo:Enabled"] = "false",
        };
        var app = TickrunnerApp.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            using var http = new HttpClient { BaseAddress = address };
            var store = app.Services.GetRequiredService<DatasetStore>();
            var series = new SimulatedFeed().CreateSeries("BTCUSDT", 0);
            store.Save(BarSeries.From("BTCUSDT", "1m", Enumerable.Range(0, bars).Select(_ => series.Next())), DatasetId, overwrite: true);
            var code = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "strategies", "ema_crossover.lua"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"backtest through the API: ema_crossover over {bars:N0} one-minute bars, {Environment.ProcessorCount} cores, {app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TickrunnerOptions>>().Value.Backtests.EffectiveWorkers} worker(s)"));

            // Warm-up of both paths (JIT), on the first 200,000 bars: with 50,000 the first direct run was still a
            // third slower than the next while the tiered JIT finished.
            var warmTo = store.Load(DatasetId).Slice(0, Math.Min(bars, 200_000))[^1].Timestamp;
            Direct(store, code, warmTo);
            await ThroughApiAsync(http, warmTo);

            var ratios = new List<double>();
            for (var r = 0; r < runs; r++)
            {
                var (directMs, directTrades) = Direct(store, code, null);
                var (apiMs, jobMs, apiTrades) = await ThroughApiAsync(http, null);
                ratios.Add(apiMs / directMs);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"run {r + 1}: direct {directMs:N0} ms ({bars / directMs * 1000:N0} bars/s, {directTrades:N0} trades); " +
                    $"API {apiMs:N0} ms POST to done ({jobMs:N0} ms started to finished in the job, {apiTrades:N0} trades): {apiMs / directMs:F2} × direct   [target ≤ 1.5 ×]"));
            }
            ratios.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"API / direct: {ratios[0]:F2}–{ratios[^1]:F2} × over {runs} runs"));
            if (keepIn is not null)
                Console.WriteLine($"the dataset is kept: dotnet run -c Release --project src/Tickrunner.Cli -- backtest --strategy ema_crossover --data {DatasetId} --data-dir {data}");
            return 0;
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (keepIn is null)
                try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    // What the CLI does for one backtest, timed from the load: the server's worker loads the bars inside the job too.
    private static (double Ms, int Trades) Direct(DatasetStore store, string code, long? to)
    {
        var clock = Stopwatch.StartNew();
        var result = Backtest.Run("ema_crossover", code, store.Load(DatasetId, null, to), new BacktestSettings { To = to });
        _ = result.ReportJson();
        _ = result.TradesJson();
        return (clock.Elapsed.TotalMilliseconds, result.Trades.Count);
    }

    private static async Task<(double Ms, double JobMs, int Trades)> ThroughApiAsync(HttpClient http, long? to)
    {
        var clock = Stopwatch.StartNew();
        var body = to is { } t
            ? $$"""{"strategy_name":"ema_crossover","dataset":"{{DatasetId}}","to":{{t}}}"""
            : $$"""{"strategy_name":"ema_crossover","dataset":"{{DatasetId}}"}""";
        using var posted = await http.PostAsync("/api/backtests", new StringContent(body, Encoding.UTF8, "application/json"));
        posted.EnsureSuccessStatusCode();
        var id = (await posted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        while (true)
        {
            using var view = JsonDocument.Parse(await http.GetStringAsync($"/api/backtests/{id}"));
            var root = view.RootElement;
            var status = root.GetProperty("status").GetString();
            if (status is "queued" or "running")
            {
                await Task.Delay(5);
                continue;
            }
            var ms = clock.Elapsed.TotalMilliseconds;
            if (status != "done") throw new InvalidOperationException($"backtest {id} ended {status}: {root.GetProperty("error")}");
            var jobMs = root.GetProperty("finished_at").GetInt64() - root.GetProperty("started_at").GetInt64();
            return (ms, jobMs, root.GetProperty("report").GetProperty("trades").GetInt32());
        }
    }
}
