using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace Tickrunner.Server.Streaming;

/// <summary>
/// The RFC 6455 server handshake done by hand, so the socket can sit on a <see cref="BatchingStream"/>
/// (ASP.NET Core's AcceptWebSocketAsync gives no access to the stream under the WebSocket).
/// </summary>
internal static class WebSocketHandshake
{
    private const string Magic = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public static bool IsWebSocketRequest(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
        && HttpMethods.IsGet(context.Request.Method)
        && context.Request.Headers.Upgrade.ToString().Equals("websocket", StringComparison.OrdinalIgnoreCase)
        && !string.IsNullOrEmpty(context.Request.Headers.SecWebSocketKey);

    /// <summary>Answers 101 and returns the server-side WebSocket over a batching stream; null after a 400 (bad version).</summary>
    public static async Task<(WebSocket Socket, BatchingStream Stream)?> AcceptAsync(HttpContext context, TimeSpan keepAlive)
    {
        if (context.Request.Headers.SecWebSocketVersion.ToString() != "13")
        {
            context.Response.Headers.SecWebSocketVersion = "13";
            await Api.Problems.BadRequest("Only WebSocket version 13 is supported.").ExecuteAsync(context);
            return null;
        }
        var key = context.Request.Headers.SecWebSocketKey.ToString().Trim();
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + Magic)));
        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.SecWebSocketAccept = accept;
        var raw = await context.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync();
        var stream = new BatchingStream(raw);
        var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = keepAlive });
        return (socket, stream);
    }
}
