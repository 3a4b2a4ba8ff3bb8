using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Tickrunner.Engine;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Candles;

/// <summary>
/// Every symbol's one-second candles, recorded from the feed beyond any runner's window: bounded per symbol, written to SQLite
/// in batches, read back at start, and aggregated to longer intervals on read.
/// </summary>
/// <remarks>
/// The feed loop only offers each bar to a bounded queue (<see cref="Offer"/>: never waits, drops the oldest bar when full),
/// so recording adds neither a lock nor I/O to the feed or to any runner; one reader folds the bars into candles, and a
/// timer writes what closed. Registered before the engine's hosted service, so it restores before the feed starts and
/// writes its last batch after the feed has stopped.
/// </remarks>
public sealed partial class CandleStore : BackgroundService
{
    private readonly CandleRepository _repository;
    private readonly CandleOptions _options;
    private readonly ILogger<CandleStore> _logger;
    private readonly ConcurrentDictionary<string, CandleSeries> _series = new(StringComparer.Ordinal);
    private readonly Channel<MarketData> _bars;
    private readonly Lock _pendingLock = new();
    private List<(string Symbol, Candle Candle)> _pending = [];
    private long _dropped;
    private long _ignored;
    private long _unwritten;

    /// <summary>A store with the <c>Tickrunner:Candles</c> options.</summary>
    public CandleStore(CandleRepository repository, IOptions<TickrunnerOptions> options, ILogger<CandleStore> logger)
    {
        _repository = repository;
        _options = options.Value.Candles;
        _logger = logger;
        if (_options.MaxPerSymbol < 1) throw new InvalidOperationException("Tickrunner:Candles:MaxPerSymbol must be at least 1.");
        if (_options.QueueCapacity < 1) throw new InvalidOperationException("Tickrunner:Candles:QueueCapacity must be at least 1.");
        if (_options.DefaultLimit < 1 || _options.MaxLimit < _options.DefaultLimit)
            throw new InvalidOperationException("Tickrunner:Candles:DefaultLimit must be at least 1 and at most MaxLimit.");
        _bars = Channel.CreateBounded<MarketData>(
            new BoundedChannelOptions(_options.QueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
            _ => Interlocked.Increment(ref _dropped));
    }

    /// <summary>The options in effect.</summary>
    public CandleOptions Options => _options;

    /// <summary>Bars dropped because the recorder was behind (the queue was full).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Bars ignored because they were older than their symbol's open candle.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>Closed candles not written because <see cref="CandleOptions.MaxPending"/> were already waiting.</summary>
    public long Unwritten => Interlocked.Read(ref _unwritten);

    /// <summary>Hands a (valid) bar to the recorder; never waits, and takes none of the store's locks (only the queue's brief internal one).</summary>
    public void Offer(in MarketData bar) => _bars.Writer.TryWrite(bar);

    /// <summary>
    /// The candles of <paramref name="symbol"/> at <paramref name="intervalMs"/> whose one-second candles fall in
    /// [<paramref name="from"/>, <paramref name="to"/>): the newest <paramref name="limit"/>, oldest first (empty before any bar).
    /// </summary>
    public List<Candle> Query(string symbol, long intervalMs, long from, long to, int limit) =>
        _series.TryGetValue(symbol, out var series) ? series.Aggregate(intervalMs, from, to, limit) : [];

    /// <summary>One-second candles held for <paramref name="symbol"/>.</summary>
    public int Count(string symbol) => _series.TryGetValue(symbol, out var series) ? series.Count : 0;

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Persist) Restore();
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // No token on the waits: the reader ends when the queue is completed at stop, after folding what was offered.
        var folding = Task.Run(FoldAsync, CancellationToken.None);
        if (_options.Persist)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, _options.FlushSeconds)));
            try
            {
                while (await timer.WaitForNextTickAsync(stoppingToken)) Flush();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }
        else
        {
            try
            {
                await Task.Delay(Timeout.Infinite, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }
        _bars.Writer.TryComplete();
        await folding;
        if (_options.Persist) Flush();
    }

    private async Task FoldAsync()
    {
        var reader = _bars.Reader;
        while (await reader.WaitToReadAsync())
            while (reader.TryRead(out var bar)) Fold(bar);
    }

    private void Fold(in MarketData bar)
    {
        var series = _series.GetOrAdd(bar.Symbol, static (_, max) => new CandleSeries(max), _options.MaxPerSymbol);
        var closed = series.Fold(bar.Timestamp, bar.Open, bar.High, bar.Low, bar.Close, bar.Volume, out var ignored);
        if (ignored) Interlocked.Increment(ref _ignored);
        if (closed is not { } candle || !_options.Persist) return;
        lock (_pendingLock)
        {
            if (_pending.Count >= _options.MaxPending) Interlocked.Increment(ref _unwritten);
            else _pending.Add((bar.Symbol, candle));
        }
    }

    // The closed candles since the last flush and each symbol's open one (written again once it closes), in one transaction.
    private void Flush()
    {
        List<(string Symbol, Candle Candle)> batch;
        lock (_pendingLock)
        {
            batch = _pending;
            _pending = new List<(string, Candle)>(Math.Max(16, batch.Count));
        }
        var closed = batch.Count;
        foreach (var (symbol, series) in _series)
            if (series.Last is { } open) batch.Add((symbol, open));
        try
        {
            _repository.Save(batch, _options.MaxPerSymbol);
        }
        catch (Exception e) when (e is SqliteException or IOException or InvalidOperationException)
        {
            LogNotWritten(e, closed);
            // Kept for the next flush, oldest first, as far as MaxPending allows.
            lock (_pendingLock)
            {
                batch.RemoveRange(closed, batch.Count - closed);
                batch.AddRange(_pending);
                if (batch.Count > _options.MaxPending)
                {
                    Interlocked.Add(ref _unwritten, batch.Count - _options.MaxPending);
                    batch.RemoveRange(0, batch.Count - _options.MaxPending);
                }
                _pending = batch;
            }
        }
    }

    private void Restore()
    {
        try
        {
            foreach (var (symbol, candles) in _repository.LoadNewest(_options.MaxPerSymbol))
                _series.GetOrAdd(symbol, static (_, max) => new CandleSeries(max), _options.MaxPerSymbol).Restore(candles);
        }
        catch (SqliteException e)
        {
            LogNotRestored(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} closed candles could not be written yet; they are tried again at the next flush")]
    private partial void LogNotWritten(Exception e, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The stored candles could not be read: the chart history starts empty")]
    private partial void LogNotRestored(Exception e);
}
