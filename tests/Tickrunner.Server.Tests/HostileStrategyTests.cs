using System.Net;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

/// <summary>Hostile uploaded strategies beside the demo runners, on the real server.</summary>
public sealed class HostileStrategyTests
{
    private const string Endless = HostileStrategies.Endless;

    // Cubic backtracking in one string.find call.
    private const string Backtracking = """
        function detect_opportunity(md, ctx)
          local found = string.find(string.rep('a', 100000), '.-.-b')
          return found
        end
        function filter_commitment() end
        function manage_position() end
        """;

    // A 12 MiB context string, a 6 MiB exit reason on each of three trades, then a 12 MiB error on every tick.
    private const string Flooding = """
        local big = string.rep('e', 12 * 1024 * 1024)
        local reason = string.rep('r', 6 * 1024 * 1024)
        function detect_opportunity(md, ctx)
          ctx.big = big
          return {}
        end
        function filter_commitment(md, ctx)
          return { action = 'enter_long', price = md.close, quantity = 0.1 }
        end
        function manage_position(md, ctx)
          ctx.trades = (ctx.trades or 0) + 1
          if ctx.trades > 3 then error(big) end
          return { action = 'exit', price = md.close, reason = reason }
        end
        """;

    private static Dictionary<string, string?> Settings(string wallClockMs) => new()
    {
        ["Tickrunner:Demo:Enabled"] = "true",
        ["Tickrunner:Sandbox:InstructionBudget"] = "2000000000",
        ["Tickrunner:Sandbox:MemoryLimitMb"] = "64",
        ["Tickrunner:Sandbox:WallClockLimitMs"] = wallClockMs,
    };

    private static async Task<long> TicksOf(RunningServer server, string id) =>
        (await server.GetJsonAsync($"/api/runners/{id}")).GetProperty("stats").GetProperty("ticks_processed").GetInt64();

    [Fact]
    public async Task Two_runaway_strategies_are_stopped_while_the_demo_runners_keep_trading_and_stay_stopped_after_a_restart()
    {
        using var data = new TempDirectory("tickrunner-hostile-");
        await using (var server = await RunningServer.StartAsync(Settings("800"), data))
        {
            await server.UploadStrategyAsync("endless", Endless);
            await server.UploadStrategyAsync("backtracking", Backtracking);
            await server.CreateRunnerAsync("evil1", strategy: "endless");
            await server.CreateRunnerAsync("evil2", strategy: "backtracking");
            var before = await TicksOf(server, "btc_ema");

            foreach (var id in new[] { "evil1", "evil2" })
            {
                await Wait.Until(async () => (await server.GetJsonAsync($"/api/runners/{id}")).GetProperty("status").GetString() == "stopped",
                    what: $"{id} to stop");
            }
            var events = await server.GetJsonAsync("/api/runners/evil1/events");
            Assert.Contains(events.EnumerateArray(), e => e.TryGetProperty("Error", out var error)
                && error.GetProperty("severity").GetString() == "Critical"
                && error.GetProperty("error").GetString()!.Contains("endless.lua:3: ran longer than the wall-clock limit of 800 ms"));
            var backtracked = await server.GetJsonAsync("/api/runners/evil2/events");
            Assert.True(backtracked.EnumerateArray().Any(e => e.TryGetProperty("Error", out var error)
                && error.GetProperty("error").GetString()!.Contains("backtracking.lua:2: ")), backtracked.ToString());

            // The demo runners went on trading the whole time, and every runner is listed and answering.
            await Wait.Until(async () => await TicksOf(server, "btc_ema") > before + 10, what: "demo ticks");
            var listing = await server.GetJsonAsync("/api/runners");
            Assert.Equal(6, listing.GetArrayLength());
            var health = await server.GetJsonAsync("/api/health");
            Assert.Equal("ok", health.GetProperty("status").GetString());
            Assert.Equal(0, health.GetProperty("engine").GetProperty("unresponsive_runners").GetArrayLength());
        }

        // Restored stopped: a restart does not run them again.
        await using (var again = await RunningServer.StartAsync(Settings("800"), data))
        {
            foreach (var id in new[] { "evil1", "evil2" })
                Assert.Equal("stopped", (await again.GetJsonAsync($"/api/runners/{id}")).GetProperty("status").GetString());
            Assert.Equal("running", (await again.GetJsonAsync("/api/runners/btc_ema")).GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Huge_strings_from_a_strategy_do_not_grow_memory_the_database_or_the_responses()
    {
        await using var server = await RunningServer.StartAsync(Settings("1000"));
        await server.UploadStrategyAsync("flooding", Flooding);
        await server.CreateRunnerAsync("flood", strategy: "flooding");
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);

        // Trades with 6 MiB reasons, then a 12 MiB error on every tick.
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/flood/trades")).GetArrayLength() >= 3, what: "trades");
        var http = await server.Http.PostAsync("/api/runners/flood/pause", null);
        Assert.Equal(HttpStatusCode.OK, http.StatusCode);
        var trades = await server.GetJsonAsync("/api/runners/flood/trades");
        Assert.All(trades.EnumerateArray(), t => Assert.True(t.GetProperty("reason").GetString()!.Length < 400));

        // The runners listing carries the context cut to size, not 12 MiB per runner.
        var listing = await server.Http.GetStringAsync("/api/runners");
        Assert.True(listing.Length < 64 * 1024, $"listing of {listing.Length:N0} chars");
        var snapshot = await server.GetJsonAsync("/api/runners/flood");
        Assert.Contains("truncated from 12,582,912 bytes", snapshot.GetProperty("context").GetProperty("big").GetString());

        var growth = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;
        Assert.True(growth < 100L * 1024 * 1024, $"managed memory grew by {growth:N0} bytes");
        var database = new DirectoryInfo(server.DataDirectory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        Assert.True(database < 16L * 1024 * 1024, $"data directory holds {database:N0} bytes");
    }
}
