using System.Net.WebSockets;
using Tickrunner.Server.Streaming;

namespace Tickrunner.Server.Tests;

public class BatchingStreamTests
{
    [Fact]
    public async Task Appended_frames_of_every_length_encoding_are_read_back_by_a_websocket_client()
    {
        // 7-bit, 16-bit and 64-bit payload lengths (RFC 6455 §5.2), decoded by .NET's own client-side WebSocket.
        var payloads = new[] { 0, 5, 125, 126, 200, 65_535, 65_536, 70_000 }
            .Select(n => Enumerable.Range(0, n).Select(i => (byte)('a' + i % 26)).ToArray()).ToArray();
        var wire = new MemoryStream();
        var stream = new BatchingStream(wire);
        stream.BeginBatch();
        foreach (var payload in payloads) stream.AppendTextFrame(payload);
        Assert.Equal(0, wire.Length); // nothing written until the batch ends
        await stream.EndBatchAsync(CancellationToken.None);

        wire.Position = 0;
        using var client = WebSocket.CreateFromStream(wire, new WebSocketCreationOptions { IsServer = false });
        var buffer = new byte[100_000];
        foreach (var payload in payloads)
        {
            var received = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await client.ReceiveAsync(buffer.AsMemory(received), CancellationToken.None);
                received += result.Count;
            }
            while (!result.EndOfMessage);
            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            Assert.Equal(payload, buffer[..received]);
        }
    }

    [Fact]
    public async Task No_event_frame_follows_a_close_frame()
    {
        var wire = new MemoryStream();
        var stream = new BatchingStream(wire);
        using var server = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true });
        stream.BeginBatch();
        stream.AppendTextFrame("{\"a\":1}"u8);
        await server.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "too big", CancellationToken.None); // lands in the batch
        stream.AppendTextFrame("{\"b\":2}"u8);
        await stream.EndBatchAsync(CancellationToken.None);

        // The batch's event frames are dropped once the session is closing: the wire holds the close frame alone.
        Assert.Equal(2 + 2 + "too big".Length, wire.Length);
        wire.Position = 0;
        using var client = WebSocket.CreateFromStream(wire, new WebSocketCreationOptions { IsServer = false });
        var result = await client.ReceiveAsync(new byte[64].AsMemory(), CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, client.CloseStatus);
    }

    [Fact]
    public void Frames_are_appended_only_within_a_batch()
    {
        var stream = new BatchingStream(new MemoryStream());
        Assert.Throws<InvalidOperationException>(() => stream.AppendTextFrame("{}"u8));
    }
}
