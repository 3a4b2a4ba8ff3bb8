namespace Tickrunner.Engine.Optimization;

/// <summary>What a search found: every trial's row in trial order, the best K, and whether it stopped early.</summary>
public sealed record SearchOutcome(IReadOnlyList<TrialRow> Trials, IReadOnlyList<TrialRow> Top, IReadOnlyList<TrialEvaluation> TopResults,
    int Planned, bool StoppedEarly);

/// <summary>
/// Runs trials of any objective over a <see cref="SearchSpace"/> on several threads. The sampler's proposals depend only on
/// the seed, the trial's number and (for TPE) the trials at least <see cref="OptimizationSettings.Batch"/> before it, and the
/// early stop is decided in trial order, so the rows are the same whatever the number of threads or the order trials finish.
/// </summary>
public static class ParameterSearch
{
    /// <summary>
    /// Evaluates up to <paramref name="settings"/>' trials (all grid points for a grid) with <paramref name="evaluate"/>, which
    /// gets the trial's number, its point and a token that fires when the trial is no longer wanted.
    /// <paramref name="onWorkerStart"/> runs first on each worker thread (a server lowers their priority there).
    /// </summary>
    /// <exception cref="ArgumentException">A grid over a continuous range or with more than <see cref="OptimizationSettings.MaxTrials"/> points.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static SearchOutcome Run(SearchSpace space, OptimizationSettings settings,
        Func<int, IReadOnlyDictionary<string, object>, CancellationToken, TrialEvaluation> evaluate,
        Action<OptimizationProgress>? progress = null, Action? onWorkerStart = null, CancellationToken cancellationToken = default)
    {
        var planned = Planned(space, settings);
        var state = new SearchState(space, settings, planned, evaluate, progress, cancellationToken);
        var threads = Math.Max(1, Math.Min(settings.Parallelism, planned));
        var workers = new Thread[threads - 1];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = new Thread(() => { onWorkerStart?.Invoke(); state.Work(); }) { IsBackground = true, Name = $"trial-{w + 2}" };
            workers[w].Start();
        }
        state.Work(); // the caller is a worker too
        foreach (var worker in workers) worker.Join();
        cancellationToken.ThrowIfCancellationRequested();
        if (state.Failure is { } failure) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return state.Outcome();
    }

    /// <summary>How many trials a search over <paramref name="space"/> plans.</summary>
    public static int Planned(SearchSpace space, OptimizationSettings settings)
    {
        if (settings.Method != OptimizationMethod.Grid) return settings.Trials;
        var size = space.GridSize
            ?? throw new ArgumentException("A grid needs a step for every number: give one in the space (or use random or tpe).");
        if (size > OptimizationSettings.MaxTrials)
            throw new ArgumentException($"The grid has {size:N0} points, more than {OptimizationSettings.MaxTrials:N0}: narrow the ranges, coarsen the steps, or use random or tpe.");
        return (int)size;
    }

    private sealed class SearchState(SearchSpace space, OptimizationSettings settings, int planned,
        Func<int, IReadOnlyDictionary<string, object>, CancellationToken, TrialEvaluation> evaluate,
        Action<OptimizationProgress>? progress, CancellationToken cancellationToken)
    {
        private readonly object _gate = new();
        private readonly TrialRow?[] _rows = new TrialRow?[planned];
        private readonly TpeSampler? _tpe = settings.Method == OptimizationMethod.Tpe ? new TpeSampler(space, settings.Seed) : null;
        private readonly List<(int Trial, string Key, TrialEvaluation Result)> _top = [];
        private readonly Dictionary<int, CancellationTokenSource> _running = [];
        private readonly Dictionary<int, TrialEvaluation> _pending = []; // done, but not yet in the completed prefix
        private readonly List<TrialRow> _history = []; // the completed prefix, in trial order
        private int _next;
        private int _limit = planned; // trials at or past it are not wanted (the early stop moves it down)
        private int _done;
        private double? _best;
        private int _bestTrial = -1, _sinceBest;

        public Exception? Failure { get; private set; }

        public void Work()
        {
            while (true)
            {
                int trial;
                IReadOnlyList<TrialRow> visible = [];
                CancellationTokenSource cancel;
                lock (_gate)
                {
                    while (true)
                    {
                        if (_next >= _limit || Failure is not null || cancellationToken.IsCancellationRequested) return;
                        // TPE's trial i learns from trials 0 … i − Batch: wait until they are all in.
                        if (_tpe is null || _history.Count >= _next - settings.Batch + 1) break;
                        Monitor.Wait(_gate, 100);
                    }
                    trial = _next++;
                    if (_tpe is not null) visible = _history.GetRange(0, Math.Max(0, trial - settings.Batch + 1));
                    cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    _running[trial] = cancel;
                }
                try
                {
                    var point = Point(trial, visible);
                    var result = evaluate(trial, point, cancel.Token);
                    Record(trial, point, result);
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    // Past an early stop, or the whole search was cancelled: nothing to record.
                }
                catch (Exception e)
                {
                    lock (_gate)
                    {
                        Failure ??= e;
                        Monitor.PulseAll(_gate);
                    }
                }
                finally
                {
                    lock (_gate) _running.Remove(trial);
                    cancel.Dispose();
                }
            }
        }

        private Dictionary<string, object> Point(int trial, IReadOnlyList<TrialRow> visible)
        {
            if (settings.Method == OptimizationMethod.Grid) return space.GridPoint(trial);
            if (_tpe is not null) return _tpe.Suggest(trial, visible);
            var random = new SeededRandom(settings.Seed, trial);
            return space.RandomPoint(ref random);
        }

        private void Record(int trial, Dictionary<string, object> point, in TrialEvaluation result)
        {
            var row = new TrialRow
            {
                Trial = trial,
                Params = point,
                Status = result.Status,
                Objective = result.Objective,
                Note = result.Note,
                Report = result.Report,
                Moments = result.Moments,
            };
            OptimizationProgress? report = null;
            lock (_gate)
            {
                if (trial >= _limit) return;
                _rows[trial] = row;
                _pending[trial] = result;
                // Move the completed prefix forward in trial order; the early stop and the top K are decided there, so both
                // are the same whatever order the trials finish in.
                while (_history.Count < _limit && _rows[_history.Count] is { } next)
                {
                    _history.Add(next);
                    KeepIfTop(next.Trial, next.Params, _pending[next.Trial]);
                    _pending.Remove(next.Trial);
                    if (next.Counts && (_best is null || next.Objective > _best))
                    {
                        _best = next.Objective;
                        _bestTrial = next.Trial;
                        _sinceBest = 0;
                    }
                    else if (++_sinceBest >= settings.Patience && _history.Count < _limit)
                    {
                        StopAfter(next.Trial);
                    }
                }
                _done++;
                report = new OptimizationProgress(Math.Min(_done, _limit), _limit, _best, _bestTrial >= 0 ? _bestTrial : null);
                Monitor.PulseAll(_gate);
            }
            if (report is { } p) progress?.Invoke(p);
        }

        // Trials after the stopping one are not wanted: cancel those running and forget those already done.
        private void StopAfter(int trial)
        {
            _limit = trial + 1;
            foreach (var (running, cancel) in _running)
                if (running >= _limit) cancel.Cancel();
            for (var t = _limit; t < _rows.Length; t++)
            {
                if (_rows[t] is not null) _done--;
                _rows[t] = null;
                _pending.Remove(t);
            }
        }

        // Keeps the K best results that count, best first (ties: the earlier trial), so memory stays flat in the trials. Called in
        // trial order; a point proposed again (TPE does that near an optimum) is kept once, as its first trial.
        private void KeepIfTop(int trial, IReadOnlyDictionary<string, object> point, in TrialEvaluation result)
        {
            if (result.Status != TrialStatus.Ok || result.Objective is not { } objective) return;
            var key = TrialRow.KeyOf(point);
            if (_top.Exists(e => e.Key == key)) return;
            var at = _top.FindIndex(e => objective > e.Result.Objective || (objective == e.Result.Objective && trial < e.Trial));
            if (at < 0) at = _top.Count;
            if (at >= settings.TopK) return;
            _top.Insert(at, (trial, key, result));
            if (_top.Count > settings.TopK) _top.RemoveAt(_top.Count - 1);
        }

        public SearchOutcome Outcome()
        {
            var rows = new List<TrialRow>(_limit);
            for (var t = 0; t < _limit; t++) if (_rows[t] is { } row) rows.Add(row);
            var top = _top.Select(e => _rows[e.Trial]!).ToList();
            return new SearchOutcome(rows, top, [.. _top.Select(e => e.Result)], _rows.Length, _limit < _rows.Length);
        }
    }
}
