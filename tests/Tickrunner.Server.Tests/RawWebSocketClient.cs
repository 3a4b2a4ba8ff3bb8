using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

/// <summary>
/// A bare WebSocket client on a TCP socket with a tiny receive buffer, so that a client that stops reading
/// really stops the server's writes after a few kilobytes instead of after the kernel's megabytes of buffers.
/// </summary>
internal sealed class RawWebSocketClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private RawWebSocketClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<RawWebSocketClient> ConnectAsync(Uri server, string pathAndQuery, int receiveBuffer = 2048)
    {
        var tcp = new TcpClient { ReceiveBufferSize = receiveBuffer };
        await tcp.ConnectAsync(server.Host, server.Port);
        var client = new RawWebSocketClient(tcp);
        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        var request = $"GET {pathAndQuery} HTTP/1.1\r\nHost: {server.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                      $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await client._stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var headers = new StringBuilder();
        var one = new byte[1];
        while (!headers.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await client._stream.ReadAsync(one) == 0) throw new IOException("closed during handshake");
            headers.Append((char)one[0]);
        }
        if (!headers.ToString().StartsWith("HTTP/1.1 101", StringComparison.Ordinal)) throw new IOException(headers.ToString());
        return client;
    }

    /// <summary>Sends an upgrade request with the given Host header and returns the response head (status line and headers).</summary>
    public static async Task<string> HandshakeAsync(Uri server, string pathAndQuery, string host, string? origin = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        var request = $"GET {pathAndQuery} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                      (origin is null ? "" : $"Origin: {origin}\r\n") +
                      $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var headers = new StringBuilder();
        var one = new byte[1];
        while (!headers.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0) break;
            headers.Append((char)one[0]);
        }
        return headers.ToString();
    }

    /// <summary>The next text frame as JSON (server frames are unmasked).</summary>
    public async Task<JsonElement> ReceiveAsync(CancellationToken ct)
    {
        while (true)
        {
            var head = await ReadExactly(2, ct);
            var opcode = head[0] & 0x0F;
            long length = head[1] & 0x7F;
            if (length == 126) length = (await ReadExactly(2, ct)) is var b2 ? (b2[0] << 8) | b2[1] : 0;
            else if (length == 127) length = BitConverter.ToInt64((await ReadExactly(8, ct)).Reverse().ToArray());
            var payload = await ReadExactly((int)length, ct);
            if (opcode == 1) return JsonDocument.Parse(payload).RootElement.Clone();
            if (opcode == 8) throw new IOException("closed by the server");
        }
    }

    private async Task<byte[]> ReadExactly(int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        await _stream.ReadExactlyAsync(buffer, ct);
        return buffer;
    }

    public void Dispose() => _tcp.Dispose();
}
