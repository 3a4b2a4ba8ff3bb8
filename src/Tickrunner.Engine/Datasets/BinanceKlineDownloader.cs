using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Tickrunner.Engine.Datasets;

/// <summary>
/// Downloads Binance klines (<c>GET /api/v3/klines</c>, a page of 1,000 at a time) into a <see cref="DatasetStore"/>,
/// fetching only what the dataset lacks at its end and at its start.
/// </summary>
/// <remarks>
/// Paces itself on the <c>X-MBX-USED-WEIGHT-1m</c> header, waits out 429 and 418 answers (their Retry-After, or an
/// exponential backoff), and writes what it has fetched when cancelled or failing, so the next run resumes.
/// Klines that are still forming (close time not yet past) are never stored.
/// </remarks>
public sealed class BinanceKlineDownloader : IDisposable
{
    private readonly DatasetStore _store;
    private readonly BinanceDownloadOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>A downloader writing into <paramref name="store"/>; <paramref name="http"/> is not disposed when given.</summary>
    public BinanceKlineDownloader(DatasetStore store, BinanceDownloadOptions? options = null, HttpClient? http = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? new BinanceDownloadOptions();
        if (_options.PageSize is < 1 or > 1000) throw new ArgumentOutOfRangeException(nameof(options), "PageSize must be 1 to 1000");
        if (_options.WeightLimitPerMinute < 1) throw new ArgumentOutOfRangeException(nameof(options), "WeightLimitPerMinute must be positive");
        if (_options.FlushBars < 1) throw new ArgumentOutOfRangeException(nameof(options), "FlushBars must be positive");
        _ownsHttp = http is null;
        _http = http ?? new HttpClient();
    }

    /// <summary>
    /// Makes dataset <paramref name="datasetId"/> (default <see cref="DatasetStore.DefaultId"/>) hold the closed klines of
    /// <paramref name="symbol"/> with open times from <paramref name="startTime"/> to <paramref name="endTime"/> (Unix ms,
    /// inclusive), fetching only the ranges before its first and after its last bar.
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(string symbol, string interval, long startTime, long endTime,
        string? datasetId = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        symbol = symbol.ToUpperInvariant();
        if (!DatasetStore.IsValidSymbol(symbol)) throw new ArgumentException($"Symbol '{symbol}' is not valid.", nameof(symbol));
        var intervalMs = KlineIntervals.ToMilliseconds(interval);
        ArgumentOutOfRangeException.ThrowIfNegative(startTime);
        if (endTime < startTime) throw new ArgumentOutOfRangeException(nameof(endTime), $"endTime {endTime} is before startTime {startTime}");
        var id = datasetId ?? DatasetStore.DefaultId(symbol, interval);
        var existing = _store.Find(id); // also checks the id
        if (existing is not null && (existing.Symbol != symbol || existing.Interval != interval))
            throw new InvalidOperationException($"Dataset '{id}' holds {existing.Symbol} {existing.Interval}, not {symbol} {interval}.");

        var run = new Run(this, symbol, interval, id, existing is not null, progress, cancellationToken);
        endTime = Math.Min(endTime, _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds());
        // The end first: new bars are what a re-run usually wants. Then the start, which must arrive in one piece.
        (long From, long To)? tail = existing is null ? (startTime, endTime)
            : endTime > existing.Last ? (Math.Max(startTime, existing.Last + 1), endTime) : null;
        (long From, long To)? head = existing is not null && startTime < existing.First ? (startTime, Math.Min(endTime, existing.First - 1)) : null;
        foreach (var range in (ReadOnlySpan<(long, long)?>)[tail, head])
            if (range is var (from, to) && to >= from) run.Expected += (to - from) / intervalMs + 1;

        if (tail is var (tailFrom, tailTo) && tailTo >= tailFrom)
        {
            try
            {
                await run.FetchAsync(tailFrom, tailTo, run.Tail).ConfigureAwait(false);
            }
            finally
            {
                run.FlushTail(); // also when cancelled or failing: the next run resumes after what was fetched
            }
        }
        if (head is var (headFrom, headTo) && headTo >= headFrom)
        {
            // Kept in memory until complete: a partial head would leave a hole that "before the first bar" never sees again.
            await run.FetchAsync(headFrom, headTo, run.Head).ConfigureAwait(false);
            if (run.Head.Count > 0) _store.Prepend(id, run.Head);
        }
        return new DownloadResult(_store.Find(id), run.Fetched, run.Requests, run.Retries, run.Waited);
    }

    /// <summary>Disposes the HTTP client if the downloader made it.</summary>
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private sealed class Run(BinanceKlineDownloader owner, string symbol, string interval, string id, bool exists,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        public readonly List<MarketData> Tail = [];
        public readonly List<MarketData> Head = [];
        public long Expected, Fetched;
        public int Requests, Retries;
        public TimeSpan Waited;
        private long? _last;
        private bool _exists = exists;
        private BinanceDownloadOptions Options => owner._options;

        public async Task FetchAsync(long from, long to, List<MarketData> into)
        {
            var cursor = from;
            while (cursor <= to)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var page = await RequestAsync(cursor, to).ConfigureAwait(false);
                var closedBefore = Options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
                var next = cursor;
                foreach (var k in page)
                {
                    next = Math.Max(next, k.OpenTime + 1);
                    if (k.OpenTime < cursor || k.OpenTime > to) continue; // outside what was asked: not ours to store
                    if (k.CloseTime >= closedBefore) continue;           // still forming
                    var bar = new MarketData(symbol, k.OpenTime, k.Open, k.High, k.Low, k.Close, k.Volume, 0, 0);
                    if (bar.Validate() is { } problem)
                        throw new BinanceDownloadException($"Binance sent an invalid kline for {symbol} at {k.OpenTime}: {problem.Message}");
                    into.Add(bar);
                    Fetched++;
                    _last = k.OpenTime;
                }
                progress?.Report(new DownloadProgress(Fetched, Expected, _last));
                if (page.Count < Options.PageSize || next <= cursor) break; // a short page: nothing more up to `to`
                cursor = next;
                if (into == Tail && Tail.Count >= Options.FlushBars) FlushTail();
            }
        }

        public void FlushTail()
        {
            if (Tail.Count == 0) return;
            if (_exists) owner._store.Append(id, Tail);
            else owner._store.Save(BarSeries.From(symbol, interval, Tail), id);
            _exists = true;
            Tail.Clear();
        }

        private async Task<List<Kline>> RequestAsync(long from, long to)
        {
            var url = string.Create(CultureInfo.InvariantCulture,
                $"{Options.BaseUrl.TrimEnd('/')}/api/v3/klines?symbol={Uri.EscapeDataString(symbol)}&interval={Uri.EscapeDataString(interval)}&startTime={from}&endTime={to}&limit={Options.PageSize}");
            for (var attempt = 0; ; attempt++)
            {
                HttpResponseMessage response;
                try
                {
                    Requests++;
                    response = await owner._http.GetAsync(url, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    if (attempt >= Options.MaxRetries)
                        throw new BinanceDownloadException($"GET {url} failed {attempt + 1} times: {e.Message}", null, e);
                    Retries++;
                    await WaitAsync(Backoff(attempt)).ConfigureAwait(false);
                    continue;
                }
                using (response)
                {
                    var status = (int)response.StatusCode;
                    if (response.IsSuccessStatusCode)
                    {
                        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                        var klines = Parse(body, url);
                        await PaceAsync(response).ConfigureAwait(false);
                        return klines;
                    }
                    var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                    if (status is 429 or 418 || status >= 500)
                    {
                        var retryAfter = RetryAfter(response);
                        var wait = retryAfter ?? Backoff(attempt);
                        var what = status switch { 418 => "banned this IP", 429 => "rate-limited this IP", _ => $"answered HTTP {status}" };
                        if (wait > Options.MaxRetryAfter)
                            throw new BinanceDownloadException($"Binance {what} for {wait} (longer than MaxRetryAfter {Options.MaxRetryAfter}); the bars fetched so far are stored, run again later.", status);
                        if (attempt >= Options.MaxRetries)
                            throw new BinanceDownloadException($"Binance {what} {attempt + 1} times for GET {url}: {Trim(text)}", status);
                        Retries++;
                        await WaitAsync(wait).ConfigureAwait(false);
                        continue;
                    }
                    throw new BinanceDownloadException($"GET {url} failed with HTTP {status}: {Trim(text)}", status);
                }
            }
        }

        // Binance counts weight per clock minute and per IP (other clients included): near the limit, wait for the next minute.
        private async Task PaceAsync(HttpResponseMessage response)
        {
            if (!response.Headers.TryGetValues("X-MBX-USED-WEIGHT-1m", out var values)) return;
            if (!int.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var used)) return;
            if (used < Options.WeightLimitPerMinute * Options.SlowDownAt) return;
            var now = Options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
            await WaitAsync(TimeSpan.FromMilliseconds(60_000 - now % 60_000 + 1_000)).ConfigureAwait(false);
        }

        private async Task WaitAsync(TimeSpan delay)
        {
            Waited += delay;
            if (Options.Delay is { } custom) await custom(delay, cancellationToken).ConfigureAwait(false);
            else await Task.Delay(delay, Options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }

        private TimeSpan Backoff(int attempt)
        {
            var ms = Options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
            return TimeSpan.FromMilliseconds(Math.Min(ms, Options.RetryMaxDelay.TotalMilliseconds));
        }

        private TimeSpan? RetryAfter(HttpResponseMessage response)
        {
            if (response.Headers.RetryAfter is not { } header) return null;
            if (header.Delta is { } delta) return delta;
            if (header.Date is { } date) return TimeSpan.FromTicks(Math.Max(0, (date - Options.TimeProvider.GetUtcNow()).Ticks));
            return null;
        }

        private static string Trim(string text) => text.Length <= 300 ? text : text[..300] + "…";
    }

    private readonly record struct Kline(long OpenTime, double Open, double High, double Low, double Close, double Volume, long CloseTime);

    // [[openTime, "open", "high", "low", "close", "volume", closeTime, …], …]; decimal strings parse correctly rounded.
    private static List<Kline> Parse(byte[] body, string url)
    {
        var klines = new List<Kline>(1000);
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) throw new FormatException("the body is not a JSON array");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartArray) throw new FormatException("a kline is not an array");
                var openTime = Long(ref reader);
                var open = Number(ref reader);
                var high = Number(ref reader);
                var low = Number(ref reader);
                var close = Number(ref reader);
                var volume = Number(ref reader);
                var closeTime = Long(ref reader);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) reader.Skip();
                klines.Add(new Kline(openTime, open, high, low, close, volume, closeTime));
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            throw new BinanceDownloadException($"GET {url}: the answer is not a list of klines ({e.Message}): {Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 200)))}", (int)HttpStatusCode.OK, e);
        }
        return klines;

        static long Long(ref Utf8JsonReader reader)
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.Number) throw new FormatException("a kline time is not a number");
            return reader.GetInt64();
        }

        static double Number(ref Utf8JsonReader reader)
        {
            if (!reader.Read()) throw new FormatException("a kline ends early");
            return reader.TokenType switch
            {
                JsonTokenType.String => double.Parse(reader.ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture),
                JsonTokenType.Number => reader.GetDouble(),
                _ => throw new FormatException("a kline price is not a number"),
            };
        }
    }
}
