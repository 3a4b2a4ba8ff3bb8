using System.Net.Http.Json;
using System.Text.Json;
using Tickrunner.Engine.Events;

namespace Tickrunner.Server.Tests;

/// <summary>A <c>since</c> at or beyond the newest seq replays nothing (it never wraps around to "everything").</summary>
public sealed class SinceTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync();
        await _server.CreateRunnerAsync("btc", "BTCUSDT");
        await Wait.Until(async () => (await _server.GetJsonAsync("/api/runners/btc/events")).GetArrayLength() > 3, what: "events");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MaxValue - 1)]
    [InlineData(1L << 62)]
    public async Task Rest_events_since_beyond_the_newest_seq_are_empty(long since)
    {
        var events = await _server.GetJsonAsync($"/api/runners/btc/events?since={since}");
        Assert.Equal(0, events.GetArrayLength());
    }

    [Fact]
    public async Task Websocket_since_max_replays_nothing_and_then_streams_live_events()
    {
        var lastBefore = (await _server.GetJsonAsync("/api/health")).GetProperty("events").GetProperty("last_seq").GetInt64();
        Assert.True(lastBefore > 3);
        using var socket = await _server.ConnectAsync($"runner_id=btc&since={long.MaxValue}");
        var first = await socket.ReceiveUntilAsync(m => m.Tag() is not ("Heartbeat" or "Lagged"));
        Assert.NotNull(first);
        Assert.True(first.Value.Payload().GetProperty("seq").GetInt64() > lastBefore,
            $"got a replayed event: {first.Value.GetRawText()}");
    }

    [Fact]
    public void The_hub_treats_a_huge_since_as_nothing_yet()
    {
        var hub = new EventHub(new EventHubOptions { HistorySize = 16 });
        for (var i = 0; i < 5; i++) hub.Emit(RunnerEvent.RunnerStarted("r", "BTCUSDT", 1_700_000_000_000));
        Assert.Empty(hub.Recent(long.MaxValue));
        Assert.Empty(hub.Recent(5));
        Assert.Single(hub.Recent(4));
        Assert.Equal(5, hub.Recent(long.MinValue).Count);
        using var subscription = hub.Subscribe(sinceSeq: long.MaxValue);
        Assert.False(subscription.TryRead(out _));
        Assert.Equal(0, subscription.Dropped);
    }
}
