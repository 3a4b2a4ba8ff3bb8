using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;
using Tickrunner.Server.Common;
using Tickrunner.Server.Datasets;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Backtests;

/// <summary>The body of <c>POST /api/backtests</c>: a strategy (a stored one by name, or code), a dataset, and the settings of docs/backtesting.md §1.1.</summary>
/// <remarks>With <c>code</c>, <c>strategy_name</c> (optional) only names it (default <c>inline</c>); without, it is looked up among the strategies.</remarks>
public sealed record CreateBacktestRequest(string? StrategyName, string? Code, string? Dataset, long? From = null, long? To = null,
    int? WindowSize = null, double? InitialCapital = null, double? FeeBps = null, double? SlippageBps = null, FillTiming? Fill = null,
    StopTiming? Stops = null, bool? StopOnError = null, bool? CloseAtEnd = null, Dictionary<string, JsonElement>? Params = null,
    RiskLimits? Risk = null);

/// <summary>The answer to a submission.</summary>
public sealed record BacktestAccepted(string Id, string Status);

/// <summary>A job in the history: what ran and its headline metrics (null until it has a report).</summary>
public sealed record BacktestSummary(string Id, string Status, string StrategyName, string Dataset, string Symbol, double Progress,
    long CreatedAt, long? FinishedAt, double? TotalReturnPct, double? Sharpe, double? MaxDrawdownPct, int? Trades, string? Error);

/// <summary>One job: status, progress, settings (docs/backtesting.md §1.1), the report (§4) once it has one, and the error of a failed run.</summary>
public sealed record BacktestView(string Id, string Status, string StrategyName, string Dataset, string Symbol, double Progress,
    long BarsDone, long BarsTotal, JsonElement Settings, JsonElement? Report, string? Error, long CreatedAt, long? StartedAt, long? FinishedAt);

/// <summary>
/// Backtest jobs: validated and stored on submission, run by a fixed pool of lowered threads of their own (never the
/// thread pool, which HTTP and the journal need) from a bounded queue, their progress published on the event hub, their results
/// stored in SQLite. Jobs a stopped server left queued or running are marked failed ("interrupted") at the next start.
/// </summary>
public sealed partial class BacktestService : IHostedService, IDisposable
{
    private const string Queued = "queued", Running = "running", Done = "done", Failed = "failed", Cancelled = "cancelled";
    private const string IdPrefix = "bt-";

    private readonly BacktestRepository _rows;
    private readonly DatasetStore _store;
    private readonly DatasetUsage _usage;
    private readonly StrategyCatalog _catalog;
    private readonly EventHub _hub;
    private readonly IEngineClock _clock;
    private readonly BacktestOptions _options;
    private readonly ILogger<BacktestService> _logger;
    private readonly BlockingCollection<Job> _queue = new();
    private readonly ConcurrentDictionary<long, Job> _active = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<Thread> _workers = [];
    private readonly Lock _emitGate = new();
    private Task _emitted = Task.CompletedTask; // the last event handed to the thread pool, under _emitGate
    private int _waiting;
    // For monitoring (GET /metrics), since the server started.
    private int _running;
    private long _barsProcessed, _done, _failed, _cancelled;

    /// <summary>The service; workers start with the host.</summary>
    public BacktestService(BacktestRepository rows, DatasetStore store, DatasetUsage usage, StrategyCatalog catalog, EventHub hub,
        IEngineClock clock, IOptions<TickrunnerOptions> options, ILogger<BacktestService> logger)
    {
        _rows = rows;
        _store = store;
        _usage = usage;
        _catalog = catalog;
        _hub = hub;
        _clock = clock;
        _options = options.Value.Backtests;
        _logger = logger;
        if (_options.QueueLimit < 1) throw new InvalidOperationException("Tickrunner:Backtests:QueueLimit must be at least 1.");
        if (_options.Workers < 0) throw new InvalidOperationException("Tickrunner:Backtests:Workers must be 0 (one less than the cores) or more.");
    }

    /// <summary>Worker threads running.</summary>
    public int Workers => _workers.Count;

    /// <summary>Jobs waiting for a worker.</summary>
    public int QueuedCount => Volatile.Read(ref _waiting);

    /// <summary>Jobs a worker is running.</summary>
    public int RunningCount => Volatile.Read(ref _running);

    /// <summary>Bars the jobs have processed, counted as their progress is reported (a few times a second).</summary>
    public long BarsProcessed => Interlocked.Read(ref _barsProcessed);

    /// <summary>Jobs that ended with <paramref name="status"/> (done, failed or cancelled) since the server started; 0 for another status.</summary>
    public long FinishedCount(string status) => status switch
    {
        Done => Interlocked.Read(ref _done),
        Failed => Interlocked.Read(ref _failed),
        Cancelled => Interlocked.Read(ref _cancelled),
        _ => 0,
    };

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var interrupted = _rows.MarkInterrupted(Now());
        if (interrupted > 0) LogInterrupted(interrupted);
        for (var i = 0; i < _options.EffectiveWorkers; i++)
        {
            var thread = new Thread(Work) { IsBackground = true, Name = $"backtest-{i + 1}" };
            _workers.Add(thread);
            thread.Start();
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Running jobs are cancelled and store nothing: their rows stay queued/running and the next start marks them interrupted,
        // exactly as after a crash.
        _stopping.Cancel();
        foreach (var job in _active.Values) job.Cancel.Cancel();
        var stopped = Task.WhenAll(_active.Values.Select(j => j.Ended.Task));
        await Task.WhenAny(stopped, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Validates a submission, stores it as queued and queues it; <see cref="ServiceException"/>s name what is wrong.</summary>
    public BacktestAccepted Submit(CreateBacktestRequest body)
    {
        var errors = new Dictionary<string, string>();
        var (name, code, settings) = JobSubmission.Read(body, _catalog, errors);
        if (errors.Count > 0) throw new InvalidRequestException(errors);

        JobSubmission.CheckCode(name!, code!, _catalog);
        if (settings.Params is not null)
        {
            // Checked now against the declarations, so a bad value is a 400 rather than a failed job.
            using var probe = LuaStrategy.FromCode(name!, code!, _catalog.Options);
            try
            {
                probe.SetParameters(settings.Params);
            }
            catch (StrategyParameterException e)
            {
                throw new InvalidRequestException(e.Problems);
            }
        }

        var dataset = body.Dataset!;
        long seq = 0;
        Job? job = null;
        var user = new JobName("a backtest being submitted");
        var (info, lease) = JobSubmission.Lease(_usage, _store, dataset, user, settings);
        try
        {
            lock (_gate)
            {
                if (_waiting >= _options.QueueLimit)
                    throw new TooManyRequestsException($"{_waiting} backtests are already waiting (Tickrunner:Backtests:QueueLimit = {_options.QueueLimit}); try again when some have finished.");
                var settingsJson = JsonSerializer.Serialize(settings, BacktestJson.Default.BacktestSettings);
                seq = _rows.Insert(name!, code!, dataset, info.Symbol, settingsJson, info.Bars, Now());
                user.Name = $"backtest {IdOf(seq)}";
                job = new Job(seq, name!, code!, dataset, settings, lease);
                _active[seq] = job;
                _waiting++;
                _queue.Add(job);
            }
        }
        catch
        {
            if (job is null) lease.Dispose();
            throw;
        }
        return new BacktestAccepted(IdOf(seq), Queued);
    }

    /// <summary>The history, newest first, with headline metrics.</summary>
    public IReadOnlyList<BacktestSummary> List(int limit) => _rows.List(limit).Select(row =>
    {
        var (status, progress, _, _) = Live(row);
        var report = row.Report is null ? (JsonElement?)null : JsonDocument.Parse(row.Report).RootElement;
        return new BacktestSummary(IdOf(row.Seq), status, row.StrategyName, row.Dataset, row.Symbol, progress, row.CreatedAt, row.FinishedAt,
            Number(report, "total_return_pct"), Number(report, "sharpe"), Number(report, "max_drawdown_pct"),
            report is { } r && r.TryGetProperty("trades", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetInt32() : null, row.Error);
    }).ToList();

    /// <summary>One job; <see cref="NotFoundException"/> when there is none.</summary>
    public BacktestView Get(string id)
    {
        var row = Row(id);
        var (status, progress, barsDone, barsTotal) = Live(row);
        return new BacktestView(IdOf(row.Seq), status, row.StrategyName, row.Dataset, row.Symbol, progress, barsDone, barsTotal,
            JsonDocument.Parse(row.Settings).RootElement, row.Report is null ? null : JsonDocument.Parse(row.Report).RootElement,
            row.Error, row.CreatedAt, row.StartedAt, row.FinishedAt);
    }

    /// <summary>
    /// The job's trades (docs/backtesting.md §5) as JSON elements, from <paramref name="offset"/>, at most <paramref name="limit"/>;
    /// with <paramref name="from"/> or <paramref name="to"/>, only the trades open at some time in [from, to] (exit ≥ from, entry ≤ to),
    /// the offset counting among those.
    /// </summary>
    public IReadOnlyList<JsonElement> Trades(string id, int offset, int limit, long? from = null, long? to = null)
    {
        var row = Row(id);
        var json = _rows.Trades(row.Seq);
        if (json is null) return [];
        using var document = JsonDocument.Parse(json);
        var trades = document.RootElement.EnumerateArray();
        IEnumerable<JsonElement> open = from is null && to is null
            ? trades
            : trades.Where(t => t.GetProperty("exit_timestamp").GetInt64() >= (from ?? long.MinValue)
                && t.GetProperty("entry_timestamp").GetInt64() <= (to ?? long.MaxValue));
        return open.Skip(offset).Take(limit).Select(e => e.Clone()).ToList();
    }

    /// <summary>The job's monthly returns (<see cref="MonthlyReturns.From"/>), empty before it has ended with a curve.</summary>
    public IReadOnlyList<MonthlyReturn> Monthly(string id)
    {
        var row = Row(id);
        if (_rows.Equity(row.Seq) is not var (timeBytes, valueBytes)) return [];
        var settings = JsonSerializer.Deserialize(row.Settings, BacktestJson.Default.BacktestSettings)!;
        return MonthlyReturns.From(MemoryMarshal.Cast<byte, long>(timeBytes), MemoryMarshal.Cast<byte, double>(valueBytes), settings.Account.InitialCapital);
    }

    /// <summary>The job's equity curve, every point or thinned to <paramref name="points"/> (<see cref="EquityCurve.Downsample"/>).</summary>
    public (long[] Times, double[] Equity) Equity(string id, int? points)
    {
        var row = Row(id);
        if (_rows.Equity(row.Seq) is not var (timeBytes, valueBytes)) return ([], []);
        return EquityCurve.Thin(timeBytes, valueBytes, points);
    }

    /// <summary>
    /// Cancels a job: a queued one at once, a running one within a few thousand bars (this waits for it to end, up to
    /// <paramref name="wait"/>). <see cref="ConflictException"/> when it has already finished.
    /// </summary>
    public async Task<BacktestView> CancelAsync(string id, TimeSpan wait)
    {
        var row = Row(id);
        if (!_active.TryGetValue(row.Seq, out var job))
            throw new ConflictException($"Backtest '{id}' has already finished ({row.Status}); there is nothing to cancel.");
        await StopJobAsync(job, wait);
        return Get(id);
    }

    /// <summary>Deletes a job and its results, cancelling it first when it is queued or running.</summary>
    public async Task DeleteAsync(string id, TimeSpan wait)
    {
        var row = Row(id);
        if (_active.TryGetValue(row.Seq, out var job)) await StopJobAsync(job, wait);
        _rows.Delete(row.Seq);
    }

    private async Task StopJobAsync(Job job, TimeSpan wait)
    {
        var wasQueued = false;
        lock (job)
        {
            if (job.Status == Queued)
            {
                job.Status = Cancelled;
                wasQueued = true;
                lock (_gate) _waiting--; // counted out now, so its place in the queue is free at once
            }
        }
        if (wasQueued)
        {
            End(job, new BacktestOutcome(Cancelled, 0, 0, null, null, null, null, null, Now()));
            return;
        }
        job.Cancel.Cancel();
        try
        {
            await job.Ended.Task.WaitAsync(wait);
        }
        catch (TimeoutException)
        {
            // Still inside one long strategy call (the watchdog ends it); the answer shows where it is.
        }
    }

    private void Work()
    {
        // Below the runner threads for real (SCHED_IDLE on Linux, where Thread.Priority is ignored), so a busy pool
        // takes only the CPU that live trading leaves; a job still runs when the system refuses, only not lowered.
        if (!BackgroundThreadPriority.LowerCurrentThread()) LogNotLowered(Thread.CurrentThread.Name);
        try
        {
            foreach (var job in _queue.GetConsumingEnumerable(_stopping.Token))
            {
                lock (job)
                {
                    if (job.Status != Queued) continue; // cancelled while it waited (and counted out then)
                    // Counted out before it shows as running: a client that sees it running and submits at once finds its
                    // place in the queue free (the other order let such a submission meet a full queue, 429).
                    lock (_gate) _waiting--;
                    job.Status = Running;
                }
                Interlocked.Increment(ref _running);
                try
                {
                    Run(job);
                }
                finally
                {
                    Interlocked.Decrement(ref _running);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Shutdown: queued jobs stay queued in the database and are marked interrupted at the next start.
            foreach (var job in _active.Values)
                lock (job)
                    if (job.Status == Queued) job.Ended.TrySetResult();
        }
    }

    private void Run(Job job)
    {
        var id = IdOf(job.Seq);
        var started = Now();
        _rows.SetRunning(job.Seq, started);
        job.StartedAt = started;
        Publish(job, 0);
        BacktestOutcome outcome;
        try
        {
            var bars = _store.Load(job.Dataset, job.Settings.From, job.Settings.To);
            Volatile.Write(ref job.BarsTotal, bars.Count);
            job.Cancel.Token.ThrowIfCancellationRequested();
            if (bars.Count == 0)
            {
                outcome = new BacktestOutcome(Failed, 0, 0, null, "the range has no bars (it falls into a gap of the dataset)", null, null, null, Now());
            }
            else
            {
                var result = Backtest.Run(job.StrategyName, job.Code, bars, job.Settings, _catalog.Options, p => OnProgress(job, p), job.Cancel.Token);
                var times = result.Times as long[] ?? [.. result.Times];
                var equity = result.Equity as double[] ?? [.. result.Equity];
                outcome = new BacktestOutcome(result.Failed ? Failed : Done, bars.Count, result.BarsDone, result.ReportJson(), result.Error,
                    result.TradesJson(), MemoryMarshal.AsBytes(times.AsSpan()).ToArray(), MemoryMarshal.AsBytes(equity.AsSpan()).ToArray(), Now());
            }
        }
        catch (OperationCanceledException) when (job.Cancel.IsCancellationRequested)
        {
            if (_stopping.IsCancellationRequested)
            {
                job.Ended.TrySetResult(); // nothing stored: the next start marks it interrupted
                return;
            }
            outcome = new BacktestOutcome(Cancelled, Volatile.Read(ref job.BarsTotal), Volatile.Read(ref job.BarsDone), null, null, null, null, null, Now());
        }
        catch (StrategyLoadException e)
        {
            outcome = new BacktestOutcome(Failed, Volatile.Read(ref job.BarsTotal), 0, null, e.Message, null, null, null, Now());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogJobFailed(e, id);
            outcome = new BacktestOutcome(Failed, Volatile.Read(ref job.BarsTotal), Volatile.Read(ref job.BarsDone), null, e.Message, null, null, null, Now());
        }
        lock (job) job.Status = outcome.Status;
        End(job, outcome);
    }

    // Stored first, then forgotten in memory, then announced: a client that reads the job after BacktestFinished sees its result.
    private void End(Job job, BacktestOutcome outcome)
    {
        try
        {
            _rows.Finish(job.Seq, outcome);
        }
        finally
        {
            job.Lease.Dispose();
            _active.TryRemove(job.Seq, out _);
            job.Ended.TrySetResult();
        }
        CountBars(job, outcome.BarsDone);
        switch (outcome.Status)
        {
            case Done: Interlocked.Increment(ref _done); break;
            case Cancelled: Interlocked.Increment(ref _cancelled); break;
            default: Interlocked.Increment(ref _failed); break;
        }
        EmitInOrder(RunnerEvent.BacktestFinished(IdOf(job.Seq), outcome.Status, Now()));
    }

    private void OnProgress(Job job, BacktestProgress progress)
    {
        CountBars(job, progress.BarsDone);
        Volatile.Write(ref job.BarsDone, progress.BarsDone);
        Volatile.Write(ref job.BarsTotal, progress.BarsTotal);
        var now = Environment.TickCount64;
        if (progress.BarsDone < progress.BarsTotal && now - job.LastPublished < _options.ProgressIntervalMs) return;
        job.LastPublished = now;
        Publish(job, progress.BarsPerSecond);
    }

    // Adds what the job processed since it was last counted: from its worker (a job cancelled while queued has no bars).
    private void CountBars(Job job, long barsDone)
    {
        if (barsDone <= job.BarsCounted) return;
        Interlocked.Add(ref _barsProcessed, barsDone - job.BarsCounted);
        job.BarsCounted = barsDone;
    }

    private void Publish(Job job, double barsPerSecond)
    {
        var total = Volatile.Read(ref job.BarsTotal);
        var done = Volatile.Read(ref job.BarsDone);
        EmitInOrder(RunnerEvent.BacktestProgress(IdOf(job.Seq), total == 0 ? 0 : (double)done / total, done, barsPerSecond, Now()));
    }

    // Published from the thread pool, one after another in the order emitted (a job's last progress before its
    // BacktestFinished), never from a worker: a SCHED_IDLE worker preempted while it held the hub's lock would leave
    // every runner's events queued behind it until the runners left it some CPU. A few events a second per job.
    private void EmitInOrder(RunnerEvent runnerEvent)
    {
        lock (_emitGate)
            _emitted = _emitted.ContinueWith(static (_, state) =>
            {
                var (hub, e) = ((EventHub, RunnerEvent))state!;
                hub.Emit(e);
            }, (_hub, runnerEvent), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    // A job still in memory shows its live status and progress; a stored one what it ended with.
    private (string Status, double Progress, long BarsDone, long BarsTotal) Live(StoredBacktest row)
    {
        if (_active.TryGetValue(row.Seq, out var job) && row.Status is Queued or Running)
        {
            var total = Volatile.Read(ref job.BarsTotal);
            var done = Volatile.Read(ref job.BarsDone);
            return (job.Status is Queued or Running ? job.Status : row.Status, total == 0 ? 0 : (double)done / total, done, total == 0 ? row.BarsTotal : total);
        }
        var progress = row.Status == Done ? 1 : row.BarsTotal == 0 ? 0 : (double)row.BarsDone / row.BarsTotal;
        return (row.Status, progress, row.BarsDone, row.BarsTotal);
    }

    private StoredBacktest Row(string id) =>
        (TryParseId(id, out var seq) ? _rows.Get(seq) : null)
        ?? throw new NotFoundException($"There is no backtest with id '{id}'; GET /api/backtests lists them.");

    private static bool TryParseId(string id, out long seq)
    {
        seq = 0;
        return id.StartsWith(IdPrefix, StringComparison.Ordinal)
            && long.TryParse(id.AsSpan(IdPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out seq);
    }

    /// <summary>The public id of job number <paramref name="seq"/>.</summary>
    public static string IdOf(long seq) => IdPrefix + seq.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static double? Number(JsonElement? report, string field) =>
        report is { } r && r.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private long Now() => _clock.NowUnixMs();

    /// <inheritdoc />
    public void Dispose() => _stopping.Cancel(); // the queue and the token stay undisposed: a worker may still be leaving them

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} backtest(s) left queued or running by the last run of the server are marked failed (interrupted)")]
    private partial void LogInterrupted(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backtest worker {Worker} runs at normal priority: the system refused to lower it, so a running backtest competes with the runners for the cores")]
    private partial void LogNotLowered(string? worker);

    [LoggerMessage(Level = LogLevel.Error, Message = "Backtest {BacktestId} failed")]
    private partial void LogJobFailed(Exception e, string backtestId);

    private sealed class Job(long seq, string strategyName, string code, string dataset, BacktestSettings settings, IDisposable lease)
    {
        public readonly long Seq = seq;
        public readonly string StrategyName = strategyName;
        public readonly string Code = code;
        public readonly string Dataset = dataset;
        public readonly BacktestSettings Settings = settings;
        public readonly IDisposable Lease = lease;
        public readonly CancellationTokenSource Cancel = new();
        public readonly TaskCompletionSource Ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string Status = Queued; // under lock (this)
        public long BarsDone, BarsTotal;
        public long BarsCounted; // for BarsProcessed
        public long LastPublished;
        public long StartedAt;
    }
}
