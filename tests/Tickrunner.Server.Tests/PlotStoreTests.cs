using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tickrunner.Engine;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Server.Plots;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Tests;

/// <summary>The plot store on real Plot events (a Lua strategy driven bar by bar into a hub): buckets, intervals, restart, removal.</summary>
public sealed class PlotStoreTests : IDisposable
{
    private const long T0 = 1_704_067_200_000; // 2024-01-01T00:00:00Z
    private readonly TempDirectory _directory = new("tickrunner-plot-store-");

    public void Dispose() => _directory.Dispose();

    // "a" every bar (the close), "b" in its own pane only on bars with volume above 1.
    private const string Plotting = """
        function detect_opportunity(market_data)
          plot("a", market_data.close)
          if market_data.volume > 1 then plot("b", market_data.volume, { pane = "own", lines = { 1, 3 } }) end
        end
        function filter_commitment() end
        function manage_position() end
        """;

    // (offset ms, close, volume): two bars in the second at T0, "b" missing from some seconds, a partial minute at the end.
    private static readonly (long At, double Close, double Volume)[] Bars =
        [(0, 10, 1.5), (500, 11, 2), (1_000, 12, 0.5), (59_000, 13, 3), (60_000, 14, 0.5), (61_000, 15, 4)];

    private (PlotStore Store, EventHub Hub) Start(PlotOptions? options = null)
    {
        var database = new TickrunnerDatabase(_directory.Path);
        database.Migrate();
        var hub = new EventHub();
        var store = new PlotStore(hub, new PlotRepository(database), Options.Create(new TickrunnerOptions { Plots = options ?? new PlotOptions() }),
            NullLogger<PlotStore>.Instance);
        store.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return (store, hub);
    }

    private static void Drive(EventHub hub, string runnerId, string code, IEnumerable<(long At, double Close, double Volume)> bars)
    {
        using var strategy = LuaStrategy.FromCode("plotting", code);
        var definition = new RunnerDefinition { RunnerId = runnerId, Symbol = "BTCUSDT", StrategyName = "plotting" };
        var step = new RunnerStep(definition, strategy, hub, new BarTimeClock(), NullLogger.Instance);
        foreach (var (at, close, volume) in bars) Assert.Null(step.Process(new MarketData("BTCUSDT", T0 + at, close, close, close, close, volume, 0, 0), 0));
    }

    private static string Show(PlotQueryResult result) =>
        string.Join(" ", result.Points.Select(p => $"{(p.Time - T0) / 1000}s:" + string.Join(",", result.Series.Select((s, i) => (p.Mask & (1 << i)) != 0
            ? $"{s.Name}={p.Values[i]}" : null).Where(v => v is not null))));

    private static Task WaitFor(PlotStore store, string runnerId, int seconds) =>
        Wait.Until(() => Task.FromResult(store.Count(runnerId) >= seconds), what: $"{seconds} one-second plot points");

    [Fact]
    public async Task Points_are_one_second_buckets_whose_last_value_wins_aggregated_to_the_candle_intervals_and_they_outlive_a_restart()
    {
        var (store, hub) = Start(new PlotOptions { FlushSeconds = 1 });
        Drive(hub, "p", Plotting, Bars);
        await WaitFor(store, "p", 5);
        var expected1s = "0s:a=11,b=2 1s:a=12 59s:a=13,b=3 60s:a=14 61s:a=15,b=4";
        Assert.Equal(expected1s, Show(store.Query("p", 1_000, 0, long.MaxValue, 500)));
        Assert.Equal("0s:a=13,b=3 60s:a=15,b=4", Show(store.Query("p", 60_000, 0, long.MaxValue, 500)));
        Assert.Equal("0s:a=15,b=4", Show(store.Query("p", 3_600_000, 0, long.MaxValue, 500)));
        Assert.Equal("60s:a=15,b=4", Show(store.Query("p", 60_000, 0, long.MaxValue, 1)));
        Assert.Equal("0s:a=13,b=3", Show(store.Query("p", 60_000, 0, T0 + 60_000, 500)));
        Assert.Equal("1s:a=12 59s:a=13,b=3", Show(store.Query("p", 1_000, T0 + 1_000, T0 + 60_000, 500)));
        Assert.Equal("60s:a=14", Show(store.Query("p", 60_000, T0 + 60_000, T0 + 61_000, 500))); // a bucket cut by `to` holds what it has
        var series = store.Query("p", 1_000, 0, long.MaxValue, 1).Series;
        Assert.Equal("a:overlay:#f59e0b: b:b:#38bdf8:1,3", string.Join(" ", series.Select(s => $"{s.Name}:{s.Pane}:{s.Color}:{string.Join(",", s.Lines)}")));
        Assert.Empty(store.Query("nobody", 1_000, 0, long.MaxValue, 500).Points);

        await store.StopAsync(CancellationToken.None);
        await hub.DisposeAsync();
        var (again, hub2) = Start();
        Assert.Equal(expected1s, Show(again.Query("p", 1_000, 0, long.MaxValue, 500)));
        Assert.Equal("0s:a=13,b=3 60s:a=15,b=4", Show(again.Query("p", 60_000, 0, long.MaxValue, 500)));

        // More bars after the restart go on from the stored points.
        Drive(hub2, "p", Plotting, [(120_000, 16, 5)]);
        await WaitFor(again, "p", 6);
        Assert.Equal("0s:a=13,b=3 60s:a=15,b=4 120s:a=16,b=5", Show(again.Query("p", 60_000, 0, long.MaxValue, 500)));
        await again.StopAsync(CancellationToken.None);
        await hub2.DisposeAsync();
    }

    [Fact]
    public async Task A_removed_runner_loses_its_plots_held_and_stored_and_other_series_start_the_history_anew()
    {
        var (store, hub) = Start(new PlotOptions { FlushSeconds = 1 });
        Drive(hub, "gone", Plotting, Bars);
        Drive(hub, "kept", Plotting, Bars);
        await WaitFor(store, "gone", 5);
        await WaitFor(store, "kept", 5);
        await Task.Delay(1500); // a flush has written both

        store.Remove("gone");
        Assert.Equal(0, store.Count("gone"));
        // The strategy of "kept" now plots other series: its history starts anew with them.
        Drive(hub, "kept", """
            function detect_opportunity(market_data) plot("x", market_data.close * 2) end
            function filter_commitment() end
            function manage_position() end
            """, [(120_000, 16, 5)]);
        await Wait.Until(() => Task.FromResult(store.Query("kept", 1_000, 0, long.MaxValue, 500).Series is [{ Name: "x" }]), what: "the new series");
        Assert.Equal("120s:x=32", Show(store.Query("kept", 1_000, 0, long.MaxValue, 500)));
        await store.StopAsync(CancellationToken.None);
        await hub.DisposeAsync();

        var (again, hub2) = Start();
        Assert.Equal(0, again.Count("gone"));
        Assert.Equal("120s:x=32", Show(again.Query("kept", 1_000, 0, long.MaxValue, 500)));
        await again.StopAsync(CancellationToken.None);
        await hub2.DisposeAsync();
    }
}

/// <summary><c>GET /api/runners/{id}/plots</c> and the Plot event on a real Kestrel: a replayed symbol, a runner whose strategy plots.</summary>
public sealed class PlotsApiTests : IDisposable
{
    private readonly TempDirectory _directory = new("tickrunner-plots-api-");

    public void Dispose() => _directory.Dispose();

    private async Task<RunningServer> StartAsync()
    {
        var csv = Path.Combine(_directory.Path, "bars.csv");
        var lines = new List<string> { "open_time,open,high,low,close,volume,close_time" };
        for (var i = 0; i < 5000; i++)
        {
            var close = 100 + Math.Sin(i / 10.0) * 5;
            lines.Add(FormattableString.Invariant($"{i * 1000L},{close:F2},{close + 0.5:F2},{close - 0.5:F2},{close:F2},10,{i * 1000L + 999}"));
        }
        await File.WriteAllLinesAsync(csv, lines);
        var server = await RunningServer.StartAsync(new()
        {
            ["Tickrunner:Feed:Kind"] = "Replay",
            ["Tickrunner:Feed:ReplayFiles:0"] = $"SINUSD={csv}",
            ["Tickrunner:Feed:ReplaySpeed"] = "20", // a second of bars every 50 ms
            ["Tickrunner:Plots:FlushSeconds"] = "1",
        }, Path.Combine(_directory.Path, "data"));
        await server.UploadStrategyAsync("plotting", """
            function detect_opportunity(market_data)
              plot("close", market_data.close, { color = "#112233" })
              plot("osc", market_data.close - 100, { pane = "own", lines = { -3, 3 } })
            end
            function filter_commitment() end
            function manage_position() end
            """);
        return server;
    }

    [Fact]
    public async Task A_runners_plots_are_served_by_interval_streamed_as_Plot_events_and_dropped_with_the_runner()
    {
        await using var server = await StartAsync();
        using var socket = await server.ConnectAsync("type=Plot");
        await server.CreateRunnerAsync("plotter", "SINUSD", "plotting");

        var plot = (await socket.ReceiveUntilAsync(m => m.Tag() == "Plot"))!.Value.Payload();
        Assert.Equal("plotter", plot.GetProperty("runner_id").GetString());
        Assert.Equal("SINUSD", plot.GetProperty("symbol").GetString());
        var close = plot.GetProperty("values").GetProperty("close").GetDouble();
        Assert.Equal(close - 100, plot.GetProperty("values").GetProperty("osc").GetDouble(), 9);
        Assert.Equal("""[{"name":"close","pane":"overlay","color":"#112233","lines":[]},{"name":"osc","pane":"osc","color":"#38bdf8","lines":[-3,3]}]""",
            plot.GetProperty("series").GetRawText());

        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/plotter/plots?interval=1s")).GetProperty("points").GetArrayLength() >= 70,
            what: "70 seconds of plots");
        var seconds = await server.GetJsonAsync("/api/runners/plotter/plots?interval=1s&limit=5000");
        Assert.Equal(["close", "osc"], seconds.GetProperty("series").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        var points = seconds.GetProperty("points").EnumerateArray().ToList();
        Assert.All(points, p => Assert.Equal(0, p.GetProperty("time").GetInt64() % 1000));
        Assert.All(points, p => Assert.Equal(p.GetProperty("values").GetProperty("close").GetDouble() - 100, p.GetProperty("values").GetProperty("osc").GetDouble(), 9));
        // A minute's value is the last second's in it.
        var minutes = (await server.GetJsonAsync("/api/runners/plotter/plots?interval=1m&to=120000")).GetProperty("points").EnumerateArray().ToList();
        var firstMinute = minutes.Single(m => m.GetProperty("time").GetInt64() == 0);
        var lastSecond = points.Last(p => p.GetProperty("time").GetInt64() < 60_000);
        Assert.Equal(lastSecond.GetProperty("values").GetRawText(), firstMinute.GetProperty("values").GetRawText());
        Assert.Single((await server.GetJsonAsync("/api/runners/plotter/plots?interval=1s&limit=1")).GetProperty("points").EnumerateArray());

        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/api/runners/nobody/plots")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await server.Http.DeleteAsync("/api/runners/plotter")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/api/runners/plotter/plots")).StatusCode);
        var store = server.Services.GetRequiredService<PlotStore>();
        await Task.Delay(300); // events still queued when it was removed are read and dropped too
        Assert.Equal(0, store.Count("plotter"));
    }

    [Theory]
    [InlineData("interval=2m", "interval")]
    [InlineData("interval=1M", "interval")]
    [InlineData("from=abc", "from")]
    [InlineData("to=-1", "to")]
    [InlineData("from=5&to=5", "from")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=5001", "limit")]
    public async Task Bad_parameters_are_400_problems_naming_the_parameter(string query, string parameter)
    {
        await using var server = await StartAsync();
        await server.CreateRunnerAsync("plotter", "SINUSD", "plotting");
        var response = await server.Http.GetAsync($"/api/runners/plotter/plots?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty(parameter, out _), body);
    }
}
