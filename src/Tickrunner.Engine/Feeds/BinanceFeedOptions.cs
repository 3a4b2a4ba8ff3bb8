namespace Tickrunner.Engine.Feeds;

/// <summary>Settings of the Binance feed: where to connect, which symbols and candle interval, and the resilience timings.</summary>
public sealed class BinanceFeedOptions
{
    /// <summary>Binance's international spot stream.</summary>
    public const string InternationalUrl = "wss://stream.binance.com:9443";

    /// <summary>Binance.US's spot stream.</summary>
    public const string UsUrl = "wss://stream.binance.us:9443";

    /// <summary>International or US; ignored when <see cref="BaseUrl"/> is set.</summary>
    public string Region { get; set; } = "International";

    /// <summary>The stream base URL (the feed appends <c>/stream</c>); overrides <see cref="Region"/>.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Symbols at start, e.g. BTCUSDT (case does not matter).</summary>
    public List<string> Symbols { get; set; } = [];

    /// <summary>Kline interval: 1s, 1m, 3m, 5m, 15m, 30m, 1h, …</summary>
    public string Interval { get; set; } = "1m";

    /// <summary>How often the client pings the server.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Silence after which the connection is considered dead and replaced.</summary>
    public TimeSpan SilenceTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>First reconnect delay; doubles per failed attempt (with ±50 % jitter) up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest reconnect delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The URL in effect.</summary>
    public string EffectiveBaseUrl => (BaseUrl ?? (Region.Equals("US", StringComparison.OrdinalIgnoreCase) ? UsUrl : InternationalUrl)).TrimEnd('/');

    internal static readonly HashSet<string> Intervals = new(StringComparer.Ordinal)
        { "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M" };

    /// <summary>Length of one interval in milliseconds (a month counts as 30 days), for gap detection.</summary>
    internal long IntervalMs => Interval switch
    {
        "1s" => 1_000,
        "1M" => 30L * 86_400_000,
        _ => long.Parse(Interval[..^1], System.Globalization.CultureInfo.InvariantCulture) * Interval[^1] switch
        {
            'm' => 60_000L,
            'h' => 3_600_000L,
            'd' => 86_400_000L,
            'w' => 7 * 86_400_000L,
            _ => 60_000L,
        },
    };
}
