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
    public void Frames_are_appended_only_within_a_batch()
    {
        var stream = new BatchingStream(new MemoryStream());
        Assert.Throws<InvalidOperationException>(() => stream.AppendTextFrame("{}"u8));
    }
}
