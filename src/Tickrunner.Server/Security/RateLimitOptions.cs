using System.Globalization;
using System.Threading.RateLimiting;

namespace Tickrunner.Server.Security;

/// <summary>
/// Request limits (<c>Tickrunner:RateLimits</c>), kept per API key when a request is authenticated and per client
/// address otherwise: a general budget for every request that reaches the API, stricter ones for login, uploads and
/// job creation, and a cap on open WebSocket connections. See docs/guides/web-app-api.md, "Rate limits".
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Off: no request is limited (the global <c>WebSockets:MaxConnections</c> and the backtest queue limit still apply).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Every request past the dashboard's static files: API calls, <c>/ws</c> handshakes, <c>/openapi</c>. Generous on
    /// purpose (a dashboard makes a few requests a second, the load harness 5,000 snapshots back to back); it stops a
    /// runaway script, not a person.
    /// </summary>
    public TokenBucketLimit Api { get; set; } = new() { TokenLimit = 10_000, TokensPerPeriod = 2_000, PeriodSeconds = 1 };

    /// <summary><c>POST /api/auth/login</c>: guessing keys through the login page is slow.</summary>
    public TokenBucketLimit Login { get; set; } = new() { TokenLimit = 10, TokensPerPeriod = 1, PeriodSeconds = 6 };

    /// <summary>Strategy uploads and updates, dataset uploads and Binance downloads: each costs a compile, disk or Binance's quota.</summary>
    public TokenBucketLimit Uploads { get; set; } = new() { TokenLimit = 30, TokensPerPeriod = 1, PeriodSeconds = 2 };

    /// <summary>New backtests and optimizations (one budget): each costs workers for up to minutes.</summary>
    public TokenBucketLimit Jobs { get; set; } = new() { TokenLimit = 60, TokensPerPeriod = 1, PeriodSeconds = 1 };

    /// <summary>Open WebSocket connections per key or address.</summary>
    public WebSocketConnectionLimit WebSockets { get; set; } = new();
}

/// <summary>
/// A token bucket: up to <see cref="TokenLimit"/> requests at once, then <see cref="TokensPerPeriod"/> more every
/// <see cref="PeriodSeconds"/>; a request that finds the bucket empty is refused with 429 at once (never queued).
/// </summary>
public sealed class TokenBucketLimit
{
    /// <summary>The bucket's size: requests allowed in a burst.</summary>
    public int TokenLimit { get; set; }

    /// <summary>Requests added back each period.</summary>
    public int TokensPerPeriod { get; set; }

    /// <summary>Seconds between refills (fractions allowed, at least 0.1).</summary>
    public double PeriodSeconds { get; set; } = 1;

    /// <summary>The limiter's settings for one partition.</summary>
    public TokenBucketRateLimiterOptions ToLimiterOptions() => new()
    {
        TokenLimit = TokenLimit,
        TokensPerPeriod = TokensPerPeriod,
        ReplenishmentPeriod = TimeSpan.FromSeconds(PeriodSeconds),
        QueueLimit = 0, // refuse at once: a queued request would hold its connection and learn nothing
        AutoReplenishment = true, // partitioned limiters are refilled by the partitioned limiter's own timer
    };

    /// <summary>The rate in words, for problem details: "30 requests at once, then 1 more every 2 s".</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{TokenLimit} request{(TokenLimit == 1 ? "" : "s")} at once, then {TokensPerPeriod} more every {PeriodSeconds:0.###} s");

    /// <summary>Problems with the values, each naming the key under <paramref name="section"/>.</summary>
    public IEnumerable<string> Problems(string section)
    {
        if (TokenLimit < 1) yield return $"{section}:TokenLimit must be at least 1, got {TokenLimit}.";
        if (TokensPerPeriod < 1) yield return $"{section}:TokensPerPeriod must be at least 1, got {TokensPerPeriod}.";
        if (TokensPerPeriod > TokenLimit) yield return $"{section}:TokensPerPeriod ({TokensPerPeriod}) must not exceed {section}:TokenLimit ({TokenLimit}).";
        if (!(PeriodSeconds >= 0.1)) yield return string.Create(CultureInfo.InvariantCulture, $"{section}:PeriodSeconds must be at least 0.1, got {PeriodSeconds}.");
    }
}

/// <summary>Open WebSocket connections per API key or client address (<c>Tickrunner:RateLimits:WebSockets</c>).</summary>
public sealed class WebSocketConnectionLimit
{
    /// <summary>
    /// Connections one key or address may hold open at once; the next is refused with 429 until one closes. A dashboard
    /// tab holds one. The load harness opens 1,000 from loopback and raises this in its settings.
    /// </summary>
    public int MaxConnectionsPerClient { get; set; } = 100;

    /// <summary>The <c>Retry-After</c> sent with a refused connection (a connection limit has no refill time to report).</summary>
    public int RetryAfterSeconds { get; set; } = 5;

    /// <summary>Problems with the values, each naming the key under <paramref name="section"/>.</summary>
    public IEnumerable<string> Problems(string section)
    {
        if (MaxConnectionsPerClient < 1) yield return $"{section}:MaxConnectionsPerClient must be at least 1, got {MaxConnectionsPerClient}.";
        if (RetryAfterSeconds < 1) yield return $"{section}:RetryAfterSeconds must be at least 1, got {RetryAfterSeconds}.";
    }
}
