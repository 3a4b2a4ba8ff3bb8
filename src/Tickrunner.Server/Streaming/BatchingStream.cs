using System.Buffers.Binary;

namespace Tickrunner.Server.Streaming;

/// <summary>
/// Wraps the upgraded connection so a batch of WebSocket frames goes out in one write: between
/// <see cref="BeginBatch"/> and <see cref="EndBatchAsync"/> writes are collected in memory; outside a batch
/// (pings, pongs, close frames) they pass straight through.
/// </summary>
/// <remarks>
/// Every event must be its own frame, but nothing says each frame needs its own system call: when a client's
/// queue holds several events, one write carries all of them, which is what keeps 100k messages/s affordable.
/// </remarks>
internal sealed class BatchingStream(Stream inner) : Stream
{
    // What the WebSocket itself writes during a batch (pings, pongs, close frames, replies), under the gate.
    private readonly MemoryStream _batch = new();
    // The event frames of the batch; only the batch's owner appends them, without the gate, so a write of the
    // WebSocket's stuck behind a client that stopped reading can never block it (EndBatchAsync waits
    // for the gate with a token, and the session's write watchdog cancels that).
    private readonly MemoryStream _frames = new();
    // The WebSocket's own keep-alive pings, pongs and close frames may be written while a batch is flushed:
    // every write to the connection and to the batch goes through this gate.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _batching;
    // Set when a close frame has been written (by whoever): no data frame may follow it (RFC 6455 §5.5.1).
    private bool _closeWritten;

    public void BeginBatch() => _batching = true;

    /// <summary>Writes what the batch collected in one call and leaves batch mode.</summary>
    public async ValueTask EndBatchAsync(CancellationToken cancellationToken)
    {
        _batching = false; // even when the wait below is cancelled, later writes must not stay in the buffer
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_closeWritten) _batch.Write(_frames.GetBuffer().AsSpan(0, (int)_frames.Length));
            if (_batch.Length == 0) return;
            await inner.WriteAsync(_batch.GetBuffer().AsMemory(0, (int)_batch.Length), cancellationToken);
            await inner.FlushAsync(cancellationToken);
        }
        finally
        {
            _batch.SetLength(0);
            _frames.SetLength(0);
            _gate.Release();
        }
    }

    /// <summary>
    /// Appends one unmasked, final text frame (RFC 6455 §5.2) to the batch. Server frames need no mask, so an
    /// event's shared JSON bytes go in behind a 2–10 byte header without passing through the WebSocket's own
    /// per-message send path. Only between <see cref="BeginBatch"/> and <see cref="EndBatchAsync"/>, by the
    /// batch's owner; dropped if a close frame has been written by then.
    /// </summary>
    public void AppendTextFrame(ReadOnlySpan<byte> payload)
    {
        if (!_batching) throw new InvalidOperationException("Frames are appended only within a batch.");
        Span<byte> header = stackalloc byte[10];
        header[0] = 0x81; // FIN + text
        int length;
        if (payload.Length < 126)
        {
            header[1] = (byte)payload.Length;
            length = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)payload.Length);
            length = 4;
        }
        else
        {
            header[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(header[2..], (ulong)payload.Length);
            length = 10;
        }
        _frames.Write(header[..length]);
        _frames.Write(payload);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // The WebSocket writes each frame in one call, so a write starting with FIN + close is a close frame.
            if (!buffer.IsEmpty && buffer.Span[0] == 0x88) _closeWritten = true;
            if (_batching) _batch.Write(buffer.Span);
            else await inner.WriteAsync(buffer, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_batching) await inner.FlushAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
