using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Optimization;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;
using Tickrunner.Server.Backtests;
using Tickrunner.Server.Common;
using Tickrunner.Server.Datasets;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Optimizations;

/// <summary>One searched parameter in a request: <c>min</c>, <c>max</c> and <c>step</c> for a number, or <c>choices</c> for a choice.</summary>
public sealed record SpaceRangeRequest(double? Min = null, double? Max = null, double? Step = null, List<JsonElement>? Choices = null);

/// <summary>Walk-forward windows in a request: training and test lengths in bars, how many windows, anchored or rolling.</summary>
public sealed record WalkForwardRequest(int? TrainBars = null, int? TestBars = null, int? Windows = null, bool? Anchored = null);

/// <summary>The body of <c>POST /api/optimizations</c>: every field of <see cref="CreateBacktestRequest"/>, and how to search.</summary>
public sealed record CreateOptimizationRequest(string? StrategyName, string? Code, string? Dataset, long? From = null, long? To = null,
    int? WindowSize = null, double? InitialCapital = null, double? FeeBps = null, double? SlippageBps = null, FillTiming? Fill = null,
    StopTiming? Stops = null, bool? StopOnError = null, bool? CloseAtEnd = null, Dictionary<string, JsonElement>? Params = null,
    string? Method = null, int? Trials = null, long? Seed = null, string? Objective = null, int? MinTrades = null, double? MaxDrawdownPct = null,
    int? Patience = null, int? TopK = null, Dictionary<string, SpaceRangeRequest?>? Space = null, WalkForwardRequest? WalkForward = null,
    RiskLimits? Risk = null)
{
    /// <summary>The backtest every trial runs, as a backtest submission would give it.</summary>
    internal CreateBacktestRequest Backtest => new(StrategyName, Code, Dataset, From, To, WindowSize, InitialCapital, FeeBps, SlippageBps, Fill,
        Stops, StopOnError, CloseAtEnd, Params, Risk);
}

/// <summary>The answer to a submission.</summary>
public sealed record OptimizationAccepted(string Id, string Status);

/// <summary>A job in the history: what it searches, how far it came, and the best objective and values once it has ended.</summary>
public sealed record OptimizationSummary(string Id, string Status, string StrategyName, string Dataset, string Symbol, string Method,
    string Objective, double Progress, int TrialsDone, int TrialsPlanned, double? BestObjective, JsonElement? BestParams, long CreatedAt,
    long? FinishedAt, string? Error);

/// <summary>
/// One job: status, progress (the current window's trials), settings, and once it has ended the space, the best and top trials,
/// the overfitting statistics and the walk-forward windows (docs/guides/web-app-api.md, "Optimizations").
/// </summary>
public sealed record OptimizationView(string Id, string Status, string StrategyName, string Dataset, string Symbol, double Progress,
    int TrialsDone, int TrialsPlanned, int Window, int Windows, bool StoppedEarly, JsonElement Settings, JsonElement? Space, JsonElement? Best,
    JsonElement Top, JsonElement? DeflatedSharpe, JsonElement? Overfitting, JsonElement? WalkForward, string? Error, long CreatedAt,
    long? StartedAt, long? FinishedAt);

/// <summary>One trial's row as the optimizer made it: values, status, objective, note and report.</summary>
public sealed record TrialView(int Trial, JsonElement Params, string Status, double? Objective, string? Note, JsonElement? Report);

/// <summary>A page of trials and how many the job has.</summary>
public sealed record TrialPage(int Total, IReadOnlyList<TrialView> Trials);

/// <summary>
/// Optimization jobs: validated and stored on submission, run one at a time by a lowered thread of their own whose trials
/// spread over <see cref="OptimizationOptions.Workers"/> lowered threads, their progress published on the event hub, their
/// results (the summary, one row per trial, the walk-forward equity) stored in SQLite in one transaction. Jobs a stopped server
/// left queued or running are marked failed ("interrupted") at the next start.
/// </summary>
public sealed partial class OptimizationService : IHostedService, IDisposable
{
    private const string Queued = "queued", Running = "running", Done = "done", Failed = "failed", Cancelled = "cancelled";
    private const string IdPrefix = "opt-";

    private readonly OptimizationRepository _rows;
    private readonly DatasetStore _store;
    private readonly DatasetUsage _usage;
    private readonly StrategyCatalog _catalog;
    private readonly EventHub _hub;
    private readonly IEngineClock _clock;
    private readonly OptimizationOptions _options;
    private readonly ILogger<OptimizationService> _logger;
    private readonly BlockingCollection<Job> _queue = new();
    private readonly ConcurrentDictionary<long, Job> _active = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly Lock _emitGate = new();
    private Task _emitted = Task.CompletedTask; // the last event handed to the thread pool, under _emitGate
    private Thread? _worker;
    private int _waiting;
    private int _warnedNotLowered;
    // For monitoring (GET /metrics), since the server started.
    private int _running;
    private long _trialsDone, _done, _failed, _cancelled;

    /// <summary>The service; its worker starts with the host.</summary>
    public OptimizationService(OptimizationRepository rows, DatasetStore store, DatasetUsage usage, StrategyCatalog catalog, EventHub hub,
        IEngineClock clock, IOptions<TickrunnerOptions> options, ILogger<OptimizationService> logger)
    {
        _rows = rows;
        _store = store;
        _usage = usage;
        _catalog = catalog;
        _hub = hub;
        _clock = clock;
        _options = options.Value.Optimizations;
        _logger = logger;
        if (_options.QueueLimit < 1) throw new InvalidOperationException("Tickrunner:Optimizations:QueueLimit must be at least 1.");
        if (_options.Workers is < 1 or > 1024) throw new InvalidOperationException("Tickrunner:Optimizations:Workers must be between 1 and 1024.");
    }

    /// <summary>Jobs waiting for the running one.</summary>
    public int QueuedCount => Volatile.Read(ref _waiting);

    /// <summary>Jobs running (0 or 1).</summary>
    public int RunningCount => Volatile.Read(ref _running);

    /// <summary>Trials the jobs have evaluated (a TPE point proposed again counts too), since the server started.</summary>
    public long TrialsDone => Interlocked.Read(ref _trialsDone);

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
        _worker = new Thread(Work) { IsBackground = true, Name = "optimization" };
        _worker.Start();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The running job is cancelled and stores nothing: its row stays running and the next start marks it interrupted,
        // exactly as after a crash.
        _stopping.Cancel();
        foreach (var job in _active.Values) job.Cancel.Cancel();
        var stopped = Task.WhenAll(_active.Values.Select(j => j.Ended.Task));
        await Task.WhenAny(stopped, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Validates a submission, stores it as queued and queues it; <see cref="ServiceException"/>s name what is wrong.</summary>
    public OptimizationAccepted Submit(CreateOptimizationRequest body)
    {
        var errors = new Dictionary<string, string>();
        var (name, code, backtest) = JobSubmission.Read(body.Backtest, _catalog, errors);
        var settings = new OptimizationSettings
        {
            Method = Method(body.Method, errors),
            Trials = body.Trials ?? new OptimizationSettings().Trials,
            Seed = body.Seed ?? new OptimizationSettings().Seed,
            Objective = Objective(body.Objective, errors),
            MinTrades = body.MinTrades,
            MaxDrawdownPct = body.MaxDrawdownPct,
            Patience = body.Patience,
            TopK = body.TopK ?? new OptimizationSettings().TopK,
            Parallelism = _options.Workers,
            Space = Space(body.Space, errors),
            Backtest = backtest,
            WalkForward = WalkForward(body.WalkForward, errors),
        };
        foreach (var (field, problem) in settings.Problems()) errors.TryAdd(field, problem);
        if (errors.Count > 0) throw new InvalidRequestException(errors);

        JobSubmission.CheckCode(name!, code!, _catalog);
        SearchSpace? space;
        try
        {
            (space, var problems) = Optimizer.Space(name!, code!, settings, _catalog.Options);
            if (space is null) throw new InvalidRequestException(problems);
        }
        catch (StrategyLoadException e)
        {
            throw new InvalidStrategyException(name!, e.Diagnostics);
        }
        var planned = ParameterSearch.Planned(space, settings); // Space has checked that it plans

        var dataset = body.Dataset!;
        long seq = 0;
        Job? job = null;
        var user = new JobName("an optimization being submitted");
        var (info, lease) = JobSubmission.Lease(_usage, _store, dataset, user, backtest);
        try
        {
            if (settings.WalkForward is { } walkForward)
            {
                // The rule of Optimizer.WalkForwardWindows, from the count alone: the bars are not read at submission.
                var bars = _store.Count(dataset, backtest.From, backtest.To);
                var needed = walkForward.TrainBars + (long)(walkForward.Windows ?? 1) * walkForward.TestBars;
                if (bars < needed)
                    throw new InvalidRequestException("walk_forward", string.Create(CultureInfo.InvariantCulture,
                        $"walk_forward needs {needed:N0} bars ({walkForward.TrainBars:N0} to train + {walkForward.Windows ?? 1} × {walkForward.TestBars:N0} to test), the range has {bars:N0}."));
            }
            lock (_gate)
            {
                if (_waiting >= _options.QueueLimit)
                    throw new TooManyRequestsException($"{_waiting} optimizations are already waiting (Tickrunner:Optimizations:QueueLimit = {_options.QueueLimit}); try again when some have finished.");
                seq = _rows.Insert(name!, code!, dataset, info.Symbol, MethodName(settings.Method), Optimizer.Name(settings.Objective),
                    JsonSerializer.Serialize(settings, OptimizationJson.Default.OptimizationSettings), planned, Now());
                user.Name = $"optimization {IdOf(seq)}";
                job = new Job(seq, name!, code!, dataset, settings, planned, lease);
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
        return new OptimizationAccepted(IdOf(seq), Queued);
    }

    /// <summary>The history, newest first.</summary>
    public IReadOnlyList<OptimizationSummary> List(int limit) => _rows.List(limit).Select(row =>
    {
        var live = Live(row);
        return new OptimizationSummary(IdOf(row.Seq), live.Status, row.StrategyName, row.Dataset, row.Symbol, row.Method, row.Objective,
            live.Progress, live.TrialsDone, live.TrialsPlanned, live.BestObjective, Parse(row.BestParams), row.CreatedAt, row.FinishedAt, row.Error);
    }).ToList();

    /// <summary>One job; <see cref="NotFoundException"/> when there is none.</summary>
    public OptimizationView Get(string id)
    {
        var row = Row(id);
        var live = Live(row);
        var result = Parse(row.Result);
        JsonElement? Part(string name) => result is { } r && r.TryGetProperty(name, out var part) && part.ValueKind != JsonValueKind.Null ? part : null;
        return new OptimizationView(IdOf(row.Seq), live.Status, row.StrategyName, row.Dataset, row.Symbol, live.Progress, live.TrialsDone,
            live.TrialsPlanned, live.Window, live.Windows, Part("stopped_early")?.GetBoolean() ?? false, JsonDocument.Parse(row.Settings).RootElement,
            Part("space"), Part("best"), Part("top") ?? EmptyArray, Part("deflated_sharpe"), Part("overfitting"), Part("walk_forward"),
            row.Error, row.CreatedAt, row.StartedAt, row.FinishedAt);
    }

    /// <summary>A page of the job's trials (of the last window with walk-forward), empty before it has ended.</summary>
    public TrialPage Trials(string id, TrialSort sort, bool descending, int offset, int limit)
    {
        var row = Row(id);
        var (total, trials) = _rows.Trials(row.Seq, sort, descending, offset, limit);
        return new TrialPage(total, trials.Select(t => new TrialView(t.Trial, JsonDocument.Parse(t.Params).RootElement, t.Status, t.Objective,
            t.Note, Parse(t.Report))).ToList());
    }

    /// <summary>The stitched out-of-sample equity of a walk-forward, every point or thinned to <paramref name="points"/>; empty without one.</summary>
    public (long[] Times, double[] Equity) WalkForwardEquity(string id, int? points)
    {
        var row = Row(id);
        return _rows.Equity(row.Seq) is var (times, values) ? EquityCurve.Thin(times, values, points) : ([], []);
    }

    /// <summary>
    /// Cancels a job: a queued one at once, a running one once its running trials stop (this waits for it, up to
    /// <paramref name="wait"/>). <see cref="ConflictException"/> when it has already finished.
    /// </summary>
    public async Task<OptimizationView> CancelAsync(string id, TimeSpan wait)
    {
        var row = Row(id);
        if (!_active.TryGetValue(row.Seq, out var job))
            throw new ConflictException($"Optimization '{id}' has already finished ({row.Status}); there is nothing to cancel.");
        await StopJobAsync(job, wait);
        return Get(id);
    }

    /// <summary>Deletes a job and its trials, cancelling it first when it is queued or running.</summary>
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
            End(job, Ended(job, Cancelled, null), []);
            return;
        }
        job.Cancel.Cancel();
        try
        {
            await job.Ended.Task.WaitAsync(wait);
        }
        catch (TimeoutException)
        {
            // Still inside long strategy calls (the watchdog ends them); the answer shows where it is.
        }
    }

    private void Work()
    {
        // Below the runner threads for real (SCHED_IDLE on Linux), as the backtest workers are; the trial threads each job
        // starts lower themselves too (LowerWorker).
        if (!BackgroundThreadPriority.LowerCurrentThread()) WarnNotLowered();
        try
        {
            foreach (var job in _queue.GetConsumingEnumerable(_stopping.Token))
            {
                lock (job)
                {
                    if (job.Status != Queued) continue; // cancelled while it waited (and counted out then)
                    lock (_gate) _waiting--; // before it shows as running, as for backtests
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

    private void LowerWorker()
    {
        if (!BackgroundThreadPriority.LowerCurrentThread()) WarnNotLowered();
    }

    private void Run(Job job)
    {
        var id = IdOf(job.Seq);
        var started = Now();
        _rows.SetRunning(job.Seq, started);
        OptimizationOutcome outcome;
        IEnumerable<StoredTrial> trials = [];
        try
        {
            var bars = _store.Load(job.Dataset, job.Settings.Backtest.From, job.Settings.Backtest.To);
            var windows = job.Settings.WalkForward is { } walkForward && bars.Count > 0
                ? Optimizer.WalkForwardWindows(bars, job.Settings.Backtest, walkForward).Count
                : 1;
            lock (job)
            {
                job.Progress = new OptimizationProgress(0, job.Planned, null, null, 0, windows);
                job.LastPublished = Environment.TickCount64;
                Publish(job, job.Progress);
            }
            job.Cancel.Token.ThrowIfCancellationRequested();
            if (bars.Count == 0)
            {
                outcome = Ended(job, Failed, "the range has no bars (it falls into a gap of the dataset)");
            }
            else
            {
                var result = Optimizer.Run(job.StrategyName, job.Code, bars, job.Settings, _catalog.Options, p => OnProgress(job, p), LowerWorker,
                    job.Cancel.Token);
                (outcome, trials) = Completed(result, windows);
            }
        }
        catch (OperationCanceledException) when (job.Cancel.IsCancellationRequested)
        {
            if (_stopping.IsCancellationRequested)
            {
                job.Ended.TrySetResult(); // nothing stored: the next start marks it interrupted
                return;
            }
            outcome = Ended(job, Cancelled, null);
        }
        catch (StrategyLoadException e)
        {
            outcome = Ended(job, Failed, e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogJobFailed(e, id);
            outcome = Ended(job, Failed, e.Message);
        }
        lock (job) job.Status = outcome.Status;
        End(job, outcome, trials);
    }

    // The result as stored: its summary and best values now, the trial rows made one by one as the repository writes them, so
    // the result is not copied whole; nothing of it is kept once they are written.
    private (OptimizationOutcome, IEnumerable<StoredTrial>) Completed(OptimizationResult result, int windows)
    {
        var best = result.Best;
        var (times, values) = result.WalkForward is { } walkForward ? EquityCurve.ToBytes(walkForward.Times, walkForward.Equity) : (null, null);
        var outcome = new OptimizationOutcome(Done, 1, result.Trials.Count, result.Planned, windows - 1, windows, best?.Objective,
            best is null ? null : Json(best.Params), Summary(result), times, values, null, Now());
        return (outcome, result.Trials.Select(t => new StoredTrial(t.Trial, Json(t.Params), StatusName(t.Status), t.Objective, t.Note,
            t.Report?.TotalReturnPct, t.Report?.Sharpe, t.Report?.MaxDrawdownPct, t.Report?.Trades, t.Report is { } report ? Json(report) : null)));
    }

    // An outcome without results, with the counts the job had reached.
    private OptimizationOutcome Ended(Job job, string status, string? error)
    {
        OptimizationProgress progress;
        lock (job) progress = job.Progress;
        return new OptimizationOutcome(status, progress.Fraction, progress.TrialsDone, progress.TrialsPlanned, progress.Window, progress.Windows,
            progress.BestObjective, null, null, null, null, error, Now());
    }

    // Stored first, then forgotten in memory, then announced: a client that reads the job after OptimizationFinished sees its result.
    private void End(Job job, OptimizationOutcome outcome, IEnumerable<StoredTrial> trials)
    {
        try
        {
            _rows.Finish(job.Seq, outcome, trials);
        }
        finally
        {
            job.Lease.Dispose();
            _active.TryRemove(job.Seq, out _);
            job.Ended.TrySetResult();
        }
        switch (outcome.Status)
        {
            case Done: Interlocked.Increment(ref _done); break;
            case Cancelled: Interlocked.Increment(ref _cancelled); break;
            default: Interlocked.Increment(ref _failed); break;
        }
        EmitInOrder(RunnerEvent.OptimizationFinished(IdOf(job.Seq), outcome.Status, Now()));
    }

    // From the trial threads, after every trial. Reports can arrive out of order (each is made under the search's lock but
    // delivered after it): one older than the job's last is dropped, so progress never goes back.
    private void OnProgress(Job job, OptimizationProgress progress)
    {
        Interlocked.Increment(ref _trialsDone);
        lock (job)
        {
            var last = job.Progress;
            var stale = progress.Window < last.Window || (progress.Window == last.Window
                && (progress.TrialsPlanned > last.TrialsPlanned // from before an early stop lowered the plan
                    || (progress.TrialsPlanned == last.TrialsPlanned && progress.TrialsDone < last.TrialsDone)));
            if (stale) return;
            job.Progress = progress;
            var now = Environment.TickCount64;
            if (progress.TrialsDone < progress.TrialsPlanned && now - job.LastPublished < _options.ProgressIntervalMs) return;
            job.LastPublished = now;
            Publish(job, progress); // under the job's lock, so the events go out in the order of the progress they carry
        }
    }

    private void Publish(Job job, OptimizationProgress p) =>
        EmitInOrder(RunnerEvent.OptimizationProgress(IdOf(job.Seq), p.Fraction, p.TrialsDone, p.TrialsPlanned, p.Window, p.Windows,
            p.BestObjective, p.BestTrial, Now()));

    // As for backtests: published from the thread pool in the order emitted, never from a lowered thread that could be
    // preempted while it holds the hub's lock.
    private void EmitInOrder(RunnerEvent runnerEvent)
    {
        lock (_emitGate)
            _emitted = _emitted.ContinueWith(static (_, state) =>
            {
                var (hub, e) = ((EventHub, RunnerEvent))state!;
                hub.Emit(e);
            }, (_hub, runnerEvent), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private readonly record struct LiveState(string Status, double Progress, int TrialsDone, int TrialsPlanned, int Window, int Windows,
        double? BestObjective);

    // A job still in memory shows its live status and progress; a stored one what it ended with.
    private LiveState Live(StoredOptimization row)
    {
        if (_active.TryGetValue(row.Seq, out var job) && row.Status is Queued or Running)
        {
            lock (job)
            {
                var p = job.Progress;
                return new LiveState(job.Status is Queued or Running ? job.Status : row.Status, job.Status == Queued ? 0 : p.Fraction,
                    p.TrialsDone, p.TrialsPlanned, p.Window, p.Windows, p.BestObjective);
            }
        }
        return new LiveState(row.Status, row.Progress, row.TrialsDone, row.TrialsPlanned, row.Window, row.Windows, row.BestObjective);
    }

    private StoredOptimization Row(string id) =>
        (TryParseId(id, out var seq) ? _rows.Get(seq) : null)
        ?? throw new NotFoundException($"There is no optimization with id '{id}'; GET /api/optimizations lists them.");

    private static bool TryParseId(string id, out long seq)
    {
        seq = 0;
        return id.StartsWith(IdPrefix, StringComparison.Ordinal)
            && long.TryParse(id.AsSpan(IdPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out seq);
    }

    /// <summary>The public id of job number <paramref name="seq"/>.</summary>
    public static string IdOf(long seq) => IdPrefix + seq.ToString(CultureInfo.InvariantCulture);

    private static OptimizationMethod Method(string? text, Dictionary<string, string> errors)
    {
        switch (text)
        {
            case null or "tpe": return OptimizationMethod.Tpe;
            case "grid": return OptimizationMethod.Grid;
            case "random": return OptimizationMethod.Random;
            default:
                errors["method"] = $"method must be grid, random or tpe, got '{text}'.";
                return OptimizationMethod.Tpe;
        }
    }

    private static string MethodName(OptimizationMethod method) => method.ToString().ToLowerInvariant();

    private static OptimizationObjective Objective(string? text, Dictionary<string, string> errors)
    {
        if (text is null) return new OptimizationSettings().Objective;
        foreach (var objective in Enum.GetValues<OptimizationObjective>())
            if (Optimizer.Name(objective) == text) return objective;
        errors["objective"] = $"objective must be {string.Join(", ", Enum.GetValues<OptimizationObjective>().Select(Optimizer.Name))}, got '{text}'.";
        return new OptimizationSettings().Objective;
    }

    private static Dictionary<string, ParameterRange>? Space(Dictionary<string, SpaceRangeRequest?>? ranges, Dictionary<string, string> errors)
    {
        if (ranges is null) return null;
        var space = new Dictionary<string, ParameterRange>(StringComparer.Ordinal);
        foreach (var (name, range) in ranges)
        {
            if (range is null)
            {
                errors[$"space.{name}"] = $"space.{name} must be an object: {{\"min\", \"max\", \"step\"}} for a number or {{\"choices\": […]}} for a choice.";
                continue;
            }
            List<object>? choices = null;
            if (range.Choices is { } given)
            {
                choices = [];
                foreach (var choice in given)
                {
                    if (StrategyParameter.Plain(choice) is { } value) choices.Add(value);
                    else errors[$"space.{name}"] = $"space.{name}.choices must hold numbers, strings or booleans, not {choice.ValueKind.ToString().ToLowerInvariant()}.";
                }
            }
            space[name] = new ParameterRange { Min = range.Min, Max = range.Max, Step = range.Step, Choices = choices };
        }
        return space;
    }

    private static WalkForwardSettings? WalkForward(WalkForwardRequest? request, Dictionary<string, string> errors)
    {
        if (request is null) return null;
        if (request.TrainBars is null) errors["walk_forward.train_bars"] = "walk_forward.train_bars is required: the training bars of each window (2 or more).";
        if (request.TestBars is null) errors["walk_forward.test_bars"] = "walk_forward.test_bars is required: the test bars of each window (2 or more).";
        return new WalkForwardSettings
        {
            TrainBars = request.TrainBars ?? 2, TestBars = request.TestBars ?? 2, Windows = request.Windows, Anchored = request.Anchored ?? false,
        };
    }

    private static string StatusName(TrialStatus status) => status switch
    {
        TrialStatus.Ok => "ok",
        TrialStatus.Infeasible => "infeasible",
        _ => "failed",
    };

    // The result without its trials (stored as rows) and without the stitched curve (stored as arrays), in the wire's field names.
    private static string Summary(OptimizationResult result)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WritePropertyName("space");
            Write(json, result.Space);
            json.WritePropertyName("best");
            Write(json, result.Best);
            json.WritePropertyName("top");
            Write(json, result.Top);
            json.WritePropertyName("deflated_sharpe");
            Write(json, result.DeflatedSharpe);
            json.WritePropertyName("overfitting");
            Write(json, result.Overfitting);
            json.WritePropertyName("walk_forward");
            if (result.WalkForward is { } walkForward)
            {
                json.WriteStartObject();
                json.WritePropertyName("windows");
                Write(json, walkForward.Windows);
                json.WritePropertyName("out_of_sample");
                Write(json, walkForward.OutOfSample);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNullValue();
            }
            json.WriteBoolean("stopped_early", result.StoppedEarly);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // Everything of a result is written by the engine's generated JSON, so it reads as the CLI's --json does.
    private static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)OptimizationJson.Default.GetTypeInfo(typeof(T))!;

    private static void Write<T>(Utf8JsonWriter json, T value) => JsonSerializer.Serialize(json, value, Info<T>());

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, Info<T>());

    private static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement;

    private static readonly JsonElement EmptyArray = JsonDocument.Parse("[]").RootElement;

    private void WarnNotLowered()
    {
        if (Interlocked.Exchange(ref _warnedNotLowered, 1) == 0) LogNotLowered(Thread.CurrentThread.Name);
    }

    private long Now() => _clock.NowUnixMs();

    /// <inheritdoc />
    public void Dispose() => _stopping.Cancel(); // the queue and the token stay undisposed: the worker may still be leaving them

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} optimization(s) left queued or running by the last run of the server are marked failed (interrupted)")]
    private partial void LogInterrupted(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Optimization thread {Worker} runs at normal priority: the system refused to lower it, so trials compete with the runners for the cores")]
    private partial void LogNotLowered(string? worker);

    [LoggerMessage(Level = LogLevel.Error, Message = "Optimization {OptimizationId} failed")]
    private partial void LogJobFailed(Exception e, string optimizationId);

    private sealed class Job(long seq, string strategyName, string code, string dataset, OptimizationSettings settings, int planned, IDisposable lease)
    {
        public readonly long Seq = seq;
        public readonly string StrategyName = strategyName;
        public readonly string Code = code;
        public readonly string Dataset = dataset;
        public readonly OptimizationSettings Settings = settings;
        public readonly int Planned = planned;
        public readonly IDisposable Lease = lease;
        public readonly CancellationTokenSource Cancel = new();
        public readonly TaskCompletionSource Ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string Status = Queued; // under lock (this)
        public OptimizationProgress Progress = new(0, planned, null, null); // under lock (this)
        public long LastPublished; // under lock (this)
    }
}
