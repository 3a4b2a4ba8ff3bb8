using System.Net.Sockets;
using System.Text;

/// <summary>
/// A keep-alive HTTP/1.1 GET client on one socket, for timing the server's answer rather than HttpClient's
/// own handling (which costs more than the snapshot itself on loopback).
/// </summary>
internal sealed class LeanHttpClient : IDisposable
{
    private readonly Socket _socket;
    private readonly string _host;
    private readonly string _authorization;
    private readonly byte[] _buffer = new byte[256 * 1024];

    private LeanHttpClient(Socket socket, string host, string? bearer)
    {
        _socket = socket;
        _host = host;
        _authorization = bearer is null ? "" : $"Authorization: Bearer {bearer}\r\n";
    }

    /// <summary>Connects; with <paramref name="bearer"/>, every request carries that API key.</summary>
    public static async Task<LeanHttpClient> ConnectAsync(Uri server, string? bearer = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server.Host, server.Port);
        return new LeanHttpClient(socket, server.Authority, bearer);
    }

    /// <summary>GETs a path and returns the status code; the body is read and dropped.</summary>
    public async Task<int> GetAsync(string path)
    {
        await _socket.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {_host}\r\nAccept: application/json\r\n{_authorization}\r\n"));
        var length = 0;
        int headerEnd;
        while ((headerEnd = IndexOfHeaderEnd(length)) < 0)
        {
            var n = await _socket.ReceiveAsync(_buffer.AsMemory(length));
            if (n == 0) throw new IOException("closed");
            length += n;
        }
        var headers = Encoding.ASCII.GetString(_buffer, 0, headerEnd);
        var status = int.Parse(headers.AsSpan(9, 3));
        var contentLength = -1;
        foreach (var line in headers.Split("\r\n"))
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) contentLength = int.Parse(line.AsSpan(15).Trim());
        if (contentLength >= 0)
        {
            while (length < headerEnd + 4 + contentLength) length += await Receive(length);
            return status;
        }
        // Chunked: the body ends with a zero-length chunk.
        while (!_buffer.AsSpan(headerEnd + 4, length - headerEnd - 4).EndsWith("\r\n0\r\n\r\n"u8)
               && !_buffer.AsSpan(headerEnd + 4, length - headerEnd - 4).SequenceEqual("0\r\n\r\n"u8))
            length += await Receive(length);
        return status;
    }

    private async Task<int> Receive(int offset)
    {
        var n = await _socket.ReceiveAsync(_buffer.AsMemory(offset));
        if (n == 0) throw new IOException("closed");
        return n;
    }

    private int IndexOfHeaderEnd(int length) => _buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);

    public void Dispose() => _socket.Dispose();
}
