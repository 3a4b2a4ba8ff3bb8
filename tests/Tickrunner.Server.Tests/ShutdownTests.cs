using System.Diagnostics;
using System.Net.WebSockets;

namespace Tickrunner.Server.Tests;

public sealed class ShutdownTests
{
    [Fact]
    public async Task Stopping_the_server_closes_open_streams_instead_of_waiting_for_them()
    {
        var server = await RunningServer.StartAsync();
        using var client = await server.ConnectAsync();
        var clock = Stopwatch.StartNew();
        await server.DisposeAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"shutdown took {clock.Elapsed.TotalSeconds:F1} s with a client connected");
        // The client is told the server is going away (1001), not left with a dead socket.
        while (client.State == WebSocketState.Open && await client.ReceiveAsync(2_000) is not null) { }
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, client.CloseStatus);
    }
}
