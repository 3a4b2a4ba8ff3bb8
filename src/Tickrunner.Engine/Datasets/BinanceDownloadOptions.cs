namespace Tickrunner.Engine.Datasets;

/// <summary>Where and how fast <see cref="BinanceKlineDownloader"/> fetches klines, and how it waits and retries.</summary>
public sealed class BinanceDownloadOptions
{
    /// <summary>Binance's spot REST API.</summary>
    public const string DefaultBaseUrl = "https://api.binance.com";

    /// <summary>The REST base URL (the downloader appends <c>/api/v3/klines</c>): Binance, Binance.US, a proxy or a test server.</summary>
    public string BaseUrl { get; set; } = DefaultBaseUrl;

    /// <summary>Klines per request (Binance allows at most 1,000).</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>The request weight Binance allows per minute for this IP (6,000 on spot), read against <c>X-MBX-USED-WEIGHT-1m</c>.</summary>
    public int WeightLimitPerMinute { get; set; } = 6000;

    /// <summary>Share of <see cref="WeightLimitPerMinute"/> at which the downloader waits for the next minute's budget.</summary>
    public double SlowDownAt { get; set; } = 0.8;

    /// <summary>Retries of one request after 429, 418, 5xx or a network error before giving up.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>First wait when the server gives no Retry-After; doubles per retry up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between retries without a Retry-After.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A Retry-After longer than this (e.g. a 418 IP ban of hours) ends the download with an error instead of waiting.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Bars held in memory before they are written to the dataset (each write rewrites the file).</summary>
    public int FlushBars { get; set; } = 500_000;

    /// <summary>The clock: which klines are still forming, and when the next weight minute starts.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>How to wait (null = <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/>); tests pass a recorder.</summary>
    public Func<TimeSpan, CancellationToken, Task>? Delay { get; set; }
}

/// <summary>Progress of a download: bars fetched so far, the number expected in the missing ranges, and the newest bar time.</summary>
public sealed record DownloadProgress(long Fetched, long Expected, long? LastTimestamp);

/// <summary>The dataset after a download (null when nothing existed and nothing was fetched), and what it took.</summary>
public sealed record DownloadResult(DatasetInfo? Dataset, long Fetched, int Requests, int Retries, TimeSpan Waited);

/// <summary>Binance refused or failed a request for good (after the retries, or a ban longer than allowed); bars stored so far are kept.</summary>
public sealed class BinanceDownloadException(string message, int? statusCode = null, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The HTTP status, when there was a response.</summary>
    public int? StatusCode { get; } = statusCode;
}
