using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tickrunner.Cluster.Feeds;

namespace Tickrunner.Server.Tests;

/// <summary>
/// The server with <c>Cluster:Enabled=true</c>: two servers, each a silo of one cluster on loopback (a real Kestrel each, runner
/// state in one shared SQLite file), answer the same REST API and <c>/ws</c> for every runner, whichever silo it is active on;
/// a node that leaves hands its runners to the other with their trades, and the API keeps answering.
/// </summary>
public sealed class ClusterModeTests
{
    private const string Passive = TestStrategies.Passive;

    [Fact]
    public async Task Runners_created_on_one_node_are_read_steered_and_streamed_from_the_other()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var (a, b) = (nodes.A, nodes.B);

        // The strategy is uploaded on A only: the runner carries its code, so it loads on whichever silo it lands.
        await a.UploadStrategyAsync("passive", Passive);
        await a.CreateRunnerAsync("m1", strategy: "passive");
        await a.CreateRunnerAsync("e1", strategy: "ema_crossover", symbol: "ETHUSDT");

        var health = (await b.GetJsonAsync("/api/health")).GetProperty("cluster");
        Assert.Equal(2, health.GetProperty("active_silos").GetInt32());
        Assert.Equal(2, Registry(a).RunnerIds.Count + health.GetProperty("runners_here").GetInt32());
        var m1 = await b.GetJsonAsync("/api/runners/m1");
        Assert.Equal("passive", m1.GetProperty("strategy_name").GetString());
        Assert.Equal("running", m1.GetProperty("status").GetString());
        var listed = (await b.GetJsonAsync("/api/runners")).EnumerateArray().Select(r => r.GetProperty("runner_id").GetString()).ToList();
        Assert.Equal(["e1", "m1"], listed);
        Assert.Equal(["e1"], (await b.GetJsonAsync("/api/symbols/ETHUSDT/runners")).EnumerateArray().Select(r => r.GetProperty("runner_id").GetString()));

        // An object with the same members as an in-process runner's, at every level the dashboard reads.
        await using (var single = await RunningServer.StartAsync())
        {
            await single.UploadStrategyAsync("passive", Passive);
            await single.CreateRunnerAsync("m1", strategy: "passive");
            var expected = await single.GetJsonAsync("/api/runners/m1");
            Assert.False((await single.GetJsonAsync("/api/health")).TryGetProperty("cluster", out _));
            Assert.Equal(Members(expected), Members(m1));
            Assert.Equal(Members(expected.GetProperty("stats")), Members(m1.GetProperty("stats")));
            Assert.Equal(Members(expected.GetProperty("account")), Members(m1.GetProperty("account")));
        }

        // B's subscribers hear m1's bars wherever it runs, with the per-runner filter.
        using (var socket = await b.ConnectAsync("runner_id=m1&types=TickReceived"))
        {
            var tick = await socket.ReceiveUntilAsync(m => m.Tag() == "TickReceived");
            Assert.Equal("m1", tick!.Value.Payload().GetProperty("runner_id").GetString());
        }
        await Wait.Until(async () => (await b.GetJsonAsync("/api/runners/m1/history?count=5")).GetArrayLength() == 5, what: "m1's window to hold five bars");

        // B records the candles of its own feed, as a single-process server does.
        await Wait.Until(async () => (await b.GetJsonAsync("/api/symbols/BTCUSDT/candles?interval=1s")).GetArrayLength() > 0, what: "B's candles");

        // Steered from B, seen from A.
        Assert.Equal(HttpStatusCode.OK, (await b.Http.PostAsync("/api/runners/m1/pause", null)).StatusCode);
        Assert.Equal("paused", (await a.GetJsonAsync("/api/runners/m1")).GetProperty("status").GetString());
        var refused = await b.PostJsonAsync("/api/runners/m1/enter", """{"side":"long","quantity":0.01}""");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("paused", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await a.Http.PostAsync("/api/runners/m1/resume", null)).StatusCode);

        // A manual round trip: entered from B, exited from A, the trade read from B with its reason.
        Assert.Equal(HttpStatusCode.Accepted, (await b.PostJsonAsync("/api/runners/m1/enter", """{"side":"long","quantity":0.01}""")).StatusCode);
        await Wait.Until(async () => (await a.GetJsonAsync("/api/runners/m1")).GetProperty("state").GetString() == "InPosition", what: "m1 to enter");
        Assert.Equal(HttpStatusCode.Accepted, (await a.Http.PostAsync("/api/runners/m1/exit", null)).StatusCode);
        await Wait.Until(async () => (await b.GetJsonAsync("/api/runners/m1/trades")).GetArrayLength() == 1, what: "m1's trade");
        var trade = (await b.GetJsonAsync("/api/runners/m1/trades"))[0];
        Assert.Equal(1, trade.GetProperty("id").GetInt64());
        Assert.Equal("Long", trade.GetProperty("side").GetString());
        Assert.Equal("manual", trade.GetProperty("reason").GetString());
        var totals = await a.GetJsonAsync("/api/runners/m1/trades/totals");
        Assert.Equal(1, totals.GetProperty("trades").GetInt64());
        Assert.Equal(trade.GetProperty("realized_pnl").GetDouble(), totals.GetProperty("net_pnl").GetDouble(), 12);
        var account = (await b.GetJsonAsync("/api/runners/m1")).GetProperty("account");
        Assert.Equal(trade.GetProperty("realized_pnl").GetDouble(), account.GetProperty("realized_pnl").GetDouble(), 9);
        var events = await b.GetJsonAsync("/api/runners/m1/events");
        Assert.Contains(events.EnumerateArray(), e => e.Tag() == "PositionClosed");

        // Refusals as in one process: a second runner under the id, an unknown runner, a bad body; what is not carried yet says so.
        var duplicate = await b.PostJsonAsync("/api/runners", """{"runner_id":"m1","symbol":"BTCUSDT","strategy_name":"ema_crossover"}""");
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Http.GetAsync("/api/runners/nobody")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Http.PostAsync("/api/runners/nobody/pause", null)).StatusCode);
        var bad = await b.PostJsonAsync("/api/runners", """{"runner_id":"x1","symbol":"NOPE","strategy_name":"ema_crossover"}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True(JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("symbol", out _));
        var plots = await b.Http.GetAsync("/api/runners/m1/plots");
        Assert.Equal(HttpStatusCode.NotImplemented, plots.StatusCode);
        Assert.Contains("cluster", await plots.Content.ReadAsStringAsync());

        // Reload, stop and start, and new risk limits, from either node; the account and the trade stay.
        Assert.Equal(HttpStatusCode.Conflict, (await b.Http.PostAsync("/api/runners/m1/start", null)).StatusCode);
        var reloaded = await b.Http.PostAsync("/api/runners/m1/reload", null);
        Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);
        Assert.Equal("running", JsonDocument.Parse(await reloaded.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await a.Http.PostAsync("/api/runners/m1/stop", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await a.Http.PostAsync("/api/runners/m1/reload", null)).StatusCode);
        var started = JsonDocument.Parse(await (await b.Http.PostAsync("/api/runners/m1/start", null)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("running", started.GetProperty("status").GetString());
        Assert.Equal(account.GetProperty("realized_pnl").GetDouble(), started.GetProperty("account").GetProperty("realized_pnl").GetDouble());
        var patched = await b.Http.PatchAsync("/api/runners/m1/risk",
            new StringContent("""{"max_quantity":0.005}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(0.005, (await a.GetJsonAsync("/api/runners/m1")).GetProperty("risk").GetProperty("limits").GetProperty("max_quantity").GetDouble());
        // The limit holds wherever the runner is: an entry above it is refused at the next bar and counted.
        Assert.Equal(HttpStatusCode.Accepted, (await a.PostJsonAsync("/api/runners/m1/enter", """{"side":"long","quantity":0.01}""")).StatusCode);
        await Wait.Until(async () => (await b.GetJsonAsync("/api/runners/m1")).GetProperty("risk").GetProperty("rejections")
            .TryGetProperty("max_quantity", out var n) && n.GetInt64() == 1, what: "the entry above max_quantity to be refused");
        Assert.Equal("Idle", (await b.GetJsonAsync("/api/runners/m1")).GetProperty("state").GetString());
        Assert.Equal(1, (await b.GetJsonAsync("/api/runners/m1/trades")).GetArrayLength());

        // The kill switch is the cluster's: thrown on B, A reports it.
        Assert.Equal(HttpStatusCode.OK, (await b.PostJsonAsync("/api/engine/halt", "{}")).StatusCode);
        var engine = await a.GetJsonAsync("/api/engine");
        Assert.True(engine.GetProperty("halted").GetBoolean());
        Assert.True(engine.GetProperty("halted_at").GetInt64() > 0);
        Assert.Equal(HttpStatusCode.OK, (await a.Http.PostAsync("/api/engine/resume", null)).StatusCode);
        Assert.False((await b.GetJsonAsync("/api/engine")).GetProperty("halted").GetBoolean());

        // Removed from A, gone from B.
        Assert.Equal(HttpStatusCode.NoContent, (await a.Http.DeleteAsync("/api/runners/m1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Http.GetAsync("/api/runners/m1")).StatusCode);
        Assert.Equal(["e1"], (await b.GetJsonAsync("/api/runners")).EnumerateArray().Select(r => r.GetProperty("runner_id").GetString()));
    }

    [Fact]
    public async Task A_node_that_leaves_hands_its_runners_to_the_other_with_their_trades_and_the_api_keeps_answering()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var (a, b) = (nodes.A, nodes.B);
        await a.UploadStrategyAsync("passive", Passive);
        // Random placement: runners are made until both nodes have some. Each gets a trade (entered and exited by hand), and
        // those on B an open position.
        var ids = await CreateUntilBothHaveSomeAsync(a, b, "r");
        var onB = Registry(b).RunnerIds.ToArray();
        foreach (var id in ids)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await a.PostJsonAsync($"/api/runners/{id}/enter", """{"side":"short","quantity":0.02}""")).StatusCode);
            await Wait.Until(async () => (await a.GetJsonAsync($"/api/runners/{id}")).GetProperty("state").GetString() == "InPosition", what: $"{id} to enter");
            Assert.Equal(HttpStatusCode.Accepted, (await a.Http.PostAsync($"/api/runners/{id}/exit", null)).StatusCode);
            await Wait.Until(async () => (await a.GetJsonAsync($"/api/runners/{id}/trades")).GetArrayLength() == 1, what: $"{id}'s trade");
        }
        foreach (var id in onB) Assert.Equal(HttpStatusCode.Accepted, (await a.PostJsonAsync($"/api/runners/{id}/enter", """{"side":"long","quantity":0.03}""")).StatusCode);
        foreach (var id in onB)
            await Wait.Until(async () => (await a.GetJsonAsync($"/api/runners/{id}")).GetProperty("state").GetString() == "InPosition", what: $"{id} to enter");
        var before = new Dictionary<string, (string Trades, JsonElement Position)>();
        foreach (var id in onB)
            before[id] = ((await a.GetJsonAsync($"/api/runners/{id}/trades")).GetRawText(), (await a.GetJsonAsync($"/api/runners/{id}")).GetProperty("position"));

        // A reads every runner while B shuts down; no answer may fail.
        using var reading = new CancellationTokenSource();
        var failures = new List<string>(); // written by the reader only, read after it ended
        var reads = 0;
        var reader = Task.Run(async () =>
        {
            while (!reading.IsCancellationRequested)
            {
                foreach (var id in onB)
                {
                    var response = await a.Http.GetAsync($"/api/runners/{id}");
                    reads++;
                    if (response.StatusCode != HttpStatusCode.OK) failures.Add($"{id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
        });
        await nodes.StopBAsync();
        await Wait.Until(() => onB.All(Registry(a).RunnerIds.Contains), timeoutMs: 30_000, what: "B's runners to be active on A");
        foreach (var id in onB)
            await Wait.Until(async () => (await a.GetJsonAsync($"/api/runners/{id}")).GetProperty("stats").GetProperty("ticks_processed").GetInt64() > 0,
                what: $"{id} to process bars on A");
        reading.Cancel();
        await reader;
        Assert.True(reads > 0);
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        foreach (var id in onB)
        {
            // The same trade and the same open position, on A now; it closes there as it would have on B.
            Assert.Equal(before[id].Trades, (await a.GetJsonAsync($"/api/runners/{id}/trades")).GetRawText());
            var position = (await a.GetJsonAsync($"/api/runners/{id}")).GetProperty("position");
            Assert.Equal(before[id].Position.GetProperty("entry_price").GetDouble(), position.GetProperty("entry_price").GetDouble());
            Assert.Equal(before[id].Position.GetProperty("entry_timestamp").GetInt64(), position.GetProperty("entry_timestamp").GetInt64());
            Assert.Equal(HttpStatusCode.Accepted, (await a.Http.PostAsync($"/api/runners/{id}/exit", null)).StatusCode);
            await Wait.Until(async () => (await a.GetJsonAsync($"/api/runners/{id}/trades")).GetArrayLength() == 2, what: $"{id}'s second trade");
            Assert.Equal(2, (await a.GetJsonAsync($"/api/runners/{id}/trades"))[1].GetProperty("id").GetInt64());
        }
    }

    [Fact]
    public async Task With_the_membership_in_redis_the_first_node_can_leave_and_the_second_carries_every_runner()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var nodes = await TwoNodes.StartAsync(redis.Address);
        var (a, b) = (nodes.A, nodes.B);
        await a.UploadStrategyAsync("passive", Passive);
        var ids = await CreateUntilBothHaveSomeAsync(a, b, "q");
        var onA = Registry(a).RunnerIds.ToArray();
        foreach (var id in onA) Assert.Equal(HttpStatusCode.Accepted, (await b.PostJsonAsync($"/api/runners/{id}/enter", """{"side":"long","quantity":0.01}""")).StatusCode);
        foreach (var id in onA)
            await Wait.Until(async () => (await b.GetJsonAsync($"/api/runners/{id}")).GetProperty("state").GetString() == "InPosition", what: $"{id} to enter");

        // In localhost clustering A keeps the membership and cannot leave; with Redis it can.
        await nodes.StopAAsync();
        await Wait.Until(() => ids.All(Registry(b).RunnerIds.Contains), timeoutMs: 30_000, what: "every runner to be active on B");
        Assert.Equal(ids.Order(StringComparer.Ordinal), (await b.GetJsonAsync("/api/runners")).EnumerateArray().Select(r => r.GetProperty("runner_id").GetString()!));
        foreach (var id in onA)
        {
            Assert.Equal("InPosition", (await b.GetJsonAsync($"/api/runners/{id}")).GetProperty("state").GetString());
            Assert.Equal(HttpStatusCode.Accepted, (await b.Http.PostAsync($"/api/runners/{id}/exit", null)).StatusCode);
            await Wait.Until(async () => (await b.GetJsonAsync($"/api/runners/{id}/trades")).GetArrayLength() == 1, what: $"{id}'s trade on B");
        }
    }

    [Fact]
    public async Task Trades_past_the_kept_history_keep_their_numbers_and_what_cannot_be_answered_says_so()
    {
        await using var nodes = await TwoNodes.StartAsync(extra: new() { ["Cluster:TradeHistorySize"] = "2" });
        var (a, b) = (nodes.A, nodes.B);
        await a.UploadStrategyAsync("passive", Passive);
        await a.CreateRunnerAsync("t1", strategy: "passive");
        for (var n = 1; n <= 3; n++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await b.PostJsonAsync("/api/runners/t1/enter", """{"side":"long","quantity":0.01}""")).StatusCode);
            await Wait.Until(async () => (await a.GetJsonAsync("/api/runners/t1")).GetProperty("state").GetString() == "InPosition", what: $"entry {n}");
            Assert.Equal(HttpStatusCode.Accepted, (await b.Http.PostAsync("/api/runners/t1/exit", null)).StatusCode);
            await Wait.Until(async () => (await a.GetJsonAsync("/api/runners/t1")).GetProperty("state").GetString() == "Idle", what: $"exit {n}");
        }
        static long[] Ids(JsonElement trades) => [.. trades.EnumerateArray().Select(t => t.GetProperty("id").GetInt64())];
        // The newest two of three, numbered as they closed; a page from the third trade on; nothing older.
        Assert.Equal(new long[] { 2, 3 }, Ids(await b.GetJsonAsync("/api/runners/t1/trades")));
        Assert.Equal(new long[] { 3 }, Ids(await b.GetJsonAsync("/api/runners/t1/trades?limit=1")));
        Assert.Equal(new long[] { 2, 3 }, Ids(await a.GetJsonAsync("/api/runners/t1/trades?offset=1&limit=5")));
        Assert.Equal(new long[] { 3 }, Ids(await a.GetJsonAsync("/api/runners/t1/trades?offset=2")));
        foreach (var path in new[] { "/api/runners/t1/trades?offset=0", "/api/runners/t1/trades?offset=1&from=0", "/api/runners/t1/trades/totals" })
        {
            var response = await b.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
            Assert.Contains("TradeHistorySize", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await b.Http.GetAsync("/api/runners/nobody/plots")).StatusCode);
    }

    [Fact]
    public async Task A_node_with_wrong_cluster_settings_refuses_to_start_and_names_each_problem()
    {
        var e = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => RunningServer.StartAsync(new()
        {
            ["Cluster:Enabled"] = "true",
            ["Cluster:Node:Clustering"] = "redis",
            ["Cluster:Node:SiloPort"] = "30000",
            ["Cluster:Node:GatewayPort"] = "30000",
        }));
        Assert.Contains("Cluster:Node:Redis", e.Message);
        Assert.Contains("SiloPort and GatewayPort must differ", e.Message);
    }

    // Passive runners, made on a until both nodes host at least two of them (at least six in all; random placement).
    private static async Task<string[]> CreateUntilBothHaveSomeAsync(RunningServer a, RunningServer b, string prefix)
    {
        var ids = new List<string>();
        while (ids.Count < 6 || Registry(a).RunnerIds.Count < 2 || Registry(b).RunnerIds.Count < 2)
        {
            Assert.True(ids.Count < 60, "random placement put no runner on one of the nodes");
            var id = $"{prefix}{ids.Count:00}";
            await a.CreateRunnerAsync(id, strategy: "passive");
            ids.Add(id);
        }
        return [.. ids];
    }

    private static LocalRunnerRegistry Registry(RunningServer node) => node.Services.GetRequiredService<LocalRunnerRegistry>();

    private static List<string> Members(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];

    /// <summary>Two servers forming one cluster on loopback (A keeps the membership, or Redis does), runner state in one file.</summary>
    private sealed class TwoNodes : IAsyncDisposable
    {
        private readonly TempDirectory _shared;
        private RunningServer? _a, _b;

        private TwoNodes(TempDirectory shared, RunningServer a, RunningServer b)
        {
            _shared = shared;
            _a = a;
            _b = b;
        }

        public RunningServer A => _a ?? throw new InvalidOperationException("A was stopped.");

        public RunningServer B => _b ?? throw new InvalidOperationException("B was stopped.");

        /// <summary>Two nodes; with <paramref name="redis"/> (a Redis server's address) the membership is there and the nodes are equal.</summary>
        public static async Task<TwoNodes> StartAsync(string? redis = null, Dictionary<string, string?>? extra = null)
        {
            var shared = new TempDirectory("tickrunner-cluster-");
            var primary = FreePort();
            var a = await RunningServer.StartAsync(With(Settings(shared.Path, primary, FreePort(), primary: null, redis), extra));
            try
            {
                var b = await RunningServer.StartAsync(With(Settings(shared.Path, FreePort(), FreePort(), redis is null ? primary : null, redis), extra));
                return new TwoNodes(shared, a, b);
            }
            catch
            {
                await a.DisposeAsync();
                shared.Dispose();
                throw;
            }
        }

        public async Task StopAAsync()
        {
            if (_a is { } a) await a.DisposeAsync();
            _a = null;
        }

        public async Task StopBAsync()
        {
            if (_b is { } b) await b.DisposeAsync();
            _b = null;
        }

        public async ValueTask DisposeAsync()
        {
            await StopBAsync();
            await StopAAsync();
            _shared.Dispose();
        }

        // A dead node is declared dead after two missed half-second probes: the defaults (about 15 s) are for real networks.
        private static Dictionary<string, string?> Settings(string shared, int siloPort, int gatewayPort, int? primary, string? redis) => new()
        {
            ["Cluster:Enabled"] = "true",
            ["Cluster:Node:Clustering"] = redis is null ? "localhost" : "redis",
            ["Cluster:Node:Redis"] = redis,
            ["Cluster:StoragePath"] = Path.Combine(shared, "cluster.db"),
            ["Cluster:KeepAliveIntervalMs"] = "200",
            ["Cluster:Node:SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:Node:GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:Node:PrimarySiloPort"] = primary?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:Node:ClusterId"] = $"test-{Path.GetFileName(shared)}",
            ["Cluster:Membership:ProbeTimeout"] = "00:00:00.5",
            ["Cluster:Membership:NumMissedProbesLimit"] = "2",
            ["Cluster:Membership:NumVotesForDeathDeclaration"] = "1",
            ["Cluster:Membership:TableRefreshTimeout"] = "00:00:01",
        };

        private static Dictionary<string, string?> With(Dictionary<string, string?> settings, Dictionary<string, string?>? extra)
        {
            foreach (var (key, value) in extra ?? []) settings[key] = value;
            return settings;
        }

        internal static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }

    /// <summary>A Redis server of its own on a free loopback port, nothing saved to disk (Debian's redis-server; scripts/test.sh installs it).</summary>
    private sealed class RedisServer : IAsyncDisposable
    {
        private readonly System.Diagnostics.Process _process;

        private RedisServer(System.Diagnostics.Process process, int port)
        {
            _process = process;
            Address = $"127.0.0.1:{port}";
        }

        public string Address { get; }

        public static async Task<RedisServer> StartAsync()
        {
            var binary = Environment.GetEnvironmentVariable("TICKRUNNER_REDIS_SERVER") ?? "/usr/bin/redis-server";
            if (!File.Exists(binary))
                throw new InvalidOperationException("redis-server is not installed: run scripts/test.sh (it installs Debian's redis-server), or apt-get install redis-server, or set TICKRUNNER_REDIS_SERVER to its path.");
            var port = TwoNodes.FreePort();
            var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(binary,
                ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--logfile", "/dev/null"]))!;
            var server = new RedisServer(process, port);
            await Wait.Until(() =>
            {
                try
                {
                    using var client = new TcpClient();
                    client.Connect(IPAddress.Loopback, port);
                    return true;
                }
                catch (SocketException)
                {
                    return false;
                }
            }, what: "redis-server to listen");
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited) _process.Kill();
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
