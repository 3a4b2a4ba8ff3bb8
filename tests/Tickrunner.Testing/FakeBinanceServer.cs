using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tickrunner.Testing;

/// <summary>
/// A local WebSocket server that speaks Binance's combined-stream protocol from messages the tests build:
/// it answers SUBSCRIBE/UNSUBSCRIBE, records them, sends what it is told, goes silent or drops the connection.
/// </summary>
public sealed class FakeBinanceServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile WebSocket? _current;
    private volatile TaskCompletionSource _dropped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _connections;

    public Channel<JsonElement> Requests { get; } = Channel.CreateUnbounded<JsonElement>();
    public int Connections => Volatile.Read(ref _connections);
    public string BaseUrl { get; }

    private FakeBinanceServer(WebApplication app)
    {
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = address.Replace("http://", "ws://", StringComparison.Ordinal);
    }

    public static async Task<FakeBinanceServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeBinanceServer? server = null;
        app.UseWebSockets();
        app.Map("/stream", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest) { context.Response.StatusCode = 400; return; }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await server!.ServeAsync(socket);
        });
        await app.StartAsync();
        server = new FakeBinanceServer(app);
        return server;
    }

    private async Task ServeAsync(WebSocket socket)
    {
        Interlocked.Increment(ref _connections);
        _current = socket;
        var dropped = _dropped;
        var buffer = new byte[64 * 1024];
        var receiving = Task.Run(async () =>
        {
            try
            {
                while (socket.State == WebSocketState.Open)
                {
                    var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close) return;
                    var request = JsonDocument.Parse(buffer.AsMemory(0, result.Count)).RootElement.Clone();
                    await Requests.Writer.WriteAsync(request);
                    await SendAsync(socket, $$"""{"result":null,"id":{{request.GetProperty("id").GetInt64()}}}""");
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        });
        await Task.WhenAny(receiving, dropped.Task);
        if (dropped.Task.IsCompleted) socket.Abort();
        if (_current == socket) _current = null;
    }

    private readonly SemaphoreSlim _send = new(1, 1);

    private async Task SendAsync(WebSocket socket, string text)
    {
        await _send.WaitAsync();
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _send.Release();
        }
    }

    /// <summary>Waits for a connection and sends raw text on it.</summary>
    public async Task SendAsync(string text)
    {
        await Wait.Until(() => _current is { State: WebSocketState.Open });
        await SendAsync(_current!, text);
    }

    /// <summary>The next SUBSCRIBE/UNSUBSCRIBE request.</summary>
    public async Task<JsonElement> NextRequestAsync()
    {
        using var timeout = new CancellationTokenSource(10_000);
        return await Requests.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>Kills the current connection without a close handshake.</summary>
    public void Drop()
    {
        var dropped = _dropped;
        _dropped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        dropped.TrySetResult();
    }

    public static string Kline(string symbol, long openTime, string open, string high, string low, string close, string volume, bool closed = true, bool combined = true)
    {
        var x = closed ? "true" : "false";
        var data = $$$"""{"e":"kline","E":{{{openTime + 60_000}}},"s":"{{{symbol}}}","k":{"t":{{{openTime}}},"T":{{{openTime + 59_999}}},"s":"{{{symbol}}}","i":"1m","f":1,"L":2,"o":"{{{open}}}","c":"{{{close}}}","h":"{{{high}}}","l":"{{{low}}}","v":"{{{volume}}}","n":10,"x":{{{x}}},"q":"1.0","V":"0.5","Q":"0.5","B":"0"}}""";
        return combined ? $$$"""{"stream":"{{{symbol.ToLowerInvariant()}}}@kline_1m","data":{{{data}}}}""" : data;
    }

    public static string Book(string symbol, string bid, string ask) =>
        $$$"""{"stream":"{{{symbol.ToLowerInvariant()}}}@bookTicker","data":{"u":400900217,"s":"{{{symbol}}}","b":"{{{bid}}}","B":"31.2","a":"{{{ask}}}","A":"40.6"}}""";

    public async ValueTask DisposeAsync()
    {
        Drop();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
