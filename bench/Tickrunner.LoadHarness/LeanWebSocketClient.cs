using System.Net.Sockets;
using System.Text;

/// <summary>
/// A minimal WebSocket client for the harness: one TCP socket, the RFC 6455 handshake, then reads of up to
/// 64 KiB parsed into frames in place. Many frames per read keep the clients' CPU (which shares the 2 cores
/// with the server under test) small, so the figures describe the server rather than the load generator.
/// </summary>
internal sealed class LeanWebSocketClient : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;

    private LeanWebSocketClient(Socket socket) => _socket = socket;

    /// <summary>Connects and upgrades; with <paramref name="bearer"/>, the handshake carries that API key.</summary>
    public static async Task<LeanWebSocketClient> ConnectAsync(Uri server, string pathAndQuery, string? bearer = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server.Host, server.Port);
        var client = new LeanWebSocketClient(socket);
        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        var request = $"GET {pathAndQuery} HTTP/1.1\r\nHost: {server.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                      $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n" +
                      (bearer is null ? "" : $"Authorization: Bearer {bearer}\r\n") + "\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        // Read the 101 response; anything after the blank line is already frame data.
        while (true)
        {
            var n = await socket.ReceiveAsync(client._buffer.AsMemory(client._end));
            if (n == 0) throw new IOException("closed during the handshake");
            client._end += n;
            var text = Encoding.ASCII.GetString(client._buffer, 0, client._end);
            var blank = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (blank < 0) continue;
            if (!text.StartsWith("HTTP/1.1 101", StringComparison.Ordinal)) throw new IOException(text);
            client._start = blank + 4;
            return client;
        }
    }

    /// <summary>Reads once and calls <paramref name="onText"/> for every complete text frame; false when closed.</summary>
    public async ValueTask<bool> ReadAsync(Action<ReadOnlyMemory<byte>> onText, CancellationToken ct)
    {
        if (_start > 0 && _start == _end) _start = _end = 0;
        if (_end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        var n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct);
        if (n == 0) return false;
        _end += n;
        while (_end - _start >= 2)
        {
            var opcode = _buffer[_start] & 0x0F;
            var length = _buffer[_start + 1] & 0x7F;
            var header = 2;
            if (length == 126)
            {
                if (_end - _start < 4) break;
                length = (_buffer[_start + 2] << 8) | _buffer[_start + 3];
                header = 4;
            }
            else if (length == 127)
            {
                throw new IOException("frame too large for the harness");
            }
            if (_end - _start < header + length) break;
            if (opcode == 8) return false;
            if (opcode == 1) onText(_buffer.AsMemory(_start + header, length));
            _start += header + length;
        }
        return true;
    }

    public void Dispose() => _socket.Dispose();
}
