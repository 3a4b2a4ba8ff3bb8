using System.Diagnostics;
using System.Globalization;
using Tickrunner.Engine.Datasets;

namespace Tickrunner.Engine.Tests.Datasets;

public sealed class BinanceKlineDownloaderTests : DatasetFiles, IAsyncLifetime
{
    private FakeBinanceRestServer _server = null!;
    private readonly List<TimeSpan> _delays = [];

    public async Task InitializeAsync() => _server = await FakeBinanceRestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private DatasetStore Store { get => field ??= new DatasetStore(Path.Combine(Dir, "datasets")); }

    /// <summary>Options against the fake server; waits are recorded and skipped unless <paramref name="realWaits"/>.</summary>
    private BinanceDownloadOptions Options(bool realWaits = false) => new()
    {
        BaseUrl = _server.BaseUrl,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        Delay = realWaits ? null : (delay, _) => { lock (_delays) _delays.Add(delay); return Task.CompletedTask; },
    };

    private long Time(int i) => _server.Start + i * _server.IntervalMs;

    private sealed class Recorder(Action<DownloadProgress>? also = null) : IProgress<DownloadProgress>
    {
        public List<DownloadProgress> Reports { get; } = [];
        public void Report(DownloadProgress value) { Reports.Add(value); also?.Invoke(value); }
    }

    private void AssertServedBars(BarSeries series, int firstIndex)
    {
        for (var i = 0; i < series.Count; i++)
        {
            var served = _server.Bar(firstIndex + i);
            Assert.Equal(served.OpenTime, series.Timestamps[i]);
            Assert.Equal(double.Parse(served.Open, CultureInfo.InvariantCulture), series.Open[i]);
            Assert.Equal(double.Parse(served.High, CultureInfo.InvariantCulture), series.High[i]);
            Assert.Equal(double.Parse(served.Low, CultureInfo.InvariantCulture), series.Low[i]);
            Assert.Equal(double.Parse(served.Close, CultureInfo.InvariantCulture), series.Close[i]);
            Assert.Equal(double.Parse(served.Volume, CultureInfo.InvariantCulture), series.Volume[i]);
        }
    }

    [Fact]
    public async Task Pages_of_1000_fill_a_dataset_with_progress()
    {
        using var downloader = new BinanceKlineDownloader(Store, Options());
        var progress = new Recorder();
        var result = await downloader.DownloadAsync("btcusdt", "1m", Time(0), Time(3499), progress: progress);

        Assert.Equal(new DatasetInfo("BTCUSDT-1m", "BTCUSDT", "1m", Time(0), Time(3499), 3500, 0, 0), result.Dataset);
        Assert.Equal((3500L, 4, 0), (result.Fetched, result.Requests, result.Retries));
        // Each page starts 1 ms after the last open time received (Binance's startTime is inclusive).
        Assert.Equal([Time(0), Time(999) + 1, Time(1999) + 1, Time(2999) + 1], _server.Requests.Select(r => r.StartTime));
        Assert.All(_server.Requests, r => Assert.Equal(("BTCUSDT", "1m", Time(3499), 1000), (r.Symbol, r.Interval, r.EndTime, r.Limit)));
        Assert.Equal([1000L, 2000, 3000, 3500], progress.Reports.Select(p => p.Fetched));
        Assert.All(progress.Reports, p => Assert.Equal(3500, p.Expected));
        AssertServedBars(Store.Load("BTCUSDT-1m"), 0);
        Assert.Empty(_delays);
    }

    [Fact]
    public async Task A_second_run_fetches_only_what_is_missing_at_the_end_and_at_the_start()
    {
        using var downloader = new BinanceKlineDownloader(Store, Options());
        await downloader.DownloadAsync("BTCUSDT", "1m", Time(1200), Time(1999));
        Assert.Single(_server.Requests);
        _server.Requests.Clear();

        var progress = new Recorder();
        var result = await downloader.DownloadAsync("BTCUSDT", "1m", Time(0), Time(3499), progress: progress);
        Assert.Equal([(Time(1999) + 1, Time(3499)), (Time(2999) + 1, Time(3499)), (Time(0), Time(1200) - 1), (Time(999) + 1, Time(1200) - 1)],
            _server.Requests.Select(r => (r.StartTime, r.EndTime)));
        Assert.Equal(2700, result.Fetched);
        Assert.Equal(2700, progress.Reports[^1].Expected);
        Assert.Equal(new DatasetInfo("BTCUSDT-1m", "BTCUSDT", "1m", Time(0), Time(3499), 3500, 0, 0), result.Dataset);
        AssertServedBars(Store.Load("BTCUSDT-1m"), 0);

        _server.Requests.Clear();
        result = await downloader.DownloadAsync("BTCUSDT", "1m", Time(0), Time(3499));
        Assert.Empty(_server.Requests); // nothing missing: no request at all
        Assert.Equal(0, result.Fetched);
    }

    [Fact]
    public async Task A_429_waits_for_its_Retry_After_and_retries()
    {
        _server.Scripted.Enqueue(FakeBinanceRestServer.Status(429, retryAfter: "1"));
        using var downloader = new BinanceKlineDownloader(Store, Options(realWaits: true));
        var clock = Stopwatch.StartNew();
        var result = await downloader.DownloadAsync("BTCUSDT", "1m", Time(0), Time(999));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(950), TimeSpan.FromSeconds(10));
        Assert.Equal((1000L, 2, 1, TimeSpan.FromSeconds(1)), (result.Fetched, result.Requests, result.Retries, result.Waited));
        Assert.Equal(1000, result.Dataset!.Bars);
    }

    [Fact]
    public async Task A_418_ban_is_waited_out_when_short_and_ends_the_download_when_long_keeping_what_was_fetched()
    {
        using var downloader = new BinanceKlineDownloader(Store, Options());
        _server.Scripted.Enqueue(FakeBinanceRestServer.Status(418, retryAfter: "1"));
        var result = await downloader.DownloadAsync("BTCUSDT", "1m", Time(0), Time(999));
        Assert.Equal([TimeSpan.FromSeconds(1)], _delays);
        Assert.Equal((1000L, 1), (result.Fetched, result.Retries));

        // The first page of the rest arrives, then a two-hour ban.
        var ban = FakeBinanceRestServer.Status(418, retryAfter: "7200", body: """{"code":-1003,"msg":"Way too many requests; IP banned."}""");
        var progress = new Recorder(p => { if (p.Fetched == 1000) _server.Scripted.Enqueue(ban); });
        var error = await Assert.ThrowsAsync<BinanceDownloadException>(() => downloader.DownloadAsync("BTCUSDT", "1m", Time(0), Time(3499), progress: progress));
        Assert.Equal(418, error.StatusCode);
        Assert.Contains("banned this IP for 02:00:00", error.Message);
        Assert.Equal(2000, Store.Find("BTCUSDT-1m")!.Bars); // the page before the ban was stored
    }

    [Fact]
    public async Task Server_errors_and_missing_Retry_After_back_off_exponentially_and_give_up_after_the_retries()
    {
        var options = Options();
        options.MaxRetries = 3;
        using var downloader = new BinanceKlineDownloader(Store, options);
        _server.Scripted.Enqueue(FakeBinanceRestServer.Status(503, body: "busy"));
        _server.Scripted.Enqueue(FakeBinanceRestServer.Status(429));
        var result = await downloader.DownloadAsync("BTCUSDT", "1m", Time(0), Time(99));
        Assert.Equal([TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20)], _delays);
        Assert.Equal((100L, 2), (result.Fetched, result.Retries));

        for (var i = 0; i < 4; i++) _server.Scripted.Enqueue(FakeBinanceRestServer.Status(500, body: "down"));
        var error = await Assert.ThrowsAsync<BinanceDownloadException>(() => downloader.DownloadAsync("BTCUSDT", "1m", Time(0), Time(199)));
        Assert.Equal(500, error.StatusCode);
        Assert.Contains("4 times", error.Message);
        Assert.Equal(100, Store.Find("BTCUSDT-1m")!.Bars);
    }

    [Fact]
    public async Task The_used_weight_header_near_the_limit_makes_it_wait_for_the_next_minute()
    {
        var options = Options();
        options.WeightLimitPerMinute = 100;
        _server.UsedWeight = n => n == 2 ? 85 : 20; // the second answer is past 80 % of 100
        using var downloader = new BinanceKlineDownloader(Store, options);
        var result = await downloader.DownloadAsync("BTCUSDT", "1m", Time(0), Time(3499));
        var wait = Assert.Single(_delays);
        Assert.InRange(wait, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(61));
        Assert.Equal(4, result.Requests);
        Assert.Equal(3500, result.Fetched);
    }

    [Fact]
    public async Task Cancelling_keeps_the_pages_fetched_and_the_next_run_resumes_after_them()
    {
        using var cancel = new CancellationTokenSource();
        using var downloader = new BinanceKlineDownloader(Store, Options());
        var progress = new Recorder(p => { if (p.Fetched == 2000) cancel.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            downloader.DownloadAsync("BTCUSDT", "1m", Time(0), Time(3499), progress: progress, cancellationToken: cancel.Token));
        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal(2000, Store.Find("BTCUSDT-1m")!.Bars);

        _server.Requests.Clear();
        var result = await downloader.DownloadAsync("BTCUSDT", "1m", Time(0), Time(3499));
        Assert.Equal([Time(1999) + 1, Time(2999) + 1], _server.Requests.Select(r => r.StartTime));
        Assert.Equal(3500, result.Dataset!.Bars);
        AssertServedBars(Store.Load("BTCUSDT-1m"), 0);
    }

    [Fact]
    public async Task Long_downloads_are_written_every_FlushBars_so_a_crash_loses_little()
    {
        var options = Options();
        options.FlushBars = 1000;
        var stored = new List<int?>();
        using var downloader = new BinanceKlineDownloader(Store, options);
        var progress = new Recorder(_ => stored.Add(Store.Find("BTCUSDT-1m")?.Bars));
        await downloader.DownloadAsync("BTCUSDT", "1m", Time(0), Time(3499), progress: progress);
        Assert.Equal([null, 1000, 2000, 3000], stored); // seen at each page, before that page is written
        Assert.Equal(3500, Store.Find("BTCUSDT-1m")!.Bars);
        AssertServedBars(Store.Load("BTCUSDT-1m"), 0);
    }

    [Fact]
    public async Task Klines_still_forming_are_not_stored()
    {
        var options = Options();
        options.TimeProvider = new FixedClock(DateTimeOffset.FromUnixTimeMilliseconds(Time(2500) + 30_000)); // inside bar 2500
        using var downloader = new BinanceKlineDownloader(Store, options);
        var result = await downloader.DownloadAsync("BTCUSDT", "1m", Time(0), Time(3499));
        Assert.Equal(Time(2499), result.Dataset!.Last);
        Assert.All(_server.Requests, r => Assert.Equal(Time(2500) + 30_000, r.EndTime)); // the end is clamped to now
    }

    [Fact]
    public async Task Binance_errors_are_reported_with_their_message_and_mismatched_datasets_are_refused()
    {
        using var downloader = new BinanceKlineDownloader(Store, Options());
        var error = await Assert.ThrowsAsync<BinanceDownloadException>(() => downloader.DownloadAsync("NOPEUSDT", "1m", Time(0), Time(10)));
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("Invalid symbol.", error.Message);
        Assert.Null(Store.Find("NOPEUSDT-1m"));

        await downloader.DownloadAsync("BTCUSDT", "1m", Time(0), Time(10), datasetId: "btc");
        await Assert.ThrowsAsync<InvalidOperationException>(() => downloader.DownloadAsync("BTCUSDT", "5m", Time(0), Time(10), datasetId: "btc"));
        await Assert.ThrowsAsync<ArgumentException>(() => downloader.DownloadAsync("BTCUSDT", "1m", Time(0), Time(10), datasetId: "../btc"));
        await Assert.ThrowsAsync<ArgumentException>(() => downloader.DownloadAsync("BTCUSDT", "2m", Time(0), Time(10)));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
