using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Tickrunner.Server.Tests;

public sealed class WebSocketTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(new()
        {
            ["Tickrunner:WebSockets:HeartbeatSeconds"] = "1",
            ["Tickrunner:WebSockets:MaxConnections"] = "150",
            ["Tickrunner:RateLimits:WebSockets:MaxConnectionsPerClient"] = "1000", // the global limit is reached from one address
            ["Tickrunner:WebSockets:QueueSize"] = "64",
        }, configure: SmallSendBuffers);
        await _server.CreateRunnerAsync("btc", "BTCUSDT");
        await _server.CreateRunnerAsync("eth", "ETHUSDT", "rsi_mean_reversion");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    // Accepted sockets inherit a fixed send buffer from the listener (which also stops Linux growing it to
    // megabytes), so a client that stops reading blocks the server's writes within a few kilobytes.
    private static void SmallSendBuffers(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder) =>
        builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = endpoint =>
        {
            var listener = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
            listener.SendBufferSize = 16 * 1024;
            return listener;
        });

    [Fact]
    public async Task Events_arrive_one_per_frame_in_the_documented_format()
    {
        using var socket = await _server.ConnectAsync();
        var tick = await socket.ReceiveUntilAsync(m => m.Tag() == "TickReceived");
        Assert.NotNull(tick);
        var payload = tick.Value.Payload();
        Assert.Contains(payload.GetProperty("runner_id").GetString(), new[] { "btc", "eth" });
        Assert.True(payload.GetProperty("data").GetProperty("close").GetDouble() > 0);
        Assert.True(payload.GetProperty("seq").GetInt64() > 0);
        Assert.True(payload.GetProperty("timestamp").GetInt64() > 1_700_000_000_000);
    }

    [Fact]
    public async Task Pause_and_resume_are_announced_once_each_to_every_client()
    {
        using var socket = await _server.ConnectAsync("type=RunnerStatusChanged,RunnerStopped");
        await _server.PostJsonAsync("/api/runners/btc/pause", "");
        await _server.PostJsonAsync("/api/runners/btc/pause", ""); // no change: no event
        await _server.PostJsonAsync("/api/runners/btc/resume", "");
        await _server.PostJsonAsync("/api/runners/btc/stop", "");
        var seen = new List<string>();
        while (seen.Count < 3)
        {
            var message = await socket.ReceiveUntilAsync(m => m.Tag() != "Heartbeat");
            var payload = message!.Value.Payload();
            Assert.Equal("btc", payload.GetProperty("runner_id").GetString());
            seen.Add(message.Value.Tag() == "RunnerStatusChanged" ? payload.GetProperty("status").GetString()! : "stopped");
        }
        Assert.Equal(["paused", "running", "stopped"], seen);
        await _server.PostJsonAsync("/api/runners/btc/resume", ""); // a stopped runner stays stopped: nothing is announced
        Assert.Null(await socket.ReceiveUntilAsync(m => m.Tag() == "RunnerStatusChanged", 1500));
    }

    [Fact]
    public async Task Query_filters_by_runner_symbol_and_type()
    {
        using var byRunner = await _server.ConnectAsync("runner_id=eth");
        using var byType = await _server.ConnectAsync("type=TickReceived&symbol=BTCUSDT");
        for (var i = 0; i < 20; i++)
        {
            var a = await byRunner.ReceiveUntilAsync(m => m.Tag() != "Heartbeat");
            Assert.Equal("eth", a!.Value.Payload().GetProperty("runner_id").GetString());
            var b = await byType.ReceiveUntilAsync(m => m.Tag() != "Heartbeat");
            Assert.Equal("TickReceived", b!.Value.Tag());
            Assert.Equal("BTCUSDT", b.Value.Payload().GetProperty("symbol").GetString());
        }
    }

    [Fact]
    public async Task Subscribe_unsubscribe_and_filter_messages_change_what_arrives()
    {
        using var socket = await _server.ConnectAsync("runner_id=btc&type=TickReceived");
        await socket.SendTextAsync("""{"subscribe": {"runner_id": ["eth"]}}""");
        var ack = await socket.ReceiveUntilAsync(m => m.Tag() == "Subscribed");
        Assert.Equal(["btc", "eth"], ack!.Value.Payload().GetProperty("runner_id").EnumerateArray().Select(e => e.GetString()));
        Assert.NotNull(await socket.ReceiveUntilAsync(m => m.Tag() == "TickReceived" && m.Payload().GetProperty("runner_id").GetString() == "eth"));

        await socket.SendTextAsync("""{"unsubscribe": {"runner_id": ["btc"]}}""");
        await socket.ReceiveUntilAsync(m => m.Tag() == "Subscribed");
        for (var i = 0; i < 10; i++)
            Assert.Equal("eth", (await socket.ReceiveUntilAsync(m => m.Tag() == "TickReceived"))!.Value.Payload().GetProperty("runner_id").GetString());

        await socket.SendTextAsync("""{"filter": {"runner_id": ["btc"], "type": ["TickReceived"]}}""");
        await socket.ReceiveUntilAsync(m => m.Tag() == "Subscribed");
        for (var i = 0; i < 10; i++)
            Assert.Equal("btc", (await socket.ReceiveUntilAsync(m => m.Tag() == "TickReceived"))!.Value.Payload().GetProperty("runner_id").GetString());

        await socket.SendTextAsync("""{"subscribe": {"type": ["Bogus"]}}""");
        var error = await socket.ReceiveUntilAsync(m => m.Tag() == "ProtocolError");
        Assert.Contains("'Bogus'", error!.Value.Payload().GetProperty("error").GetString());
        await socket.SendTextAsync("not json");
        Assert.NotNull(await socket.ReceiveUntilAsync(m => m.Tag() == "ProtocolError"));
    }

    [Fact]
    public async Task Since_replays_what_the_hub_still_holds()
    {
        var events = await _server.GetJsonAsync("/api/runners/btc/events?since=0");
        var first = events[0].Payload().GetProperty("seq").GetInt64();
        using var socket = await _server.ConnectAsync($"runner_id=btc&since={first - 1}");
        var replayed = await socket.ReceiveUntilAsync(m => m.Tag() != "Heartbeat");
        Assert.Equal(first, replayed!.Value.Payload().GetProperty("seq").GetInt64());
        Assert.Equal("RunnerStarted", replayed.Value.Tag());
        var seqs = new List<long>();
        for (var i = 0; i < 20; i++)
            seqs.Add((await socket.ReceiveUntilAsync(m => m.Tag() != "Heartbeat"))!.Value.Payload().GetProperty("seq").GetInt64());
        Assert.Equal(seqs.Order(), seqs);
    }

    [Fact]
    public async Task A_binary_frame_is_a_protocol_error_that_closes_with_1003()
    {
        using var socket = await _server.ConnectAsync("runner_id=nobody");
        // Valid JSON, sent as binary: it must not be taken as a text message.
        await socket.SendAsync("{\"filter\":{}}"u8.ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(10_000);
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close) break;
            var text = System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count);
            Assert.DoesNotContain("Subscribed", text);
        }
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, socket.CloseStatus);
        Assert.Contains("binary", socket.CloseStatusDescription);
    }

    [Fact]
    public async Task Heartbeats_arrive_on_a_quiet_stream()
    {
        using var socket = await _server.ConnectAsync("runner_id=nobody");
        var heartbeat = await socket.ReceiveAsync(5_000);
        Assert.Equal("Heartbeat", heartbeat!.Value.Tag());
        Assert.True(heartbeat.Value.Payload().GetProperty("last_seq").GetInt64() > 0);
    }

    [Fact]
    public async Task Bad_upgrade_requests_and_unknown_types_are_400()
    {
        Assert.Equal(HttpStatusCode.BadRequest, (await _server.Http.GetAsync("/ws")).StatusCode);
        var bad = await Assert.ThrowsAsync<WebSocketException>(() => _server.ConnectAsync("type=NotAType"));
        Assert.Contains("400", bad.Message);
    }

    [Fact]
    public async Task A_hundred_clients_all_receive()
    {
        var sockets = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < 100; i++) sockets.Add(await _server.ConnectAsync("type=TickReceived"));
            var received = await Task.WhenAll(sockets.Select(async s =>
            {
                var count = 0;
                for (var n = 0; n < 5; n++)
                    if (await s.ReceiveUntilAsync(m => m.Tag() == "TickReceived", 15_000) is not null) count++;
                return count;
            }));
            Assert.All(received, count => Assert.Equal(5, count));
            Assert.Equal(100, (await _server.GetJsonAsync("/api/health")).GetProperty("events").GetProperty("websocket_clients").GetInt32());
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    [Fact]
    public async Task A_client_that_stops_reading_does_not_delay_the_others_and_is_told_what_it_lost()
    {
        for (var i = 0; i < 12; i++) await _server.CreateRunnerAsync($"extra{i}", i % 2 == 0 ? "SOLUSDT" : "BNBUSDT");
        using var stuck = await RawWebSocketClient.ConnectAsync(_server.BaseAddress, "/ws");
        using var reader = await _server.ConnectAsync("type=TickReceived");
        // The stuck client reads nothing for 6 s (about 4,000 events) while the reader gets every tick on time.
        var started = DateTime.UtcNow;
        for (var i = 0; DateTime.UtcNow - started < TimeSpan.FromSeconds(6); i++)
        {
            var tick = await reader.ReceiveUntilAsync(m => m.Tag() == "TickReceived", 5_000);
            Assert.NotNull(tick);
            var age = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - tick.Value.Payload().GetProperty("timestamp").GetInt64();
            Assert.True(age < 2_000, $"tick {i} arrived {age} ms late");
        }
        // Its 64-message queue overflowed long ago: once it reads again, it is told how many events it lost.
        using var timeout = new CancellationTokenSource(15_000);
        JsonElement message;
        do message = await stuck.ReceiveAsync(timeout.Token);
        while (message.Tag() != "Lagged");
        Assert.True(message.Payload().GetProperty("dropped").GetInt64() > 0);
    }

    [Fact]
    public async Task A_client_that_accepts_no_writes_for_the_write_timeout_is_disconnected_and_frees_its_slot()
    {
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Tickrunner:WebSockets:WriteTimeoutSeconds"] = "2",
            ["Tickrunner:WebSockets:QueueSize"] = "64",
        }, configure: SmallSendBuffers);
        for (var i = 0; i < 12; i++) await server.CreateRunnerAsync($"r{i}", i % 2 == 0 ? "SOLUSDT" : "BNBUSDT");
        using var reader = await server.ConnectAsync("type=TickReceived");
        using var stopReading = new CancellationTokenSource();
        var reading = Task.Run(async () =>
        {
            while (!stopReading.IsCancellationRequested) await reader.ReceiveAsync(2_000);
        });
        using var stuck = await RawWebSocketClient.ConnectAsync(server.BaseAddress, "/ws");
        async Task<int> Clients() => (await server.GetJsonAsync("/api/health")).GetProperty("events").GetProperty("websocket_clients").GetInt32();
        Assert.Equal(2, await Clients());
        // The stuck client's buffers fill within a second; two seconds later its session is cut.
        await Wait.Until(async () => await Clients() == 1, 15_000, "the stuck client was disconnected");
        Assert.Equal(WebSocketState.Open, reader.State); // the reading client stays
        await stopReading.CancelAsync();
        await reading;
    }

    [Fact]
    public async Task Connections_beyond_the_limit_are_refused_with_503()
    {
        var sockets = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < 150; i++) sockets.Add(await _server.ConnectAsync("runner_id=nobody"));
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => _server.ConnectAsync());
            Assert.Contains("503", refused.Message);
            var response = await _server.Http.SendAsync(UpgradeRequest());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("MaxConnections", await response.Content.ReadAsStringAsync());
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    private static HttpRequestMessage UpgradeRequest()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/ws");
        request.Headers.Add("Connection", "Upgrade");
        request.Headers.Add("Upgrade", "websocket");
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        return request;
    }
}
