using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Tickrunner.Engine;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Feeds;
using Tickrunner.Server.Common;

namespace Tickrunner.Server.Datasets;

/// <summary>How an uploaded CSV is to be stored: the query parameters of <c>POST /api/datasets</c>.</summary>
public sealed record DatasetUpload(string? Symbol, string? Interval, string? Id, bool Overwrite, bool DropDuplicates, string? FileName);

/// <summary>The answer to an upload: the stored dataset and what the import found.</summary>
public sealed record DatasetImported(DatasetInfo Dataset, ImportReport Report);

/// <summary>The body of <c>POST /api/datasets/download</c>: Binance klines with open times from <c>from</c> to <c>to</c> (Unix ms).</summary>
public sealed record DownloadRequest(string? Symbol, string? Interval, long? From, long? To, string? Id);

/// <summary>A download job as the API shows it.</summary>
public sealed record DownloadView(string Id, string Status, double Progress, string Symbol, string Interval, long From, long To,
    string DatasetId, long BarsFetched, long BarsExpected, string? Error, DatasetInfo? Dataset, long CreatedAt, long? FinishedAt);

/// <summary>
/// Datasets as the API sees them, over the one <see cref="DatasetStore"/> in <c>&lt;DataDirectory&gt;/datasets</c>: list, read
/// bars, import CSV, delete while unused, and download from Binance as background jobs (kept in memory, not across restarts).
/// </summary>
public sealed class DatasetService : IDisposable
{
    /// <summary>Most bars one <c>/bars</c> request returns.</summary>
    public const int MaxBarsPerRequest = 100_000;

    private readonly DatasetStore _store;
    private readonly DatasetUsage _usage;
    private readonly DatasetOptions _options;
    private readonly ILogger<DatasetService> _logger;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly ConcurrentDictionary<string, DownloadJob> _downloads = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private long _downloadIds;

    /// <summary>The service over <paramref name="store"/>.</summary>
    public DatasetService(DatasetStore store, DatasetUsage usage, IOptions<TickrunnerOptions> options, ILogger<DatasetService> logger)
    {
        _store = store;
        _usage = usage;
        _options = options.Value.Datasets;
        _logger = logger;
        UploadDirectory = Path.Combine(Path.GetFullPath(options.Value.DataDirectory), "uploads");
        Directory.CreateDirectory(UploadDirectory);
    }

    /// <summary>Where uploads are spooled to disk before they are read (the same disk as the datasets).</summary>
    public string UploadDirectory { get; }

    /// <summary>The largest upload accepted, in bytes.</summary>
    public long MaxUploadBytes => _options.MaxUploadBytes;

    /// <summary>A fresh path in <see cref="UploadDirectory"/> for one upload.</summary>
    public string NewUploadPath() => Path.Combine(UploadDirectory, $"{Guid.NewGuid():N}.upload");

    /// <summary>Every dataset, by id.</summary>
    public IReadOnlyList<DatasetInfo> List() => _store.List();

    /// <summary>One dataset; <see cref="NotFoundException"/> when there is none.</summary>
    public DatasetInfo Get(string id)
    {
        EnsureValidId(id, "id");
        return _store.Find(id) ?? throw NotFound(id);
    }

    /// <summary>The first <paramref name="limit"/> bars of <paramref name="id"/> with from ≤ time ≤ to, oldest first.</summary>
    public IReadOnlyList<MarketData> Bars(string id, long? from, long? to, int limit)
    {
        var info = Get(id);
        if (from is { } f && to is { } t && f > t) throw new InvalidRequestException("to", $"to ({t}) is before from ({f}).");
        // Loaded in windows that can hold about `limit` bars (bars are never closer than the interval), widened until
        // enough bars come back: a request for 1,000 bars of a 10,000,000-bar dataset reads 1,000 bars, not all of them.
        var start = Math.Max(from ?? info.First, info.First);
        var end = Math.Min(to ?? info.Last, info.Last);
        if (start > end) return [];
        var step = Math.Max(1, KlineIntervals.ToMilliseconds(info.Interval));
        var span = step * (long)limit;
        while (true)
        {
            var windowEnd = span >= end - start ? end : start + span;
            var series = _store.Load(id, start, windowEnd);
            if (series.Count >= limit || windowEnd == end)
            {
                var n = Math.Min(limit, series.Count);
                var bars = new MarketData[n];
                for (var i = 0; i < n; i++) bars[i] = series[i];
                return bars;
            }
            span = span > long.MaxValue / 4 ? long.MaxValue / 2 : span * 4;
        }
    }

    /// <summary>Checks an upload's parameters before its body is read; <see cref="InvalidRequestException"/> naming them.</summary>
    public static void Validate(DatasetUpload upload)
    {
        if (Problems(upload) is { Count: > 0 } errors) throw new InvalidRequestException(errors);
    }

    /// <summary>What is wrong with an upload's parameters, by query parameter name.</summary>
    public static Dictionary<string, string> Problems(DatasetUpload upload)
    {
        var errors = new Dictionary<string, string>();
        if (upload.Id is not null && !DatasetStore.IsValidId(upload.Id))
            errors["id"] = $"'{upload.Id}' is not a valid dataset id: 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit.";
        if (upload.Symbol is not null && !DatasetStore.IsValidSymbol(upload.Symbol))
            errors["symbol"] = $"'{upload.Symbol}' is not a valid symbol: 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit.";
        if (upload.Interval is not null && !KlineIntervals.IsValid(upload.Interval))
            errors["interval"] = $"'{upload.Interval}' is not an interval; use one of {string.Join(", ", KlineIntervals.All)}.";
        if (upload.FileName is { } name && (name.Length is 0 or > 255 || name.IndexOfAny(['/', '\\', '\0']) >= 0))
            errors["file_name"] = "file_name must be a bare file name (1 to 255 characters, no '/' or '\\').";
        return errors;
    }

    /// <summary>
    /// Reads the CSV spooled at <paramref name="path"/> and stores it; <see cref="UnprocessableException"/> (422) for a file that
    /// cannot become a dataset, with the line and column of the first bad row, <see cref="ConflictException"/> for an existing id.
    /// </summary>
    public DatasetImported Import(string path, DatasetUpload upload)
    {
        Validate(upload);
        var fileName = upload.FileName ?? "upload.csv";
        var options = new DatasetImportOptions
        {
            Symbol = upload.Symbol,
            Interval = upload.Interval,
            Id = upload.Id,
            Overwrite = upload.Overwrite,
            DropExactDuplicates = upload.DropDuplicates,
        };
        CsvBars csv;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            csv = BarCsvReader.Read(stream, fileName, options);
        }
        catch (CsvFormatException e)
        {
            throw new UnprocessableException("Invalid CSV", e.Message, new Dictionary<string, object?>
            {
                ["line"] = e.Line,
                ["column"] = e.Column,
                ["column_name"] = e.ColumnName,
                ["problem"] = e.Problem,
                ["errors"] = new Dictionary<string, string[]> { ["body"] = [e.Message] },
            });
        }
        catch (DatasetImportException e)
        {
            throw new UnprocessableException("Invalid CSV", e.Message, new Dictionary<string, object?>
            {
                ["line"] = e.Report?.OutOfOrder.Concat(e.Report.Duplicates).Select(r => (int?)r.Line).Min(),
                ["report"] = e.Report,
                ["errors"] = new Dictionary<string, string[]> { ["body"] = [e.Message] },
            });
        }
        var id = upload.Id ?? DatasetStore.DefaultId(csv.Series.Symbol, csv.Series.Interval);
        if (!DatasetStore.IsValidId(id)) throw new InvalidRequestException("id", $"The inferred dataset id '{id}' is not valid; give one with ?id=.");
        var info = _usage.WhenUnused(id, "replace it", () =>
        {
            try
            {
                return _store.Save(csv.Series, id, upload.Overwrite);
            }
            catch (InvalidOperationException)
            {
                throw new ConflictException($"Dataset '{id}' already exists; add ?overwrite=true to replace it, or choose another ?id=.");
            }
            catch (ArgumentException e)
            {
                throw new UnprocessableException("Invalid CSV", e.Message,
                    new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["body"] = [e.Message] } });
            }
        });
        return new DatasetImported(info, csv.Report);
    }

    /// <summary>Deletes a dataset no backtest or download uses.</summary>
    public void Delete(string id)
    {
        EnsureValidId(id, "id");
        if (!_usage.WhenUnused(id, "delete it", () => _store.Delete(id))) throw NotFound(id);
    }

    /// <summary>Starts downloading Binance klines into a dataset in the background.</summary>
    public DownloadView StartDownload(DownloadRequest body)
    {
        var errors = new Dictionary<string, string>();
        var symbol = body.Symbol?.ToUpperInvariant();
        if (symbol is null) errors["symbol"] = "symbol is required, e.g. \"BTCUSDT\".";
        else if (!DatasetStore.IsValidSymbol(symbol)) errors["symbol"] = $"'{body.Symbol}' is not a valid symbol: 1 to 32 letters, digits, '.', '_' or '-'.";
        if (body.Interval is null) errors["interval"] = "interval is required, e.g. \"1m\".";
        else if (!KlineIntervals.IsValid(body.Interval)) errors["interval"] = $"'{body.Interval}' is not an interval; use one of {string.Join(", ", KlineIntervals.All)}.";
        if (body.From is null) errors["from"] = "from is required: the first open time, Unix ms.";
        else if (body.From < 0) errors["from"] = $"from must be ≥ 0 (Unix ms), got {body.From}.";
        var to = body.To ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (body.From is { } f && to < f) errors["to"] = $"to ({to}) is before from ({f}).";
        if (body.Id is not null && !DatasetStore.IsValidId(body.Id))
            errors["id"] = $"'{body.Id}' is not a valid dataset id: 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit.";
        if (errors.Count > 0) throw new InvalidRequestException(errors);

        var datasetId = body.Id ?? DatasetStore.DefaultId(symbol!, body.Interval!);
        if (_store.Find(datasetId) is { } existing && (existing.Symbol != symbol || existing.Interval != body.Interval))
            throw new ConflictException($"Dataset '{datasetId}' holds {existing.Symbol} {existing.Interval}, not {symbol} {body.Interval}; choose another id.");
        var number = Interlocked.Increment(ref _downloadIds);
        var id = $"dl-{number}";
        var lease = _usage.AcquireExclusive(datasetId, $"download {id}", "download into it");
        var job = new DownloadJob(number, id, symbol!, body.Interval!, body.From!.Value, to, datasetId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        _downloads[id] = job;
        _ = Task.Run(() => RunAsync(job, lease));
        return job.View();
    }

    /// <summary>A download job; <see cref="NotFoundException"/> when there is none.</summary>
    public DownloadView GetDownload(string id) =>
        _downloads.TryGetValue(id, out var job) ? job.View()
            : throw new NotFoundException($"There is no download with id '{id}'; GET /api/datasets/downloads lists them (they are kept until the server restarts).");

    /// <summary>Every download since the server started, newest first.</summary>
    public IReadOnlyList<DownloadView> Downloads() => _downloads.Values.OrderByDescending(j => j.Number).Select(j => j.View()).ToList();

    private async Task RunAsync(DownloadJob job, IDisposable lease)
    {
        using var _ = lease;
        job.Status = "running";
        try
        {
            using var downloader = new BinanceKlineDownloader(_store, new BinanceDownloadOptions { BaseUrl = _options.BinanceBaseUrl }, _http);
            var result = await downloader.DownloadAsync(job.Symbol, job.Interval, job.From, job.To, job.DatasetId, job, _stopping.Token);
            job.Dataset = result.Dataset;
            job.Finish("done", null);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            job.Dataset = _store.Find(job.DatasetId);
            job.Finish("cancelled", "the server stopped");
        }
        catch (Exception e)
        {
            LogDownloadFailed(_logger, e, job.Id);
            job.Dataset = SafeFind(job.DatasetId);
            job.Finish("failed", e.Message);
        }
    }

    private DatasetInfo? SafeFind(string id)
    {
        try
        {
            return _store.Find(id);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return null;
        }
    }

    private static void EnsureValidId(string id, string field)
    {
        if (!DatasetStore.IsValidId(id))
            throw new InvalidRequestException(field, $"'{id}' is not a valid dataset id: 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit.");
    }

    private static NotFoundException NotFound(string id) => new($"There is no dataset with id '{id}'; GET /api/datasets lists them.");

    /// <summary>Ends downloads still running (what they fetched after the last bar is kept) and frees the HTTP client.</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        _http.Dispose();
        _stopping.Dispose();
    }

    private static readonly Action<ILogger, string, Exception?> DownloadFailed =
        LoggerMessage.Define<string>(LogLevel.Warning, new EventId(1, "DownloadFailed"), "Download {DownloadId} failed");

    private static void LogDownloadFailed(ILogger logger, Exception e, string id) => DownloadFailed(logger, id, e);

    private sealed class DownloadJob(long number, string id, string symbol, string interval, long from, long to, string datasetId, long createdAt)
        : IProgress<DownloadProgress>
    {
        private long _fetched, _expected;
        private volatile string _status = "queued";
        private volatile string? _error;
        private long _finishedAt;

        public long Number { get; } = number;
        public string Id { get; } = id;
        public string Symbol { get; } = symbol;
        public string Interval { get; } = interval;
        public long From { get; } = from;
        public long To { get; } = to;
        public string DatasetId { get; } = datasetId;
        public long CreatedAt { get; } = createdAt;
        public volatile DatasetInfo? Dataset;

        public string Status
        {
            get => _status;
            set => _status = value;
        }

        public void Report(DownloadProgress value)
        {
            Interlocked.Exchange(ref _expected, value.Expected);
            Interlocked.Exchange(ref _fetched, value.Fetched);
        }

        public void Finish(string status, string? error)
        {
            _error = error;
            Interlocked.Exchange(ref _finishedAt, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            _status = status; // last: a reader that sees the final status sees the rest
        }

        public DownloadView View()
        {
            var status = _status;
            var fetched = Interlocked.Read(ref _fetched);
            var expected = Interlocked.Read(ref _expected);
            var finished = Interlocked.Read(ref _finishedAt);
            var progress = status == "done" ? 1 : expected > 0 ? Math.Min(1, (double)fetched / expected) : 0;
            return new DownloadView(Id, status, progress, Symbol, Interval, From, To, DatasetId, fetched, expected, _error,
                Dataset, CreatedAt, finished == 0 ? null : finished);
        }
    }
}
