using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Trading;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Tests;

/// <summary>The portfolio across runners: per-runner trade figures worked by hand, the sums over HTTP, the sampled curve.</summary>
public sealed class PortfolioTests : IDisposable
{
    private readonly TempDirectory _data = new("tickrunner-portfolio-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _data.Dispose();
    }


    private static void Trade(TickrunnerDatabase database, string runner, double pnl, long exitAt)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO trades (runner_id, symbol, side, quantity, entry_price, entry_timestamp, exit_price, exit_timestamp, realized_pnl, fees, reason)
            VALUES ($id, 'BTCUSDT', 'Long', 1, 100, $entry, 100, $exit, $pnl, 0, 'test');
            """;
        command.Parameters.AddWithValue("$id", runner);
        command.Parameters.AddWithValue("$entry", exitAt - 1);
        command.Parameters.AddWithValue("$exit", exitAt);
        command.Parameters.AddWithValue("$pnl", pnl);
        command.ExecuteNonQuery();
    }

    [Fact]
    public void Trade_figures_per_runner_are_the_ones_worked_by_hand()
    {
        var database = new TickrunnerDatabase(_data);
        database.Migrate();
        var runners = new RunnerRepository(database);
        runners.Insert(new RunnerDefinition { RunnerId = "a", Symbol = "BTCUSDT", StrategyName = "s", Account = new AccountSettings { InitialCapital = 1000 } });
        runners.Insert(new RunnerDefinition { RunnerId = "b", Symbol = "BTCUSDT", StrategyName = "s" });
        runners.Insert(new RunnerDefinition { RunnerId = "idle", Symbol = "BTCUSDT", StrategyName = "s" });
        // a: equity 1000 → 1100 → 880 → 930: the peak is 1100, the trough after it 880, so (1100 − 880) / 1100 = 20 %.
        Trade(database, "a", 100, 1_000);
        Trade(database, "a", -220, 2_000);
        Trade(database, "a", 50, 3_000);
        // b (the default capital, 10,000): a first loss of 500 is a drawdown from the capital, 5 %; then only gains.
        Trade(database, "b", -500, 1_500);
        Trade(database, "b", 200, 2_500);
        Trade(database, "b", 400, 3_500);

        var stats = new PortfolioRepository(database).TradeStats(since: 2_500, defaultCapital: AccountSettings.Default.InitialCapital)
            .ToDictionary(s => s.RunnerId);
        Assert.Equal(2, stats.Count); // a runner without trades has no line

        var a = stats["a"];
        Assert.Equal((3L, 2L), (a.Trades, a.Wins));
        Assert.Equal(-70, a.RealizedPnl, 9);
        Assert.Equal(50, a.RealizedSince, 9); // only the trade that closed at 3,000 is at or after 2,500
        Assert.Equal(20, a.MaxDrawdownPct, 9);

        var b = stats["b"];
        Assert.Equal((3L, 2L), (b.Trades, b.Wins));
        Assert.Equal(100, b.RealizedPnl, 9);
        Assert.Equal(600, b.RealizedSince, 9); // 2,500 is included
        Assert.Equal(5, b.MaxDrawdownPct, 9);
    }

    [Fact]
    public void Samples_read_back_in_a_range_the_nearest_before_a_time_and_only_the_newest_are_kept()
    {
        var database = new TickrunnerDatabase(_data);
        database.Migrate();
        var samples = new PortfolioRepository(database);
        Assert.Null(samples.LastBefore(100));
        for (var i = 1; i <= 10; i++) samples.Append(new PortfolioSample(i * 100, 10_000 + i, 10_000, i, 0, i % 2, 1));

        Assert.Equal([300L, 400L, 500L], samples.Samples(300, 500).Select(s => s.At));
        Assert.Equal(400, samples.LastBefore(450)!.At);
        Assert.Equal(500, samples.FirstFrom(450)!.At);
        Assert.Equal(400, samples.FirstFrom(400)!.At);
        Assert.Null(samples.LastBefore(100));
        Assert.Null(samples.FirstFrom(1001));
        Assert.Equal(5, samples.Samples(0, long.MaxValue)[4].Pnl, 9);

        samples.Prune(keep: 4);
        Assert.Equal([700L, 800L, 900L, 1000L], samples.Samples(0, long.MaxValue).Select(s => s.At));
    }

    [Fact]
    public async Task The_portfolio_sums_the_runners_accounts_and_each_line_matches_its_trades()
    {
        await using var server = await RunningServer.StartAsync(dataDirectory: _data,
            settings: new() { ["Tickrunner:Portfolio:SampleIntervalMs"] = "100" });
        await server.UploadStrategyAsync("flipper", TestStrategies.Flipper);
        await server.CreateRunnerAsync("p1", "BTCUSDT", "flipper");
        await server.CreateRunnerAsync("p2", "ETHUSDT", "flipper");
        await Wait.Until(async () =>
        {
            var trades = await Task.WhenAll(server.GetJsonAsync("/api/runners/p1/trades"), server.GetJsonAsync("/api/runners/p2/trades"));
            return trades.All(t => t.GetArrayLength() >= 5);
        }, 30_000, "both runners close five trades");
        foreach (var id in new[] { "p1", "p2" }) Assert.Equal(HttpStatusCode.OK, (await server.Http.PostAsync($"/api/runners/{id}/pause", null)).StatusCode);
        // Paused, the accounts stand still; the journal writes the last trades within a moment.
        await Wait.Until(async () =>
        {
            foreach (var id in new[] { "p1", "p2" })
            {
                var realized = (await server.GetJsonAsync($"/api/runners/{id}")).GetProperty("account").GetProperty("realized_pnl").GetDouble();
                var stored = (await server.GetJsonAsync($"/api/runners/{id}/trades")).EnumerateArray().Sum(t => t.GetProperty("realized_pnl").GetDouble());
                if (Math.Abs(realized - stored) > 1e-9) return false;
            }
            return true;
        }, 10_000, "the journal holds every trade");

        var portfolio = await server.GetJsonAsync("/api/portfolio");
        var lines = portfolio.GetProperty("runners").EnumerateArray().ToDictionary(l => l.GetProperty("runner_id").GetString()!);
        Assert.Equal(["p1", "p2"], lines.Keys.Order());
        double equity = 0, capital = 0, realized = 0, unrealized = 0, today = 0;
        var open = 0;
        var dayStart = portfolio.GetProperty("day_start").GetInt64();
        Assert.Equal(0, dayStart % 86_400_000);
        foreach (var id in new[] { "p1", "p2" })
        {
            var snapshot = await server.GetJsonAsync($"/api/runners/{id}");
            var account = snapshot.GetProperty("account");
            var position = snapshot.GetProperty("position");
            // An open position's P&L less the entry fee it paid: with the realized P&L it makes equity less capital.
            var positionPnl = position.ValueKind == JsonValueKind.Null ? 0
                : account.GetProperty("equity").GetDouble() - account.GetProperty("initial_capital").GetDouble() - account.GetProperty("realized_pnl").GetDouble();
            if (position.ValueKind != JsonValueKind.Null)
                Assert.Equal(position.GetProperty("unrealized_pnl").GetDouble() - position.GetProperty("entry_fee").GetDouble(), positionPnl, 9);
            equity += account.GetProperty("equity").GetDouble();
            capital += account.GetProperty("initial_capital").GetDouble();
            realized += account.GetProperty("realized_pnl").GetDouble();
            unrealized += positionPnl;
            if (position.ValueKind != JsonValueKind.Null) open++;

            // The line from its trades, by definition: count, share won, and the closed-trade equity's deepest fall from its peak.
            var trades = (await server.GetJsonAsync($"/api/runners/{id}/trades")).EnumerateArray().ToList();
            var line = lines[id];
            Assert.Equal(trades.Count, line.GetProperty("trades").GetInt64());
            Assert.Equal(trades.Count(t => t.GetProperty("realized_pnl").GetDouble() > 0) / (double)trades.Count, line.GetProperty("win_rate").GetDouble(), 12);
            double curve = account.GetProperty("initial_capital").GetDouble(), peak = curve, deepest = 0;
            foreach (var t in trades)
            {
                curve += t.GetProperty("realized_pnl").GetDouble();
                peak = Math.Max(peak, curve);
                deepest = Math.Max(deepest, (peak - curve) / peak * 100);
                if (t.GetProperty("exit_timestamp").GetInt64() >= dayStart) today += t.GetProperty("realized_pnl").GetDouble();
            }
            Assert.Equal(deepest, line.GetProperty("max_drawdown_pct").GetDouble(), 9);
            Assert.Equal(account.GetProperty("realized_pnl").GetDouble(), line.GetProperty("realized_pnl").GetDouble(), 12);
            Assert.Equal("paused", line.GetProperty("status").GetString());
        }
        Assert.Equal(2, portfolio.GetProperty("runners_count").GetInt32());
        Assert.Equal(open, portfolio.GetProperty("open_positions").GetInt32());
        Assert.Equal(equity, portfolio.GetProperty("equity").GetDouble(), 9);
        Assert.Equal(capital, portfolio.GetProperty("initial_capital").GetDouble(), 9);
        Assert.Equal(realized, portfolio.GetProperty("realized_pnl").GetDouble(), 9);
        Assert.Equal(unrealized, portfolio.GetProperty("unrealized_pnl").GetDouble(), 9);
        Assert.Equal(equity - capital, portfolio.GetProperty("pnl").GetDouble(), 9);
        // Every trade of this run closed today and no sample was taken before 00:00 UTC: the day counts from the server's first
        // sample, taken as it started, before any position was open.
        Assert.Equal(0, new PortfolioRepository(new TickrunnerDatabase(server.DataDirectory)).FirstFrom(dayStart)!.UnrealizedPnl);
        Assert.Equal(today + unrealized, portfolio.GetProperty("pnl_today").GetDouble(), 9);

        // A sample of two days ago says nothing of midnight: the day counts from the server's first sample of it.
        var stored = new PortfolioRepository(new TickrunnerDatabase(server.DataDirectory));
        var firstToday = stored.FirstFrom(dayStart)!;
        stored.Append(new PortfolioSample(dayStart - 2 * 86_400_000, 10_003, 10_000, 0, 3, 1, 2));
        var stale = await server.GetJsonAsync("/api/portfolio");
        Assert.Equal(today + unrealized - firstToday.UnrealizedPnl, stale.GetProperty("pnl_today").GetDouble(), 9);

        // A position open at 00:00 UTC had made 7.5 by then (a sample just before midnight says so): that part is yesterday's.
        stored.Append(new PortfolioSample(dayStart - 100, 10_007.5, 10_000, 0, 7.5, 1, 2));
        var later = await server.GetJsonAsync("/api/portfolio");
        Assert.Equal(today + unrealized - 7.5, later.GetProperty("pnl_today").GetDouble(), 9);
    }

    [Fact]
    public async Task The_curve_grows_with_samples_thins_to_the_points_asked_and_refuses_a_bad_query()
    {
        await using var server = await RunningServer.StartAsync(dataDirectory: _data,
            settings: new() { ["Tickrunner:Portfolio:SampleIntervalMs"] = "100" });
        await server.CreateRunnerAsync("c1");
        JsonElement curve = default;
        await Wait.Until(async () =>
        {
            curve = await server.GetJsonAsync("/api/portfolio/equity");
            return curve.GetProperty("times").GetArrayLength() >= 12;
        }, 20_000, "a dozen samples");
        var times = curve.GetProperty("times").EnumerateArray().Select(t => t.GetInt64()).ToList();
        Assert.Equal(times.Order(), times);
        var equity = curve.GetProperty("equity").EnumerateArray().Select(e => e.GetDouble()).ToList();
        var capital = curve.GetProperty("capital").EnumerateArray().Select(e => e.GetDouble()).ToList();
        var pnl = curve.GetProperty("pnl").EnumerateArray().Select(e => e.GetDouble()).ToList();
        Assert.Equal(times.Count, equity.Count);
        for (var i = 0; i < pnl.Count; i++) Assert.Equal(equity[i] - capital[i], pnl[i], 9);
        Assert.Equal(10_000, capital[^1]); // one runner, created before the first sample with its default capital

        var thin = await server.GetJsonAsync($"/api/portfolio/equity?to={times[^1]}&points=4");
        var thinTimes = thin.GetProperty("times").EnumerateArray().Select(t => t.GetInt64()).ToList();
        Assert.Equal(4, thinTimes.Count);
        Assert.Equal(times[0], thinTimes[0]);
        Assert.Equal(times[^1], thinTimes[^1]);

        var ranged = await server.GetJsonAsync($"/api/portfolio/equity?from={times[2]}&to={times[4]}");
        Assert.Equal(times.Skip(2).Take(3), ranged.GetProperty("times").EnumerateArray().Select(t => t.GetInt64()));

        foreach (var (query, field) in new[] { ("points=1", "points"), ("from=abc", "from"), ("from=10&to=5", "to") })
        {
            var response = await server.Http.GetAsync($"/api/portfolio/equity?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{query}: {problem}");
        }
    }
}
