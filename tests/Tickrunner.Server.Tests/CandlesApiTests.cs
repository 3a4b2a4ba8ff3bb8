using System.Net;
using System.Text.Json;
using Tickrunner.Server.Candles;

namespace Tickrunner.Server.Tests;

/// <summary><c>GET /api/symbols/{symbol}/candles</c> on replayed bars whose candles are worked out by hand, across a restart.</summary>
public sealed class CandlesApiTests : IDisposable
{
    private const long T0 = 1_704_067_200_000; // 2024-01-01T00:00:00Z
    private readonly TempDirectory _directory = new("tickrunner-candles-api-");

    public void Dispose() => _directory.Dispose();

    // Bars as (offset ms from T0, open, high, low, close, volume): two in the second at T0+1s, a partial minute at the end.
    private static readonly (long At, double O, double H, double L, double C, double V)[] Bars =
    [
        (0, 10, 12, 9, 11, 1),
        (1_000, 11, 15, 10, 14, 2),
        (1_500, 14, 16, 13, 15, 0.5),
        (59_000, 14, 14, 8, 9, 3),
        (60_000, 9, 10, 9, 10, 4),
        (61_000, 10, 11, 7, 8, 5),
    ];

    private string WriteCsv(string name, IEnumerable<(long At, double O, double H, double L, double C, double V)> bars)
    {
        var path = Path.Combine(_directory.Path, name);
        File.WriteAllLines(path, new[] { "open_time,open,high,low,close,volume,close_time" }
            .Concat(bars.Select(b => FormattableString.Invariant($"{T0 + b.At},{b.O},{b.H},{b.L},{b.C},{b.V},{T0 + b.At + 499}"))));
        return path;
    }

    private Task<RunningServer> StartAsync(string csv, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Tickrunner:Feed:Kind"] = "Replay",
            ["Tickrunner:Feed:ReplayFiles:0"] = $"TSTUSD={csv}",
            ["Tickrunner:Feed:ReplaySpeed"] = "3000",
            ["Tickrunner:Candles:FlushSeconds"] = "1",
        };
        foreach (var (key, value) in more ?? []) settings[key] = value;
        return RunningServer.StartAsync(settings, Path.Combine(_directory.Path, "data"));
    }

    private static async Task<Candle[]> CandlesAsync(RunningServer server, string query)
    {
        var json = await server.GetJsonAsync($"/api/symbols/TSTUSD/candles?{query}");
        return json.EnumerateArray().Select(c => new Candle(c.GetProperty("time").GetInt64(), c.GetProperty("open").GetDouble(),
            c.GetProperty("high").GetDouble(), c.GetProperty("low").GetDouble(), c.GetProperty("close").GetDouble(), c.GetProperty("volume").GetDouble())).ToArray();
    }

    private static async Task WaitForSeconds(RunningServer server, int count) =>
        await Wait.Until(async () => (await CandlesAsync(server, "interval=1s")).Length >= count, what: $"{count} one-second candles");

    [Fact]
    public async Task Candles_are_aggregated_by_interval_and_paged_by_from_to_and_limit()
    {
        await using var server = await StartAsync(WriteCsv("bars.csv", Bars));
        await WaitForSeconds(server, 5);

        Assert.Equal([
            new Candle(T0, 10, 12, 9, 11, 1), new Candle(T0 + 1_000, 11, 16, 10, 15, 2.5), new Candle(T0 + 59_000, 14, 14, 8, 9, 3),
            new Candle(T0 + 60_000, 9, 10, 9, 10, 4), new Candle(T0 + 61_000, 10, 11, 7, 8, 5),
        ], await CandlesAsync(server, "interval=1s"));
        Assert.Equal([new Candle(T0, 10, 16, 8, 9, 6.5), new Candle(T0 + 60_000, 9, 11, 7, 8, 9)], await CandlesAsync(server, "interval=1m"));
        Assert.Equal([new Candle(T0, 10, 16, 8, 9, 6.5), new Candle(T0 + 60_000, 9, 11, 7, 8, 9)], await CandlesAsync(server, ""));
        foreach (var interval in new[] { "5m", "15m", "1h", "4h", "1d" })
            Assert.Equal([new Candle(T0, 10, 16, 7, 8, 15.5)], await CandlesAsync(server, $"interval={interval}"));

        Assert.Equal([new Candle(T0 + 60_000, 9, 11, 7, 8, 9)], await CandlesAsync(server, "interval=1m&limit=1"));
        Assert.Equal([new Candle(T0, 10, 16, 8, 9, 6.5)], await CandlesAsync(server, $"interval=1m&to={T0 + 60_000}"));
        Assert.Equal([new Candle(T0, 11, 16, 8, 9, 5.5), new Candle(T0 + 60_000, 9, 11, 7, 8, 9)],
            await CandlesAsync(server, $"interval=1m&from={T0 + 1_000}"));
        Assert.Equal([new Candle(T0 + 1_000, 11, 16, 10, 15, 2.5), new Candle(T0 + 59_000, 14, 14, 8, 9, 3)],
            await CandlesAsync(server, $"interval=1s&from={T0 + 1_000}&to={T0 + 60_000}&limit=2"));
        Assert.Empty(await CandlesAsync(server, $"interval=1m&to={T0}"));
    }

    [Theory]
    [InlineData("interval=2m", "interval")]
    [InlineData("interval=", "interval")]
    [InlineData("interval=1M", "interval")]
    [InlineData("from=abc", "from")]
    [InlineData("to=-1", "to")]
    [InlineData("from=10&to=5", "from")]
    [InlineData("from=5&to=5", "from")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=5001", "limit")]
    [InlineData("limit=many", "limit")]
    public async Task Bad_parameters_are_400_problems_naming_the_parameter(string query, string parameter)
    {
        await using var server = await StartAsync(WriteCsv("bars.csv", Bars));
        var response = await server.Http.GetAsync($"/api/symbols/TSTUSD/candles?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty(parameter, out _), body);
    }

    [Fact]
    public async Task A_symbol_the_feed_does_not_stream_is_404()
    {
        await using var server = await StartAsync(WriteCsv("bars.csv", Bars));
        var response = await server.Http.GetAsync("/api/symbols/NOPE/candles");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Candles_outlive_a_restart_bounded_per_symbol()
    {
        var limits = new Dictionary<string, string?> { ["Tickrunner:Candles:MaxPerSymbol"] = "4" };
        await using (var first = await StartAsync(WriteCsv("first.csv", Bars), limits))
        {
            await WaitForSeconds(first, 4);
        }
        // The next start replays later bars only: the older candles can only come from the table.
        await using var second = await StartAsync(WriteCsv("second.csv", [(120_000, 8, 9, 7, 8.5, 1)]), limits);
        await Wait.Until(async () => (await CandlesAsync(second, "interval=1s")).Any(c => c.Time == T0 + 120_000), what: "the new bar");
        Assert.Equal([T0 + 59_000, T0 + 60_000, T0 + 61_000, T0 + 120_000], (await CandlesAsync(second, "interval=1s")).Select(c => c.Time));
        Assert.Equal([new Candle(T0, 14, 14, 8, 9, 3), new Candle(T0 + 60_000, 9, 11, 7, 8, 9), new Candle(T0 + 120_000, 8, 9, 7, 8.5, 1)],
            await CandlesAsync(second, "interval=1m"));
    }
}
