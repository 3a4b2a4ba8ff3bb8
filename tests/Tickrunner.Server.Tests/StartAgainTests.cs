using System.Net;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

/// <summary><c>POST /api/runners/{id}/start</c>: a stopped runner runs again, its trades, position, context and account kept.</summary>
public sealed class StartAgainTests
{
    [Fact]
    public async Task A_stopped_runner_starts_again_with_its_position_context_account_and_trades_on_the_current_code()
    {
        await using var server = await RunningServer.StartAsync();
        await server.UploadStrategyAsync("holder", PersistenceTests.Holder);
        await server.UploadStrategyAsync("flipper", PersistenceTests.Flipper);
        await server.CreateRunnerAsync("h", "BTCUSDT", "holder");
        await server.CreateRunnerAsync("f", "ETHUSDT", "flipper");
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/h")).GetProperty("state").GetString() == "InPosition", what: "h in position");
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/f/trades")).GetArrayLength() >= 2, what: "two trades");

        Assert.True((await server.PostJsonAsync("/api/runners/h/stop", "")).IsSuccessStatusCode);
        Assert.True((await server.PostJsonAsync("/api/runners/f/stop", "")).IsSuccessStatusCode);
        var before = await server.GetJsonAsync("/api/runners/h");
        var fBefore = await server.GetJsonAsync("/api/runners/f");
        var tradesBefore = (await server.GetJsonAsync("/api/runners/f/trades")).GetArrayLength();
        Assert.Equal("stopped", before.GetProperty("status").GetString());

        // A new version of the code between stop and start is what the runner starts on.
        using (var put = await server.PutJsonAsync("/api/strategies/holder",
            JsonSerializer.Serialize(new { code = PersistenceTests.Holder.Replace("ctx.calls = ctx.calls + 1\n  if ctx.ratio", "ctx.calls = ctx.calls + 1\n  ctx.v2 = true\n  if ctx.ratio") }))) 
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());

        await AssertResumedOnTheNewCode(server, "start", before);

        using (var startedF = await server.PostJsonAsync("/api/runners/f/start", ""))
            Assert.Equal(HttpStatusCode.OK, startedF.StatusCode);
        var fAfter = await server.GetJsonAsync("/api/runners/f");
        Assert.Equal(fBefore.GetProperty("account").GetProperty("realized_pnl").GetDouble(), fAfter.GetProperty("account").GetProperty("realized_pnl").GetDouble(), 9);
        Assert.True((await server.GetJsonAsync("/api/runners/f/trades")).GetArrayLength() >= tradesBefore, "its trades are kept");
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/f/trades")).GetArrayLength() > tradesBefore, what: "f trades again");

        // Stored as running: it comes back running after a restart.
        var stored = new Storage.RunnerRepository(new Storage.TickrunnerDatabase(server.DataDirectory)).List();
        Assert.All(stored, r => Assert.Equal(Engine.Runners.RunnerStatus.Running, r.Restore.Status));
    }

    // The runner h of the holder strategy answers `verb` running, in the same position with its context and account,
    // then runs the edited code (it sets ctx.v2).
    internal static async Task AssertResumedOnTheNewCode(RunningServer server, string verb, JsonElement before)
    {
        using var response = await server.PostJsonAsync($"/api/runners/h/{verb}", "");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var after = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("running", after.GetProperty("status").GetString());
        Assert.Equal("InPosition", after.GetProperty("state").GetString());
        Assert.Equal(before.GetProperty("position").GetProperty("entry_price").GetDouble(), after.GetProperty("position").GetProperty("entry_price").GetDouble());
        Assert.True(after.GetProperty("context").GetProperty("calls").GetInt64() >= before.GetProperty("context").GetProperty("calls").GetInt64());
        Assert.Equal(before.GetProperty("account").GetProperty("fees_paid").GetDouble(), after.GetProperty("account").GetProperty("fees_paid").GetDouble(), 9);
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/h")).GetProperty("context").TryGetProperty("v2", out _), what: "the new code runs");
    }

    [Fact]
    public async Task Only_a_stopped_runner_starts_and_one_whose_code_no_longer_loads_stays_stopped()
    {
        await using var server = await RunningServer.StartAsync();
        await server.UploadStrategyAsync("holder", PersistenceTests.Holder);
        await server.CreateRunnerAsync("r", "BTCUSDT", "holder");
        using (var running = await server.PostJsonAsync("/api/runners/r/start", ""))
        {
            Assert.Equal(HttpStatusCode.Conflict, running.StatusCode);
            Assert.Contains("only a stopped runner", await running.Content.ReadAsStringAsync());
        }
        Assert.True((await server.PostJsonAsync("/api/runners/r/pause", "")).IsSuccessStatusCode);
        using (var paused = await server.PostJsonAsync("/api/runners/r/start", ""))
        {
            Assert.Equal(HttpStatusCode.Conflict, paused.StatusCode);
            Assert.Contains("resume", await paused.Content.ReadAsStringAsync());
        }
        using (var missing = await server.PostJsonAsync("/api/runners/nobody/start", ""))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        Assert.True((await server.PostJsonAsync("/api/runners/r/stop", "")).IsSuccessStatusCode);
        Assert.True((await server.PostJsonAsync("/api/runners/r/start", "")).IsSuccessStatusCode);
        Assert.True((await server.PostJsonAsync("/api/runners/r/stop", "")).IsSuccessStatusCode); // stopped again, started again: fine

        // The runner's stored value no longer fits the new code's declaration: it stays stopped, the same instance.
        const string Sized = """
            params = { size = { default = 0.1, min = 0.01, max = 1, step = 0.01 } }
            function detect_opportunity() return nil end
            function filter_commitment() return nil end
            function manage_position() return nil end
            """;
        await server.UploadStrategyAsync("sized", Sized);
        Assert.True((await server.PostJsonAsync("/api/runners", """{"runner_id":"s","symbol":"ETHUSDT","strategy_name":"sized","params":{"size":0.5}}""")).IsSuccessStatusCode);
        Assert.True((await server.PostJsonAsync("/api/runners/s/stop", "")).IsSuccessStatusCode);
        using (var put = await server.PutJsonAsync("/api/strategies/sized", JsonSerializer.Serialize(new { code = Sized.Replace("max = 1,", "max = 0.2,") })))
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var engine = (Engine.Runners.TradingEngine)server.Services.GetService(typeof(Engine.Runners.TradingEngine))!;
        Assert.True(engine.TryGetRunner("s", out var old));
        using var refused = await server.PostJsonAsync("/api/runners/s/start", "");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("params.size", await refused.Content.ReadAsStringAsync());
        Assert.Equal("stopped", (await server.GetJsonAsync("/api/runners/s")).GetProperty("status").GetString());
        Assert.True(engine.TryGetRunner("s", out var still) && ReferenceEquals(old, still), "the stopped instance is untouched");
    }
}

/// <summary><c>POST /api/runners/{id}/reload</c>: hot reload of a running runner onto its strategy's current code.</summary>
public sealed class HotReloadTests
{
    [Fact]
    public async Task A_running_runner_goes_on_with_the_new_code_keeping_position_context_account_and_status()
    {
        await using var server = await RunningServer.StartAsync();
        await server.UploadStrategyAsync("holder", PersistenceTests.Holder);
        await server.CreateRunnerAsync("h", "BTCUSDT", "holder");
        await server.CreateRunnerAsync("p", "ETHUSDT", "holder");
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/h")).GetProperty("state").GetString() == "InPosition", what: "h in position");
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/p")).GetProperty("state").GetString() == "InPosition", what: "p in position");
        Assert.True((await server.PostJsonAsync("/api/runners/p/pause", "")).IsSuccessStatusCode);
        var before = await server.GetJsonAsync("/api/runners/h");

        using (var put = await server.PutJsonAsync("/api/strategies/holder",
            JsonSerializer.Serialize(new { code = PersistenceTests.Holder.Replace("ctx.calls = ctx.calls + 1\n  if ctx.ratio", "ctx.calls = ctx.calls + 1\n  ctx.v2 = true\n  if ctx.ratio") })))
            Assert.True(put.IsSuccessStatusCode);
        // Saving alone changes nothing for a running runner: it runs the code it loaded.
        await Task.Delay(300);
        Assert.False((await server.GetJsonAsync("/api/runners/h")).GetProperty("context").TryGetProperty("v2", out _));

        await StartAgainTests.AssertResumedOnTheNewCode(server, "reload", before);

        // A paused runner stays paused on the new code.
        using (var paused = await server.PostJsonAsync("/api/runners/p/reload", ""))
            Assert.Equal("paused", JsonDocument.Parse(await paused.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        Assert.True((await server.PostJsonAsync("/api/runners/p/stop", "")).IsSuccessStatusCode);
        using (var stopped = await server.PostJsonAsync("/api/runners/p/reload", ""))
        {
            Assert.Equal(HttpStatusCode.Conflict, stopped.StatusCode);
            Assert.Contains("start it", await stopped.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_reload_whose_values_no_longer_fit_leaves_the_runner_running_on_the_old_code()
    {
        await using var server = await RunningServer.StartAsync();
        const string Sized = """
            params = { size = { default = 0.1, min = 0.01, max = 1, step = 0.01 } }
            function detect_opportunity(md, ctx) ctx.n = (ctx.n or 0) + 1 return nil end
            function filter_commitment() return nil end
            function manage_position() return nil end
            """;
        await server.UploadStrategyAsync("sized", Sized);
        Assert.True((await server.PostJsonAsync("/api/runners", """{"runner_id":"s","symbol":"ETHUSDT","strategy_name":"sized","params":{"size":0.5}}""")).IsSuccessStatusCode);
        // Its first bar, so that its context holds n (a reload refused before any bar found none to read).
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/s")).GetProperty("context").TryGetProperty("n", out _), what: "a first bar");
        using (var put = await server.PutJsonAsync("/api/strategies/sized", JsonSerializer.Serialize(new { code = Sized.Replace("max = 1,", "max = 0.2,") })))
            Assert.True(put.IsSuccessStatusCode);
        using var refused = await server.PostJsonAsync("/api/runners/s/reload", "");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var n = (await server.GetJsonAsync("/api/runners/s")).GetProperty("context").GetProperty("n").GetInt64();
        Assert.Equal("running", (await server.GetJsonAsync("/api/runners/s")).GetProperty("status").GetString());
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/s")).GetProperty("context").GetProperty("n").GetInt64() > n, what: "still ticking");
    }
}
