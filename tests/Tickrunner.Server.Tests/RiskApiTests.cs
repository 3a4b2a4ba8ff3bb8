using System.Net;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

/// <summary>
/// Risk over the API: a runner's limits in the create body, the snapshot and <c>PATCH /api/runners/{id}/risk</c>, kept over a
/// restart with the guard's state; the kill switch at <c>/api/engine</c> across a restart; the limits across runners from
/// configuration; manual entries and exits on every state.
/// </summary>
public sealed class RiskApiTests
{
    private const string Passive = TestStrategies.Passive;

    private static string Create(string id, string strategy, string risk = "", string symbol = "BTCUSDT") =>
        $$"""{"runner_id":"{{id}}","symbol":"{{symbol}}","strategy_name":"{{strategy}}"{{(risk.Length > 0 ? ",\"risk\":" + risk : "")}}}""";

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static async Task<HttpResponseMessage> Patch(RunningServer server, string path, string json) =>
        await server.Http.PatchAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    private static long Rejections(JsonElement snapshot, string limit) =>
        snapshot.GetProperty("risk").GetProperty("rejections").TryGetProperty(limit, out var n) ? n.GetInt64() : 0;

    [Fact]
    public async Task A_runner_created_with_limits_shows_them_and_its_refusals_in_the_snapshot_and_on_the_stream()
    {
        await using var server = await RunningServer.StartAsync();
        await server.UploadStrategyAsync("holder", PersistenceTests.Holder);
        using var socket = await server.ConnectAsync("type=RiskLimitHit");
        using (var created = await server.PostJsonAsync("/api/runners",
            Create("r", "holder", """{"max_quantity":0.05,"daily_loss_limit":500,"flatten_on_daily_loss":true}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var risk = (await Json(created)).GetProperty("risk");
            Assert.Equal(0.05, risk.GetProperty("limits").GetProperty("max_quantity").GetDouble());
            Assert.Equal(500, risk.GetProperty("limits").GetProperty("daily_loss_limit").GetDouble());
            Assert.True(risk.GetProperty("limits").GetProperty("flatten_on_daily_loss").GetBoolean());
            Assert.False(risk.GetProperty("entries_blocked").GetBoolean());
        }
        var hit = await socket.ReceiveUntilAsync(m => m.Tag() == "RiskLimitHit");
        Assert.NotNull(hit);
        var payload = hit.Value.Payload();
        Assert.Equal(("r", "max_quantity", 0.1, 0.05, "enter_long"), (payload.GetProperty("runner_id").GetString(), payload.GetProperty("limit").GetString(),
            payload.GetProperty("value").GetDouble(), payload.GetProperty("threshold").GetDouble(), payload.GetProperty("action").GetString()));
        var snapshot = await server.GetJsonAsync("/api/runners/r");
        Assert.True(Rejections(snapshot, "max_quantity") >= 1);
        Assert.True(snapshot.GetProperty("stats").GetProperty("actions_rejected").GetInt64() >= 1);
        Assert.NotEqual("InPosition", snapshot.GetProperty("state").GetString());

        await server.CreateRunnerAsync("plain", "ETHUSDT", "holder");
        Assert.Equal(JsonValueKind.Null, (await server.GetJsonAsync("/api/runners/plain")).GetProperty("risk").ValueKind);
        using (var empty = await server.PostJsonAsync("/api/runners", Create("empty", "holder", "{}", "SOLUSDT")))
            Assert.Equal(JsonValueKind.Null, (await Json(empty)).GetProperty("risk").ValueKind); // {} is no limits
    }

    [Fact]
    public async Task Bad_limits_are_refused_naming_each_field_and_no_runner_is_made()
    {
        await using var server = await RunningServer.StartAsync();
        using (var bad = await server.PostJsonAsync("/api/runners",
            Create("bad", "ema_crossover", """{"max_quantity":-1,"max_entries_per_hour":0,"max_drawdown_pct":150}""")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType!.MediaType);
            var errors = (await Json(bad)).GetProperty("errors");
            Assert.Equal(["risk.max_drawdown_pct", "risk.max_entries_per_hour", "risk.max_quantity"], errors.EnumerateObject().Select(p => p.Name).Order());
            Assert.Contains("max_quantity must be a finite number > 0", errors.GetProperty("risk.max_quantity")[0].GetString());
        }
        using (var wrongType = await server.PostJsonAsync("/api/runners", Create("bad", "ema_crossover", """{"max_quantity":"lots"}""")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
            Assert.True((await Json(wrongType)).GetProperty("errors").TryGetProperty("risk.max_quantity", out _));
        }
        using (var missing = await server.Http.GetAsync("/api/runners/bad"))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_patch_replaces_the_limits_live_and_a_restart_keeps_them_with_the_guards_state()
    {
        var data = Directory.CreateTempSubdirectory("tickrunner-risk-").FullName;
        try
        {
            long refusedBefore;
            await using (var server = await RunningServer.StartAsync(dataDirectory: data))
            {
                await server.UploadStrategyAsync("holder", PersistenceTests.Holder);
                await server.PostJsonAsync("/api/runners", Create("r", "holder", """{"max_quantity":0.05}"""));
                await server.PostJsonAsync("/api/runners", Create("kept", "holder", """{"max_quantity":0.05,"max_entries_per_hour":5}""", "ETHUSDT"));
                await Wait.Until(async () => Rejections(await server.GetJsonAsync("/api/runners/r"), "max_quantity") >= 2, what: "refusals");

                using (var patched = await Patch(server, "/api/runners/r/risk", """{"max_quantity":1,"max_position_notional":1000000000}"""))
                {
                    Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
                    var risk = (await Json(patched)).GetProperty("risk");
                    Assert.Equal(1, risk.GetProperty("limits").GetProperty("max_quantity").GetDouble());
                    Assert.True(risk.GetProperty("rejections").GetProperty("max_quantity").GetInt64() >= 2, "the counts go on");
                }
                await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/r")).GetProperty("state").GetString() == "InPosition", what: "the entry now allowed");
                var inPosition = await server.GetJsonAsync("/api/runners/r");

                using (var removed = await Patch(server, "/api/runners/r/risk", "{}"))
                {
                    var after = await Json(removed);
                    Assert.Equal(JsonValueKind.Null, after.GetProperty("risk").ValueKind);
                    Assert.Equal(inPosition.GetProperty("position").GetProperty("entry_price").GetDouble(), after.GetProperty("position").GetProperty("entry_price").GetDouble());
                }
                using (var nulled = await Patch(server, "/api/runners/r/risk", "null"))
                    Assert.Equal(HttpStatusCode.OK, nulled.StatusCode);
                using (var bad = await Patch(server, "/api/runners/r/risk", """{"daily_loss_limit":0}"""))
                {
                    Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
                    Assert.True((await Json(bad)).GetProperty("errors").TryGetProperty("daily_loss_limit", out _));
                }
                using (var nobody = await Patch(server, "/api/runners/nobody/risk", "{}"))
                    Assert.Equal(HttpStatusCode.NotFound, nobody.StatusCode);
                using (var again = await Patch(server, "/api/runners/r/risk", """{"max_drawdown_pct":50}"""))
                    Assert.Equal(HttpStatusCode.OK, again.StatusCode);

                await Wait.Until(async () => Rejections(await server.GetJsonAsync("/api/runners/kept"), "max_quantity") >= 2, what: "kept's refusals");
                refusedBefore = Rejections(await server.GetJsonAsync("/api/runners/kept"), "max_quantity");
            }

            // What the shutdown's checkpoint stored: the limits and the guard's counts, as the next start reads them.
            var stored = new Storage.RunnerRepository(new Storage.TickrunnerDatabase(data)).List().ToDictionary(r => r.Definition.RunnerId);
            Assert.Equal(0.05, stored["kept"].Definition.Risk!.MaxQuantity);
            Assert.True(stored["kept"].Restore.Risk!.Rejections[(int)Engine.Trading.RiskLimit.MaxQuantity] >= refusedBefore);
            Assert.Equal(50, stored["r"].Definition.Risk!.MaxDrawdownPct);

            await using (var restarted = await RunningServer.StartAsync(dataDirectory: data))
            {
                var r = await restarted.GetJsonAsync("/api/runners/r");
                Assert.Equal(50, r.GetProperty("risk").GetProperty("limits").GetProperty("max_drawdown_pct").GetDouble());
                Assert.Equal(JsonValueKind.Null, r.GetProperty("risk").GetProperty("limits").GetProperty("max_quantity").ValueKind);
                Assert.Equal("InPosition", r.GetProperty("state").GetString());
                var kept = await restarted.GetJsonAsync("/api/runners/kept");
                Assert.Equal(5, kept.GetProperty("risk").GetProperty("limits").GetProperty("max_entries_per_hour").GetInt32());
                Assert.True(Rejections(kept, "max_quantity") >= refusedBefore, $"{Rejections(kept, "max_quantity")} < {refusedBefore}: the guard's counts were not kept");
            }
        }
        finally
        {
            TempDirectory.Delete(data);
        }
    }

    [Fact]
    public async Task A_halt_with_flatten_closes_positions_refuses_entries_survives_a_restart_and_a_resume_lifts_it()
    {
        var data = Directory.CreateTempSubdirectory("tickrunner-halt-").FullName;
        try
        {
            await using (var server = await RunningServer.StartAsync(dataDirectory: data))
            {
                await server.UploadStrategyAsync("holder", PersistenceTests.Holder);
                await server.CreateRunnerAsync("h", "BTCUSDT", "holder");
                await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/h")).GetProperty("state").GetString() == "InPosition", what: "in position");
                var before = await server.GetJsonAsync("/api/engine");
                Assert.False(before.GetProperty("halted").GetBoolean());
                Assert.Equal(1, before.GetProperty("open_positions").GetInt32());

                using var socket = await server.ConnectAsync("type=EngineHalted,EngineResumed,RiskLimitHit");
                using (var halted = await server.PostJsonAsync("/api/engine/halt", """{"flatten":true}"""))
                {
                    Assert.Equal(HttpStatusCode.OK, halted.StatusCode);
                    var state = await Json(halted);
                    Assert.True(state.GetProperty("halted").GetBoolean());
                    Assert.True(state.GetProperty("flatten").GetBoolean());
                    Assert.True(state.GetProperty("halted_at").GetInt64() > 0);
                }
                var announced = await socket.ReceiveUntilAsync(m => m.Tag() == "EngineHalted");
                Assert.True(announced!.Value.Payload().GetProperty("flatten").GetBoolean());
                Assert.False(announced.Value.Payload().TryGetProperty("runner_id", out _));
                await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/h/trades")).EnumerateArray().Any(t => t.GetProperty("reason").GetString() == "halt"),
                    what: "the position closed by the halt");
                var refusal = await socket.ReceiveUntilAsync(m => m.Tag() == "RiskLimitHit" && m.Payload().GetProperty("action").GetString() == "enter_long");
                Assert.Equal("halt", refusal!.Value.Payload().GetProperty("limit").GetString());
            }

            await using (var restarted = await RunningServer.StartAsync(dataDirectory: data))
            {
                var state = await restarted.GetJsonAsync("/api/engine");
                Assert.True(state.GetProperty("halted").GetBoolean());
                var rejected = (await restarted.GetJsonAsync("/api/runners/h")).GetProperty("stats").GetProperty("actions_rejected").GetInt64();
                await Wait.Until(async () => (await restarted.GetJsonAsync("/api/runners/h")).GetProperty("stats").GetProperty("actions_rejected").GetInt64() > rejected,
                    what: "entries refused after the restart");
                Assert.NotEqual("InPosition", (await restarted.GetJsonAsync("/api/runners/h")).GetProperty("state").GetString());

                using var socket = await restarted.ConnectAsync("type=EngineResumed");
                using (var resumed = await restarted.PostJsonAsync("/api/engine/resume", ""))
                {
                    Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
                    Assert.False((await Json(resumed)).GetProperty("halted").GetBoolean());
                }
                Assert.NotNull(await socket.ReceiveUntilAsync(m => m.Tag() == "EngineResumed"));
                await Wait.Until(async () => (await restarted.GetJsonAsync("/api/runners/h")).GetProperty("state").GetString() == "InPosition", what: "entries again");
            }

            await using (var third = await RunningServer.StartAsync(dataDirectory: data))
                Assert.False((await third.GetJsonAsync("/api/engine")).GetProperty("halted").GetBoolean());
        }
        finally
        {
            TempDirectory.Delete(data);
        }
    }

    [Fact]
    public async Task The_limits_across_runners_come_from_configuration()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Tickrunner:Risk:MaxOpenPositions"] = "1" });
        await server.UploadStrategyAsync("holder", PersistenceTests.Holder);
        await server.CreateRunnerAsync("a", "BTCUSDT", "holder");
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/a")).GetProperty("state").GetString() == "InPosition", what: "a in position");
        await server.CreateRunnerAsync("b", "ETHUSDT", "holder");
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/b")).GetProperty("stats").GetProperty("actions_rejected").GetInt64() >= 1,
            what: "b refused");
        Assert.NotEqual("InPosition", (await server.GetJsonAsync("/api/runners/b")).GetProperty("state").GetString());
        var engine = await server.GetJsonAsync("/api/engine");
        Assert.Equal((1, 1), (engine.GetProperty("open_positions").GetInt32(), engine.GetProperty("max_open_positions").GetInt32()));
        Assert.Equal(JsonValueKind.Null, engine.GetProperty("max_total_notional").ValueKind);
        Assert.True(engine.GetProperty("total_notional").GetDouble() > 0);

        // The same figures for monitoring, and the kill switch.
        var scrape = await MetricsScrape.TakeAsync(server);
        Assert.Equal((1.0, 0.0), (scrape["tickrunner_open_positions"], scrape["tickrunner_engine_halted"]));
        Assert.True(scrape["tickrunner_open_notional"] > 0);
        Assert.True((await server.PostJsonAsync("/api/engine/halt", "{}")).IsSuccessStatusCode);
        Assert.Equal(1.0, (await MetricsScrape.TakeAsync(server))["tickrunner_engine_halted"]);
    }

    [Fact]
    public async Task Manual_entries_and_exits_are_queued_for_the_next_bar_or_refused_by_the_runners_state()
    {
        await using var server = await RunningServer.StartAsync();
        await server.UploadStrategyAsync("passive", Passive);
        await server.CreateRunnerAsync("m", "BTCUSDT", "passive");

        using (var noPosition = await server.PostJsonAsync("/api/runners/m/exit", ""))
        {
            Assert.Equal(HttpStatusCode.Conflict, noPosition.StatusCode);
            Assert.Contains("exit is not valid in state Idle", (await Json(noPosition)).GetProperty("detail").GetString());
        }
        using (var badSide = await server.PostJsonAsync("/api/runners/m/enter", """{"side":"up","quantity":0}"""))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badSide.StatusCode);
            var errors = (await Json(badSide)).GetProperty("errors");
            Assert.True(errors.TryGetProperty("side", out _) && errors.TryGetProperty("quantity", out _));
        }
        using (var nobody = await server.PostJsonAsync("/api/runners/nobody/enter", """{"side":"long","quantity":0.01}"""))
            Assert.Equal(HttpStatusCode.NotFound, nobody.StatusCode);

        using (var entered = await server.PostJsonAsync("/api/runners/m/enter", """{"side":"long","quantity":0.01,"stop_loss":1,"take_profit":10000000}"""))
        {
            Assert.Equal(HttpStatusCode.Accepted, entered.StatusCode);
            var body = await Json(entered);
            Assert.Equal(("m", "enter_long", "queued"), (body.GetProperty("runner_id").GetString(), body.GetProperty("action").GetString(), body.GetProperty("status").GetString()));
        }
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/m")).GetProperty("state").GetString() == "InPosition", what: "the manual entry");
        var position = (await server.GetJsonAsync("/api/runners/m")).GetProperty("position");
        Assert.Equal((0.01, 1.0), (position.GetProperty("quantity").GetDouble(), position.GetProperty("stop_loss").GetDouble()));
        using (var twice = await server.PostJsonAsync("/api/runners/m/enter", """{"side":"short","quantity":0.01}"""))
        {
            Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
            Assert.Contains("not valid in state InPosition", (await Json(twice)).GetProperty("detail").GetString());
        }

        using (var exited = await server.PostJsonAsync("/api/runners/m/exit", ""))
            Assert.Equal(HttpStatusCode.Accepted, exited.StatusCode);
        await Wait.Until(async () => (await server.GetJsonAsync("/api/runners/m/trades")).GetArrayLength() == 1, what: "the manual exit");
        Assert.Equal("manual", (await server.GetJsonAsync("/api/runners/m/trades"))[0].GetProperty("reason").GetString());

        Assert.True((await server.PostJsonAsync("/api/runners/m/pause", "")).IsSuccessStatusCode);
        using (var paused = await server.PostJsonAsync("/api/runners/m/enter", """{"side":"long","quantity":0.01}"""))
        {
            Assert.Equal(HttpStatusCode.Conflict, paused.StatusCode);
            Assert.Contains("paused", (await Json(paused)).GetProperty("detail").GetString());
        }
        Assert.True((await server.PostJsonAsync("/api/runners/m/stop", "")).IsSuccessStatusCode);
        using (var stopped = await server.PostJsonAsync("/api/runners/m/exit", ""))
        {
            Assert.Equal(HttpStatusCode.Conflict, stopped.StatusCode);
            Assert.Contains("stopped", (await Json(stopped)).GetProperty("detail").GetString());
        }

        // Each request, refused or not, is in the audit log with its runner.
        var audit = (await server.GetJsonAsync("/api/audit?limit=1000")).EnumerateArray()
            .Select(r => (r.GetProperty("action").GetString(), r.GetProperty("target").GetString(), r.GetProperty("status").GetInt32())).ToList();
        Assert.Contains(("POST /api/runners/{id}/enter", "m", 202), audit);
        Assert.Contains(("POST /api/runners/{id}/enter", "m", 409), audit);
        Assert.Contains(("POST /api/runners/{id}/exit", "m", 202), audit);
        Assert.Contains(("POST /api/runners/{id}/exit", "m", 409), audit);
    }

    [Fact]
    public async Task A_backtest_takes_the_same_limits_and_names_a_bad_one_under_risk()
    {
        await using var server = await RunningServer.StartAsync();
        await server.UploadOkAsync(BarCsv.RandomWalk(600, 1_704_067_200_000, 3_600_000, volatility: 2.5), "risk-bt");
        var id = await server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "risk-bt", risk = new { max_quantity = 1e-9 } });
        var done = await server.WaitForAsync(id, "done", "failed", "cancelled");
        var report = done.GetProperty("report");
        Assert.True(report.GetProperty("risk_rejections").GetProperty("max_quantity").GetInt64() > 0);
        Assert.Equal(0, report.GetProperty("trades").GetInt32());
        Assert.Equal(1e-9, done.GetProperty("settings").GetProperty("risk").GetProperty("max_quantity").GetDouble());

        using var bad = await server.PostJsonAsync("/api/backtests", """{"strategy_name":"ema_crossover","dataset":"risk-bt","risk":{"max_entries_per_hour":0}}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await Json(bad)).GetProperty("errors").TryGetProperty("risk.max_entries_per_hour", out _));

        // An optimization's trials are backtests with the same limits.
        using (var badSearch = await server.PostJsonAsync("/api/optimizations",
            """{"strategy_name":"ema_crossover","dataset":"risk-bt","method":"random","trials":2,"risk":{"max_quantity":-1}}"""))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badSearch.StatusCode);
            Assert.True((await Json(badSearch)).GetProperty("errors").TryGetProperty("risk.max_quantity", out _));
        }
        using var search = await server.PostJsonAsync("/api/optimizations",
            """{"strategy_name":"ema_crossover","dataset":"risk-bt","method":"random","trials":2,"risk":{"max_quantity":1e-9}}""");
        Assert.Equal(HttpStatusCode.Accepted, search.StatusCode);
        var optimization = (await Json(search)).GetProperty("id").GetString();
        var stored = await server.GetJsonAsync($"/api/optimizations/{optimization}");
        Assert.Equal(1e-9, stored.GetProperty("settings").GetProperty("backtest").GetProperty("risk").GetProperty("max_quantity").GetDouble());
    }

    [Fact]
    public async Task A_stream_filtered_by_runner_still_hears_the_kill_switch()
    {
        await using var server = await RunningServer.StartAsync();
        using var socket = await server.ConnectAsync("runner_id=someone");
        Assert.True((await server.PostJsonAsync("/api/engine/halt", "")).IsSuccessStatusCode);
        var halted = await socket.ReceiveUntilAsync(m => m.Tag() == "EngineHalted");
        Assert.NotNull(halted);
        Assert.False(halted.Value.Payload().GetProperty("flatten").GetBoolean());
        Assert.True((await server.PostJsonAsync("/api/engine/resume", "")).IsSuccessStatusCode);
        Assert.NotNull(await socket.ReceiveUntilAsync(m => m.Tag() == "EngineResumed"));
        using var again = await server.PostJsonAsync("/api/engine/resume", "");
        Assert.False((await Json(again)).GetProperty("halted").GetBoolean()); // resuming a running engine changes nothing
    }
}
