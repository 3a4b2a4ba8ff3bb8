using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Strategies;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Plots;

/// <summary>
/// Every runner's plotted series (<c>plot()</c> in its strategy) in one-second points beside the candles: bounded per runner,
/// written to SQLite in batches, read back at start, aggregated to the candle intervals on read, dropped with the runner.
/// </summary>
/// <remarks>
/// It reads Plot events from its own hub subscription, a bounded queue that drops its oldest event when full: the runner that
/// emits the event only hands it to the hub, as for any event, so recording adds neither a lock nor I/O to a runner's loop.
/// Registered before the engine's hosted service: it subscribes before any runner starts, and stops after the engine has.
/// </remarks>
public sealed partial class PlotStore : BackgroundService
{
    private static readonly EventFilter Recorded = new([], [], [RunnerEventKind.Plot, RunnerEventKind.RunnerStopped]);

    private readonly EventHub _hub;
    private readonly PlotRepository _repository;
    private readonly PlotOptions _options;
    private readonly ILogger<PlotStore> _logger;
    private readonly ConcurrentDictionary<string, PlotHistory> _runners = new(StringComparer.Ordinal);
    private readonly Lock _pendingLock = new();
    private readonly Lock _writeLock = new(); // a flush and a removal's delete, never both at once (neither on a runner's thread)
    private List<(string RunnerId, PlotHistory History, PlotPoint Point)> _pending = [];
    private readonly HashSet<string> _reset = new(StringComparer.Ordinal); // runners whose stored points must go before the next write
    private EventSubscription? _subscription;
    private long _ignored;
    private long _unwritten;

    /// <summary>A store with the <c>Tickrunner:Plots</c> options.</summary>
    public PlotStore(EventHub hub, PlotRepository repository, IOptions<TickrunnerOptions> options, ILogger<PlotStore> logger)
    {
        _hub = hub;
        _repository = repository;
        _options = options.Value.Plots;
        _logger = logger;
        if (_options.MaxPerRunner < 1) throw new InvalidOperationException("Tickrunner:Plots:MaxPerRunner must be at least 1.");
        if (_options.QueueCapacity < 1) throw new InvalidOperationException("Tickrunner:Plots:QueueCapacity must be at least 1.");
        if (_options.DefaultLimit < 1 || _options.MaxLimit < _options.DefaultLimit)
            throw new InvalidOperationException("Tickrunner:Plots:DefaultLimit must be at least 1 and at most MaxLimit.");
    }

    /// <summary>The options in effect.</summary>
    public PlotOptions Options => _options;

    /// <summary>Plot events dropped because the recorder was behind (its queue was full).</summary>
    public long Dropped => _subscription?.Dropped ?? 0;

    /// <summary>Plot events ignored because they were older than their runner's open point.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>Closed points not written because <see cref="PlotOptions.MaxPending"/> were already waiting.</summary>
    public long Unwritten => Interlocked.Read(ref _unwritten);

    /// <summary>One-second points held for <paramref name="runnerId"/>.</summary>
    public int Count(string runnerId) => _runners.TryGetValue(runnerId, out var history) ? history.Count : 0;

    /// <summary>
    /// The plots of <paramref name="runnerId"/> at <paramref name="intervalMs"/> whose one-second points fall in
    /// [<paramref name="from"/>, <paramref name="to"/>): the newest <paramref name="limit"/> buckets, oldest first, with the series.
    /// </summary>
    public PlotQueryResult Query(string runnerId, long intervalMs, long from, long to, int limit) =>
        _runners.TryGetValue(runnerId, out var history) ? history.Aggregate(intervalMs, from, to, limit) : new PlotQueryResult([], []);

    /// <summary>Drops a runner's plots, held and stored (the runner was removed).</summary>
    public void Remove(string runnerId)
    {
        _runners.TryRemove(runnerId, out _);
        if (!_options.Persist) return;
        lock (_writeLock)
        {
            try
            {
                _repository.Delete(runnerId);
            }
            catch (Exception e) when (e is SqliteException or IOException or InvalidOperationException)
            {
                lock (_pendingLock) _reset.Add(runnerId); // tried again at the next flush
                LogNotDeleted(e, runnerId);
            }
        }
    }

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Persist) Restore();
        // Before any runner exists (the engine's hosted service starts after this one): no runner's first plots are missed.
        _subscription = _hub.Subscribe(Recorded, queueSize: _options.QueueCapacity);
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscription = _subscription!;
        var reading = Task.Run(() => ReadAsync(subscription), CancellationToken.None);
        try
        {
            if (_options.Persist)
            {
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, _options.FlushSeconds)));
                while (await timer.WaitForNextTickAsync(stoppingToken)) Flush();
            }
            else
            {
                await Task.Delay(Timeout.Infinite, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // The engine has stopped by now (it stops first): what its runners plotted last is in the queue; read it, then write.
        subscription.Dispose();
        await reading;
        if (_options.Persist) Flush();
    }

    private async Task ReadAsync(EventSubscription subscription)
    {
        try
        {
            while (await subscription.WaitToReadAsync())
                while (subscription.TryRead(out var message))
                    if (message.Frame is { } frame) Record(frame.Event);
        }
        catch (Exception e)
        {
            LogReadFailed(e);
        }
    }

    private void Record(in RunnerEvent e)
    {
        if (e.Kind == RunnerEventKind.RunnerStopped)
        {
            // In order with its plots: a Plot event read after the removal's own Remove does not bring the runner back.
            if (e.Text == "removed") Remove(e.RunnerId);
            return;
        }
        if (e.PlotLayout is not { } layout) return;
        var series = layout.Series;
        var history = _runners.GetOrAdd(e.RunnerId, static (_, max) => new PlotHistory(max), _options.MaxPerRunner);
        if (!history.Continues(series))
        {
            // Another strategy's series (changed and started again): the runner's plot history starts anew.
            var fresh = new PlotHistory(_options.MaxPerRunner);
            _runners[e.RunnerId] = fresh;
            history = fresh;
            lock (_pendingLock) _reset.Add(e.RunnerId);
        }
        var values = new PlotValues();
        for (var i = 0; i < PlotLimits.MaxSeries; i++) values[i] = e.PlotValue(i);
        var closed = history.Fold(e.PlotBarTime, e.PlotMask, values, series, out var ignored);
        if (ignored) Interlocked.Increment(ref _ignored);
        if (closed is not { } point || !_options.Persist) return;
        lock (_pendingLock)
        {
            if (_pending.Count >= _options.MaxPending) Interlocked.Increment(ref _unwritten);
            else _pending.Add((e.RunnerId, history, point));
        }
    }

    // The closed points since the last flush and each runner's open one, with the series that changed, in one transaction. A point
    // of a history no longer current (the runner was removed, or its series started anew) is left out.
    private void Flush()
    {
        List<(string RunnerId, PlotHistory History, PlotPoint Point)> batch;
        string[] reset;
        lock (_pendingLock)
        {
            batch = _pending;
            _pending = new(Math.Max(16, batch.Count));
            reset = [.. _reset];
            _reset.Clear();
        }
        var closed = batch.Count;
        lock (_writeLock)
        {
            var series = new List<(string RunnerId, ImmutableArray<PlotSeries> Series)>();
            foreach (var (id, history) in _runners)
            {
                if (history.Last is { } open) batch.Add((id, history, open));
                if (history.TakeSeriesChanged()) series.Add((id, history.Series));
            }
            var points = batch.Where(b => _runners.TryGetValue(b.RunnerId, out var current) && ReferenceEquals(current, b.History))
                .Select(b => (b.RunnerId, b.Point)).ToList();
            try
            {
                _repository.Save(reset, series, points, _options.MaxPerRunner);
            }
            catch (Exception e) when (e is SqliteException or IOException or InvalidOperationException)
            {
                LogNotWritten(e, closed);
                lock (_pendingLock)
                {
                    foreach (var id in reset) _reset.Add(id);
                    batch.RemoveRange(closed, batch.Count - closed);
                    batch.AddRange(_pending);
                    if (batch.Count > _options.MaxPending)
                    {
                        Interlocked.Add(ref _unwritten, batch.Count - _options.MaxPending);
                        batch.RemoveRange(0, batch.Count - _options.MaxPending);
                    }
                    _pending = batch;
                }
                // The changed series are written again with the next flush.
                foreach (var (id, _) in series)
                    if (_runners.TryGetValue(id, out var history)) history.MarkSeriesChanged();
            }
        }
    }

    private void Restore()
    {
        try
        {
            foreach (var (runnerId, (series, points)) in _repository.LoadNewest(_options.MaxPerRunner))
                _runners.GetOrAdd(runnerId, static (_, max) => new PlotHistory(max), _options.MaxPerRunner).Restore(series, points);
        }
        catch (SqliteException e)
        {
            LogNotRestored(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} closed plot points could not be written yet; they are tried again at the next flush")]
    private partial void LogNotWritten(Exception e, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The stored plots of removed runner {RunnerId} could not be deleted yet; tried again at the next flush")]
    private partial void LogNotDeleted(Exception e, string runnerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The stored plots could not be read: the charts' indicator history starts empty")]
    private partial void LogNotRestored(Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "The plot recorder stopped reading events")]
    private partial void LogReadFailed(Exception e);
}
