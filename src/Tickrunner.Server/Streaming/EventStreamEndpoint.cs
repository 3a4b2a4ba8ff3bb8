using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.Extensions.Primitives;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Wire;
using Tickrunner.Server.Api;
using Tickrunner.Server.Security;

namespace Tickrunner.Server.Streaming;

/// <summary>
/// <c>WS /ws</c>: one runner event per text frame, filtered on the server. The protocol is in
/// docs/guides/web-app-api.md: query-string filters, <c>since</c> replay, subscribe/unsubscribe/filter messages,
/// heartbeats, lag notices, and a connection limit.
/// </summary>
public static partial class EventStreamEndpoint
{
    /// <summary>Maps <c>/ws</c>; the builder is returned so authorization can be attached to it.</summary>
    public static IEndpointConventionBuilder MapEventStream(this IEndpointRouteBuilder app) =>
        app.Map("/ws", Handle).WithTags("Events").WithSummary("WebSocket stream of runner events (see the API guide)")
            .RequireRateLimiting(RateLimits.WebSockets); // the permit is held until the session ends

    private static async Task Handle(HttpContext context, EventStreamService stream, ILoggerFactory loggers, IHostApplicationLifetime lifetime,
        Security.AccessControl access)
    {
        if (!WebSocketHandshake.IsWebSocketRequest(context))
        {
            await Problems.BadRequest("This endpoint speaks WebSocket: connect with ws://host/ws (an HTTP Upgrade request).").ExecuteAsync(context);
            return;
        }
        var query = context.Request.Query;
        var filter = StreamRequests.ParseFilter(query["runner_id"], query["symbol"], query["type"], out var error);
        long? since = null;
        if (error is null && query.TryGetValue("since", out var sinceText))
        {
            if (long.TryParse(sinceText, out var s) && s >= 0) since = s;
            else error = $"since must be a seq ≥ 0, got '{sinceText}'.";
        }
        if (error is not null)
        {
            await Problems.BadRequest(error).ExecuteAsync(context);
            return;
        }
        if (!stream.TryAcquireSlot())
        {
            await Problems.Unavailable($"The server already has {stream.MaxConnections} WebSocket clients (Tickrunner:WebSockets:MaxConnections); try again later.")
                .ExecuteAsync(context);
            return;
        }
        try
        {
            if (await WebSocketHandshake.AcceptAsync(context, TimeSpan.FromSeconds(30)) is not var (socket, frames)) return;
            using (socket)
            {
                using var subscription = stream.Subscribe(filter, since);
                var session = new Session(socket, frames, subscription, stream, loggers.CreateLogger(typeof(EventStreamEndpoint)),
                    access.StillAllowed(context));
                // Sessions end when the server stops (with a close frame), so shutdown does not wait for clients.
                await session.RunAsync(context.RequestAborted, lifetime.ApplicationStopping);
            }
        }
        finally
        {
            stream.ReleaseSlot();
        }
    }

    private sealed partial class Session(WebSocket socket, BatchingStream frames, EventSubscription subscription, EventStreamService stream, ILogger logger,
        Func<bool> stillAllowed)
    {
        private readonly SemaphoreSlim _send = new(1, 1);
        // When the write in progress started (Stopwatch ticks), 0 when none is: the watchdog's whole state. A
        // per-write timer (a linked CancellationTokenSource with CancelAfter) cost an allocation and a trip
        // through the shared timer queue on every batch, i.e. 100,000 a second at 1,000 clients.
        private long _writeStartedAt;

        public async Task RunAsync(CancellationToken aborted, CancellationToken stopping)
        {
            using var done = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            // On shutdown: say goodbye (1001), give the client 2 s to answer, then cut the session.
            using var onStop = stopping.Register(() =>
            {
                _ = CloseForShutdownAsync();
                done.CancelAfter(TimeSpan.FromSeconds(2));
            });
            var pump = PumpEventsAsync(done.Token);
            var heartbeat = HeartbeatAsync(done.Token);
            var watchdog = WatchWritesAsync(done);
            try
            {
                await ReceiveAsync(done.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
            }
            finally
            {
                await done.CancelAsync();
                subscription.Dispose(); // ends the sender's wait (it waits without a token)
                await Task.WhenAll(Quietly(pump), Quietly(heartbeat), Quietly(watchdog));
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    try
                    {
                        using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                        await socket.CloseAsync(stopping.IsCancellationRequested ? WebSocketCloseStatus.EndpointUnavailable : WebSocketCloseStatus.NormalClosure,
                            stopping.IsCancellationRequested ? "server stopping" : "bye", closing.Token);
                    }
                    catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
                    {
                    }
                }
            }
        }

        private async Task CloseForShutdownAsync()
        {
            try
            {
                if (!await _send.WaitAsync(TimeSpan.FromSeconds(2))) return; // the session is cut at the 2 s mark anyway
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "server stopping", timeout.Token);
                }
                finally
                {
                    _send.Release();
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }

        // Everything queued for this client goes out as one write of consecutive frames (up to 256 at a time),
        // framed by the batching stream rather than the WebSocket's SendAsync; _send orders batches with the
        // session's other sends (heartbeats, replies, the shutdown close).
        private async Task PumpEventsAsync(CancellationToken ct)
        {
            // No token on the wait: registering one on every wait (a hundred times per burst of events at 100
            // clients) cost more than ending the wait by completing the subscription when the session ends.
            while (await subscription.WaitToReadAsync())
            {
                await _send.WaitAsync(ct);
                // Once a close frame went out (shutdown), no data frame may follow it.
                if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
                {
                    _send.Release();
                    return;
                }
                Volatile.Write(ref _writeStartedAt, Stopwatch.GetTimestamp());
                frames.BeginBatch();
                var batch = 0;
                try
                {
                    for (; batch < 256 && subscription.TryRead(out var message); batch++)
                    {
                        if (message.IsLagNotice) stream.CountLagNotice();
                        frames.AppendTextFrame(message.Json);
                    }
                }
                finally
                {
                    try
                    {
                        // Always leave batch mode, so a close frame written later is not stuck in the buffer.
                        await frames.EndBatchAsync(ct);
                        stream.CountSent(batch);
                    }
                    finally
                    {
                        Volatile.Write(ref _writeStartedAt, 0);
                        _send.Release();
                    }
                }
            }
        }

        // A client that has not accepted a write for WriteTimeoutSeconds has stopped reading: cancelling the session
        // (which cancels the stuck write) and aborting the socket ends it and frees its connection slot. Its
        // events were being dropped, and counted, meanwhile.
        private async Task WatchWritesAsync(CancellationTokenSource session)
        {
            var timeout = stream.WriteTimeout;
            using var timer = new PeriodicTimer(timeout / 4);
            while (await timer.WaitForNextTickAsync(session.Token))
            {
                var started = Volatile.Read(ref _writeStartedAt);
                if (started != 0 && Stopwatch.GetElapsedTime(started) > timeout)
                {
                    await session.CancelAsync();
                    socket.Abort();
                    return;
                }
            }
        }

        private async Task HeartbeatAsync(CancellationToken ct)
        {
            using var timer = new PeriodicTimer(stream.HeartbeatInterval);
            while (await timer.WaitForNextTickAsync(ct))
            {
                // A stream outlives its handshake: a revoked key, a logout or an expired session ends it here (1008).
                if (!stillAllowed())
                {
                    await CloseWithErrorAsync(WebSocketCloseStatus.PolicyViolation, "the key was revoked or the session ended; connect with a valid key", ct);
                    return;
                }
                await SendAsync(StreamMessages.Heartbeat(stream.Clock.NowUnixMs(), stream.LastSeq), ct);
            }
        }

        private async Task ReceiveAsync(CancellationToken ct)
        {
            var buffer = new ArrayBufferWriter<byte>(1024);
            while (socket.State == WebSocketState.Open)
            {
                buffer.ResetWrittenCount();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.GetMemory(1024), ct);
                    if (result.MessageType == WebSocketMessageType.Binary)
                    {
                        // Client messages are JSON text; a binary frame is a protocol error, like an oversized message.
                        await CloseWithErrorAsync(WebSocketCloseStatus.InvalidMessageType, "binary frames are not supported; send JSON as text frames", ct);
                        return;
                    }
                    buffer.Advance(result.Count);
                    if (buffer.WrittenCount > 64 * 1024)
                    {
                        await CloseWithErrorAsync(WebSocketCloseStatus.MessageTooBig, "messages are limited to 64 KiB", ct);
                        return;
                    }
                }
                while (!result.EndOfMessage);
                if (result.MessageType == WebSocketMessageType.Close) return;
                await SendAsync(HandleMessage(buffer.WrittenSpan), ct);
            }
        }

        // Under the send lock: a close frame must not interleave with a batch of events being written.
        private async Task CloseWithErrorAsync(WebSocketCloseStatus status, string description, CancellationToken ct)
        {
            await _send.WaitAsync(ct);
            try
            {
                // The client gets 2 s to answer the close; the session ends either way.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                await socket.CloseAsync(status, description, timeout.Token);
            }
            finally
            {
                _send.Release();
            }
        }

        // The protocol's message rules are in StreamRequests; the session only swaps its subscription's filter.
        private byte[] HandleMessage(ReadOnlySpan<byte> utf8)
        {
            if (StreamRequests.Apply(utf8, subscription.Filter, out var error) is not { } filter)
                return StreamMessages.ProtocolError(error!);
            subscription.Filter = filter;
            return StreamMessages.Subscribed(subscription.Filter, stream.LastSeq);
        }

        private async Task SendAsync(ReadOnlyMemory<byte> utf8, CancellationToken ct)
        {
            await _send.WaitAsync(ct);
            Volatile.Write(ref _writeStartedAt, Stopwatch.GetTimestamp());
            try
            {
                await socket.SendAsync(utf8, WebSocketMessageType.Text, endOfMessage: true, ct);
                stream.CountSent(1);
            }
            finally
            {
                Volatile.Write(ref _writeStartedAt, 0);
                _send.Release();
            }
        }

        private async Task Quietly(Task task)
        {
            try
            {
                await task;
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
            {
            }
            catch (Exception e)
            {
                LogSessionFailed(e);
            }
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "A WebSocket session ended with an error")]
        private partial void LogSessionFailed(Exception e);
    }
}
