using Tickrunner.Engine.Feeds;

namespace Tickrunner.Server;

/// <summary>Every knob of the server, bound from the <c>Tickrunner</c> configuration section.</summary>
public sealed class TickrunnerOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Tickrunner";

    /// <summary>Where the SQLite file lives (created if missing).</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>The shipped strategies (read-only).</summary>
    public string StrategiesDirectory { get; set; } = "./strategies";

    /// <summary>Market data.</summary>
    public FeedOptions Feed { get; set; } = new();

    /// <summary>
    /// Host names the server answers to (the name part of the <c>Host</c> header; any port the server listens on).
    /// Empty means <c>localhost</c>, <c>127.0.0.1</c> and <c>[::1]</c>; <c>*</c> allows every name. Other names get
    /// 421: a page on another site whose name resolves to this machine (DNS rebinding) is not served.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>The host names in effect.</summary>
    public IReadOnlyList<string> EffectiveAllowedHosts => AllowedHosts.Count > 0 ? AllowedHosts : ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>Cross-origin access.</summary>
    public CorsOptions Cors { get; set; } = new();

    /// <summary>Demo runners created on the first start.</summary>
    public DemoOptions Demo { get; set; } = new();

    /// <summary>Strategy sandbox limits.</summary>
    public SandboxOptions Sandbox { get; set; } = new();

    /// <summary>The WebSocket event stream.</summary>
    public WebSocketStreamOptions WebSockets { get; set; } = new();

    /// <summary>Engine knobs.</summary>
    public EngineSettings Engine { get; set; } = new();

    /// <summary>Largest request body accepted, in bytes (strategies are the largest bodies).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;
}

/// <summary>Which feed and its settings.</summary>
public sealed class FeedOptions
{
    /// <summary>Simulated, Replay (CSV) or Binance.</summary>
    public string Kind { get; set; } = "Simulated";

    /// <summary>Symbols to stream; empty means the feed's defaults.</summary>
    public List<string> Symbols { get; set; } = [];

    /// <summary>Simulated: time between bars per symbol.</summary>
    public int TickIntervalMs { get; set; } = 250;

    /// <summary>Simulated: seed of the random walk.</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Replay: CSV files as <c>SYMBOL=path</c>.</summary>
    public List<string> ReplayFiles { get; set; } = [];

    /// <summary>Replay: speed factor (0 = as fast as possible).</summary>
    public double ReplaySpeed { get; set; } = 1;

    /// <summary>Binance: region or URL, and the candle interval.</summary>
    public BinanceSettings Binance { get; set; } = new();
}

/// <summary>The Binance feed's settings (symbols come from <see cref="FeedOptions.Symbols"/>).</summary>
public sealed class BinanceSettings
{
    /// <summary>International or US.</summary>
    public string Region { get; set; } = "International";

    /// <summary>A stream base URL that overrides the region (e.g. a test server).</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Kline interval (1s, 1m, 5m, 1h, …).</summary>
    public string Interval { get; set; } = "1m";
}

/// <summary>Origins allowed besides the server's own.</summary>
public sealed class CorsOptions
{
    /// <summary>Allowed origins (default <c>http://localhost:3000</c>, docs/guides/web-app-api.md §6).</summary>
    public List<string> Origins { get; set; } = [];

    /// <summary>The origins in effect.</summary>
    public IReadOnlyList<string> EffectiveOrigins => Origins.Count > 0 ? Origins : ["http://localhost:3000"];
}

/// <summary>Runners created on a fresh data directory so the dashboard is alive at once.</summary>
public sealed class DemoOptions
{
    /// <summary>Create the demo runners on the first start.</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>Strategy sandbox limits.</summary>
public sealed class SandboxOptions
{
    /// <summary>Lua instructions per strategy call.</summary>
    public int InstructionBudget { get; set; } = 1_000_000;

    /// <summary>Memory per strategy's Lua state, in MiB.</summary>
    public int MemoryLimitMb { get; set; } = 32;

    /// <summary>Milliseconds one strategy call may run before the watchdog stops it (and its runner).</summary>
    public int WallClockLimitMs { get; set; } = 1000;
}

/// <summary>The WebSocket stream.</summary>
public sealed class WebSocketStreamOptions
{
    /// <summary>Most concurrent connections; more are refused with 503.</summary>
    public int MaxConnections { get; set; } = 2000;

    /// <summary>Messages queued per client before its oldest are dropped (and it is told).</summary>
    public int QueueSize { get; set; } = 4096;

    /// <summary>Seconds between heartbeat messages.</summary>
    public int HeartbeatSeconds { get; set; } = 15;

    /// <summary>A write a client has not accepted after this many seconds ends its session (it stopped reading).</summary>
    public int WriteTimeoutSeconds { get; set; } = 30;
}

/// <summary>Engine knobs.</summary>
public sealed class EngineSettings
{
    /// <summary>Bars a runner's inbox holds before its oldest is dropped.</summary>
    public int InboxCapacity { get; set; } = 1024;

    /// <summary>Bars a runner processes in a row before the runners waiting for a thread go first.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Threads the runners run on (0: one per core); the rest of the server uses the thread pool.</summary>
    public int RunnerThreads { get; set; }

    /// <summary>Recent events kept for <c>since</c> replays.</summary>
    public int EventHistorySize { get; set; } = 50_000;

    /// <summary>Seconds between checkpoints of runner context and positions to the database.</summary>
    public int CheckpointSeconds { get; set; } = 5;
}
