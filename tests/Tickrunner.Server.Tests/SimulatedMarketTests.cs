namespace Tickrunner.Server.Tests;

/// <summary>The simulated market after a restart: it goes on from the last prices on a new path, unless a seed asks for the same bars.</summary>
public sealed class SimulatedMarketTests : IDisposable
{
    private readonly TempDirectory _data = new("tickrunner-market-");

    public void Dispose() => _data.Dispose();

    private async Task<List<(double Open, double Close)>> BarsAsync(RunningServer server, int atLeast)
    {
        var bars = new List<(double, double)>();
        await Wait.Until(async () =>
        {
            var history = await server.GetJsonAsync("/api/runners/btc/history?count=1000");
            bars = history.EnumerateArray().Select(b => (b.GetProperty("open").GetDouble(), b.GetProperty("close").GetDouble())).ToList();
            return bars.Count >= atLeast;
        }, 20_000, $"{atLeast} bars");
        return bars;
    }

    // The runner is created on the first start, after the feed began; on later starts it is restored before the feed
    // runs, so its history begins with the first bar of that start.
    private async Task<List<List<(double Open, double Close)>>> ThreeStartsAsync(Dictionary<string, string?>? settings)
    {
        var runs = new List<List<(double Open, double Close)>>();
        for (var start = 0; start < 3; start++)
        {
            await using var server = await RunningServer.StartAsync(settings, dataDirectory: _data);
            if (start == 0) await server.CreateRunnerAsync("btc", "BTCUSDT");
            runs.Add(await BarsAsync(server, 20));
        }
        return runs;
    }

    private static List<double> Moves(List<(double Open, double Close)> bars) => bars.Take(15).Select(b => Math.Round(b.Close / b.Open, 9)).ToList();

    [Fact]
    public async Task After_a_restart_the_market_goes_on_from_its_last_prices_on_a_new_path()
    {
        var runs = await ThreeStartsAsync(null);
        for (var i = 1; i < 3; i++)
        {
            // Each start opens where the one before left off (the feed ran a few bars past what the runner saw).
            Assert.NotEqual(50_000, runs[i][0].Open);
            Assert.InRange(runs[i][0].Open, runs[i - 1][^1].Close * 0.99, runs[i - 1][^1].Close * 1.01);
        }
        Assert.NotEqual(Moves(runs[1]), Moves(runs[2])); // a new path, not the same one again
    }

    [Fact]
    public async Task An_explicit_seed_gives_the_same_bars_on_every_start()
    {
        var runs = await ThreeStartsAsync(new Dictionary<string, string?> { ["Tickrunner:Feed:Seed"] = "7" });
        Assert.Equal(50_000, runs[1][0].Open);
        Assert.Equal(runs[1].Take(15), runs[2].Take(15));
    }
}
