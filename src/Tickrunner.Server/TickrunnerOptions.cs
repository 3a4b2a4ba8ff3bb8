using Tickrunner.Engine.Feeds;
using Tickrunner.Server.Metrics;
using Tickrunner.Server.Security;

namespace Tickrunner.Server;

/// <summary>
/// The server's own knobs, bound from the <c>Tickrunner</c> configuration section. The engine's knobs are bound
/// straight into the engine's option types from their subsections (see <c>TickrunnerServices</c>):
/// <c>Sandbox</c> → <c>LuaSandboxOptions</c>, <c>Engine</c> → <c>EngineOptions</c> and <c>EventHubOptions</c>,
/// <c>Feed</c> → <c>SimulatedFeedOptions</c>, <c>Feed:Binance</c> → <c>BinanceFeedOptions</c>.
/// </summary>
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

    /// <summary>The WebSocket event stream.</summary>
    public WebSocketStreamOptions WebSockets { get; set; } = new();

    /// <summary>Request and WebSocket limits per API key or client address.</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Content-Security-Policy and the other headers on every response.</summary>
    public SecurityHeadersOptions SecurityHeaders { get; set; } = new();

    /// <summary>A reverse proxy in front: whose X-Forwarded-For and X-Forwarded-Proto to believe.</summary>
    public TrustedProxyOptions ForwardedHeaders { get; set; } = new();

    /// <summary>Who may do what: keys, sessions (also bound on its own for the access services).</summary>
    public AuthOptions Auth { get; set; } = new();

    /// <summary>Largest request body accepted, in bytes (strategies are the largest bodies; dataset uploads have their own limit).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Datasets over HTTP: uploads and downloads.</summary>
    public DatasetOptions Datasets { get; set; } = new();

    /// <summary>Backtest jobs.</summary>
    public BacktestOptions Backtests { get; set; } = new();

    /// <summary>Parameter optimization jobs.</summary>
    public OptimizationOptions Optimizations { get; set; } = new();

    /// <summary>The portfolio's sampled curve.</summary>
    public Portfolio.PortfolioOptions Portfolio { get; set; } = new();

    /// <summary>Prometheus metrics at <c>/metrics</c>.</summary>
    public MetricsOptions Metrics { get; set; } = new();

    /// <summary>Each symbol's candle history for the charts.</summary>
    public Candles.CandleOptions Candles { get; set; } = new();

    /// <summary>Each runner's plotted series (its strategy's <c>plot()</c>) for the charts.</summary>
    public Plots.PlotOptions Plots { get; set; } = new();
}

/// <summary>Datasets over HTTP (<c>Tickrunner:Datasets</c>); they live in <c>&lt;DataDirectory&gt;/datasets</c>, where the CLI keeps them too.</summary>
public sealed class DatasetOptions
{
    /// <summary>Largest CSV upload, in bytes (413 beyond); only <c>POST /api/datasets</c> may exceed <see cref="TickrunnerOptions.MaxRequestBodyBytes"/>.</summary>
    public long MaxUploadBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Binance's REST API for <c>POST /api/datasets/download</c> (a proxy or a test server may stand in).</summary>
    public string BinanceBaseUrl { get; set; } = Tickrunner.Engine.Datasets.BinanceDownloadOptions.DefaultBaseUrl;
}

/// <summary>Backtest jobs (<c>Tickrunner:Backtests</c>): a bounded pool of low-priority threads and a bounded queue.</summary>
public sealed class BacktestOptions
{
    /// <summary>Backtests run at once, each on its own thread; 0 means one less than the cores (at least 1), leaving a core to live trading.</summary>
    public int Workers { get; set; }

    /// <summary>Jobs waiting for a worker; a submission beyond it is refused with 429.</summary>
    public int QueueLimit { get; set; } = 100;

    /// <summary>Least time between two BacktestProgress events of one job, in milliseconds (250: at most about 4 a second).</summary>
    public int ProgressIntervalMs { get; set; } = 250;

    /// <summary>The worker count in effect.</summary>
    public int EffectiveWorkers => Workers > 0 ? Workers : Math.Max(1, Environment.ProcessorCount - 1);
}

/// <summary>
/// Optimization jobs (<c>Tickrunner:Optimizations</c>): one job at a time, its trials on a pool of low-priority threads, and a
/// bounded queue.
/// </summary>
public sealed class OptimizationOptions
{
    /// <summary>Threads the running job's trials run on, all at the lowest priority; every core by default, as they take only what the runners leave.</summary>
    public int Workers { get; set; } = Environment.ProcessorCount;

    /// <summary>Jobs waiting for the running one to end; a submission beyond it is refused with 429.</summary>
    public int QueueLimit { get; set; } = 20;

    /// <summary>Least time between two OptimizationProgress events of one job, in milliseconds.</summary>
    public int ProgressIntervalMs { get; set; } = 250;
}

/// <summary>
/// Which feed, its symbols and the replay files: the server's shorthand (symbol names for every feed kind,
/// <c>SYMBOL=path</c> for replays). The simulated and Binance feeds' own settings bind into their engine types.
/// </summary>
public sealed class FeedOptions
{
    /// <summary>Simulated, Replay (CSV) or Binance.</summary>
    public string Kind { get; set; } = "Simulated";

    /// <summary>Symbols to stream; empty means the feed's defaults.</summary>
    public List<string> Symbols { get; set; } = [];

    /// <summary>
    /// Simulated: after a restart, go on from the last prices with a new path instead of replaying the seeded one from the
    /// start prices (default true). Off, or with <c>Feed:Seed</c> set, every start gives the same bars.
    /// </summary>
    public bool Continue { get; set; } = true;

    /// <summary>Replay: CSV files as <c>SYMBOL=path</c>.</summary>
    public List<string> ReplayFiles { get; set; } = [];

    /// <summary>Replay: speed factor (0 = as fast as possible).</summary>
    public double ReplaySpeed { get; set; } = 1;

    /// <summary>Binance: region or URL, and the candle interval (its symbols come from <see cref="Symbols"/>).</summary>
    public BinanceFeedOptions Binance { get; set; } = new();
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

/// <summary>
/// The journal's knob that is the server's, not the engine's: bound from <c>Tickrunner:Engine</c> beside the
/// engine's own options, where the key has always been.
/// </summary>
public sealed class JournalOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Tickrunner:Engine";

    /// <summary>Seconds between checkpoints of runner context to the database (minimum 1).</summary>
    public int CheckpointSeconds { get; set; } = 5;
}

/// <summary>
/// Limits across every runner of the engine (<c>Tickrunner:Risk</c>), checked when an entry fills; a key left out is not
/// checked. Each runner's own limits are in its definition (<c>risk</c> in the create body).
/// </summary>
public sealed class RiskOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Tickrunner:Risk";

    /// <summary>Largest sum of the open positions' notional (entry price × quantity) across runners, in the account currency.</summary>
    public double? MaxTotalNotional { get; set; }

    /// <summary>Most positions open at once across runners.</summary>
    public int? MaxOpenPositions { get; set; }
}
