using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Tickrunner.Server.Tests;

public sealed class PersistenceTests : IDisposable
{
    private readonly TempDirectory _data = new("tickrunner-persist-");

    public void Dispose() => _data.Dispose();

    // Enters once and holds (stop and target far away); counts its calls in context.
    internal const string Holder = """
        function detect_opportunity(md, ctx, ind) ctx.calls = (ctx.calls or 0) + 1; return { armed = true } end
        function filter_commitment(md, ctx, ind)
          ctx.calls = ctx.calls + 1
          return { action = "enter_long", price = md.close, quantity = 0.1, stop_loss = md.close * 0.1, take_profit = md.close * 10 }
        end
        function manage_position(md, ctx, ind)
          ctx.calls = ctx.calls + 1
          if ctx.ratio == nil then ctx.ratio = 2.0 end
          ctx.ratio_type = math.type(ctx.ratio) -- stays "float" across a restart
        end
        """;

    internal const string Flipper = """
        function detect_opportunity(md, ctx, ind) return { seen = md.close } end
        function filter_commitment(md, ctx, ind) return { action = "enter_long", price = md.close, quantity = 0.1 } end
        function manage_position(md, ctx, ind) return { action = "exit", price = md.close, reason = "flip" } end
        """;

    private static async Task Prepare(Func<string, Task<JsonElement>> get, Func<string, string, Task<HttpResponseMessage>> post)
    {
        foreach (var (name, code) in new[] { ("holder", Holder), ("flipper", Flipper) })
            Assert.True((await post("/api/strategies", JsonSerializer.Serialize(new { name, code }))).IsSuccessStatusCode);
        foreach (var (id, symbol, strategy) in new[] { ("h", "BTCUSDT", "holder"), ("f", "ETHUSDT", "flipper"), ("p", "SOLUSDT", "ema_crossover") })
            Assert.True((await post("/api/runners", $$"""{"runner_id":"{{id}}","symbol":"{{symbol}}","strategy_name":"{{strategy}}","window_size":50}""")).IsSuccessStatusCode);
        Assert.True((await post("/api/runners/p/pause", "")).IsSuccessStatusCode);
        await Wait.Until(async () => (await get("/api/runners/h")).GetProperty("state").GetString() == "InPosition", what: "h in position");
        await Wait.Until(async () => (await get("/api/runners/f/trades")).GetArrayLength() >= 3, what: "three trades");
        await Task.Delay(1500); // one checkpoint of the context
    }

    private static async Task Verify(Func<string, Task<JsonElement>> get, JsonElement before, int tradesBefore)
    {
        var strategies = (await get("/api/strategies")).EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Contains("holder", strategies);
        Assert.Contains("flipper", strategies);
        var runners = (await get("/api/runners")).EnumerateArray().Select(r => r.GetProperty("runner_id").GetString()).Order().ToList();
        Assert.Equal(["f", "h", "p"], runners);
        var h = await get("/api/runners/h");
        Assert.Equal("InPosition", h.GetProperty("state").GetString());
        Assert.Equal(before.GetProperty("position").GetProperty("entry_price").GetDouble(), h.GetProperty("position").GetProperty("entry_price").GetDouble());
        Assert.Equal(0.1, h.GetProperty("position").GetProperty("quantity").GetDouble());
        Assert.True(h.GetProperty("context").GetProperty("calls").GetInt64() >= 2, "context came back");
        var ticks = h.GetProperty("stats").GetProperty("ticks_processed").GetInt64();
        await Wait.Until(async () => (await get("/api/runners/h")).GetProperty("stats").GetProperty("ticks_processed").GetInt64() > ticks + 2, what: "ticks after restart");
        Assert.Equal("float", (await get("/api/runners/h")).GetProperty("context").GetProperty("ratio_type").GetString());
        Assert.Equal("paused", (await get("/api/runners/p")).GetProperty("status").GetString());
        Assert.True((await get("/api/runners/f/trades")).GetArrayLength() >= tradesBefore);
    }

    [Fact]
    public async Task A_graceful_restart_restores_strategies_runners_positions_context_and_trades()
    {
        JsonElement before;
        int trades;
        await using (var first = await RunningServer.StartAsync(dataDirectory: _data))
        {
            await Prepare(first.GetJsonAsync, first.PostJsonAsync);
            before = await first.GetJsonAsync("/api/runners/h");
            trades = (await first.GetJsonAsync("/api/runners/f/trades")).GetArrayLength();
        }
        await using var second = await RunningServer.StartAsync(dataDirectory: _data);
        await Verify(second.GetJsonAsync, before, trades);
        Assert.DoesNotContain((await second.GetJsonAsync("/api/runners")).EnumerateArray(), r => r.GetProperty("runner_id").GetString() == "btc_ema");
    }

    [Fact]
    public async Task Killing_the_process_at_any_moment_loses_nothing_committed_and_corrupts_nothing()
    {
        JsonElement before;
        int trades;
        using (var first = await ServerProcess.StartAsync(_data))
        {
            await Prepare(first.GetJsonAsync, first.PostJsonAsync);
            before = await first.GetJsonAsync("/api/runners/h");
            trades = (await first.GetJsonAsync("/api/runners/f/trades")).GetArrayLength();
            first.Kill(); // SIGKILL while trades are being written
        }
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(_data, "tickrunner.db")}"))
        {
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check;";
            Assert.Equal("ok", check.ExecuteScalar());
        }
        using var second = await ServerProcess.StartAsync(_data);
        await Verify(second.GetJsonAsync, before, trades);
    }

    [Fact]
    public async Task A_runner_whose_strategy_no_longer_loads_stays_stored_and_can_be_removed()
    {
        await using (var first = await RunningServer.StartAsync(dataDirectory: _data))
        {
            await first.UploadStrategyAsync("temp", Flipper);
            await first.CreateRunnerAsync("orphan", "ETHUSDT", "temp");
        }
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(_data, "tickrunner.db")}"))
        {
            connection.Open();
            using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM strategies WHERE name = 'temp';";
            delete.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
        await using var second = await RunningServer.StartAsync(dataDirectory: _data);
        Assert.Equal(0, (await second.GetJsonAsync("/api/runners")).GetArrayLength());
        const string body = """{"runner_id":"orphan","symbol":"ETHUSDT","strategy_name":"ema_crossover"}""";
        Assert.Equal(HttpStatusCode.Conflict, (await second.PostJsonAsync("/api/runners", body)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await second.Http.DeleteAsync("/api/runners/orphan")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await second.PostJsonAsync("/api/runners", body)).StatusCode);
    }

    /// <summary>The server as its own process (the built Tickrunner.Server.dll), so it can be killed for real.</summary>
    private sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly HttpClient _http;

        private ServerProcess(Process process, int port)
        {
            _process = process;
            _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        }

        public static async Task<ServerProcess> StartAsync(string data)
        {
            var port = FreePort();
            var dll = Path.Combine(AppContext.BaseDirectory, "Tickrunner.Server.dll");
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { dll, "--urls", $"http://127.0.0.1:{port}", $"--Tickrunner:DataDirectory={data}",
                    $"--Tickrunner:StrategiesDirectory={Path.Combine(AppContext.BaseDirectory, "strategies")}",
                    "--Tickrunner:Feed:TickIntervalMs=20", "--Tickrunner:Demo:Enabled=false", "--Tickrunner:Engine:CheckpointSeconds=1",
                    "--Logging:LogLevel:Default=Warning" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new ServerProcess(process, port);
            await Wait.Until(async () =>
            {
                if (process.HasExited) throw new InvalidOperationException($"server exited with {process.ExitCode}");
                try { return (await server._http.GetAsync("/api/health")).IsSuccessStatusCode; }
                catch (HttpRequestException) { return false; }
            }, 30_000, "the server process");
            return server;
        }

        public async Task<JsonElement> GetJsonAsync(string path)
        {
            var response = await _http.GetAsync(path);
            Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode}");
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }

        public Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
            _http.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited) Kill();
            _process.Dispose();
            _http.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
