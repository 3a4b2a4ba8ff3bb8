using Prometheus;
using Tickrunner.Server.Streaming;

namespace Tickrunner.Server.Metrics;

/// <summary>The WebSocket stream's series, read from <see cref="EventStreamService"/>'s counters when scraped.</summary>
internal sealed class StreamMetrics
{
    private readonly EventStreamService _stream;
    private readonly Gauge _clients;
    private readonly Counter _framesSent, _framesDropped, _lagNotices;

    public StreamMetrics(IMetricFactory factory, EventStreamService stream)
    {
        _stream = stream;
        _clients = factory.CreateGauge("tickrunner_websocket_clients", "Open WebSocket connections to /ws.");
        _framesSent = factory.CreateCounter("tickrunner_websocket_frames_sent_total",
            "Text frames sent to WebSocket clients: events, lag notices, heartbeats and replies.");
        _framesDropped = factory.CreateCounter("tickrunner_websocket_frames_dropped_total",
            "Events dropped from the queues of WebSocket clients that fell behind (Tickrunner:WebSockets:QueueSize).");
        _lagNotices = factory.CreateCounter("tickrunner_websocket_lag_notices_total",
            "Lag notices sent: each tells a client how many of its events were dropped.");
    }

    public void Update()
    {
        _clients.Set(_stream.Clients);
        _framesSent.IncTo(_stream.FramesSent);
        _framesDropped.IncTo(_stream.FramesDropped);
        _lagNotices.IncTo(_stream.LagNotices);
    }
}
