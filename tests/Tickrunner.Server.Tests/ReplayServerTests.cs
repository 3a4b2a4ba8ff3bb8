namespace Tickrunner.Server.Tests;

/// <summary>The server on the CSV replay feed (Feed:Kind=Replay).</summary>
public sealed class ReplayServerTests : IDisposable
{
    private readonly string _csv = Path.Combine(Path.GetTempPath(), $"tickrunner-replay-{Guid.NewGuid():N}.csv");

    public void Dispose() => File.Delete(_csv);

    [Fact]
    public async Task Runners_trade_replayed_klines()
    {
        var lines = new List<string> { "open_time,open,high,low,close,volume,close_time" };
        for (var i = 0; i < 300; i++)
        {
            var close = 100 + Math.Sin(i / 10.0) * 5;
            lines.Add(FormattableString.Invariant($"{i * 60_000L},{close - 0.1:F2},{close + 0.5:F2},{close - 0.5:F2},{close:F2},10,{i * 60_000L + 59_999}"));
        }
        await File.WriteAllLinesAsync(_csv, lines);
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Tickrunner:Feed:Kind"] = "Replay",
            ["Tickrunner:Feed:ReplayFiles:0"] = $"SINUSD={_csv}",
            ["Tickrunner:Feed:ReplaySpeed"] = "3000", // a minute of bars every 20 ms
        });
        Assert.Equal(["SINUSD"], (await server.GetJsonAsync("/api/symbols")).EnumerateArray().Select(s => s.GetString()));
        await server.CreateRunnerAsync("sin", "SINUSD", "ema_crossover");
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/sin")).GetProperty("stats").GetProperty("ticks_processed").GetInt64() >= 20,
            what: "replayed bars");
        var history = await server.GetJsonAsync("/api/runners/sin/history?count=2");
        Assert.Equal(60_000, history[1].GetProperty("timestamp").GetInt64() - history[0].GetProperty("timestamp").GetInt64());
        Assert.Equal("Replay", (await server.GetJsonAsync("/api/health")).GetProperty("feed").GetProperty("kind").GetString());
    }
}
