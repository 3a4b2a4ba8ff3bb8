using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Runners;

/// <summary>
/// The engine's counters and runner counts. <see cref="UnresponsiveRunners"/> are runners whose strategy call has
/// run past twice its wall-clock limit: the watchdog could not stop it, and the runner answers no command.
/// </summary>
public sealed record EngineHealth(
    int Runners, int Running, int Paused, int Stopped, int Symbols,
    long BarsReceived, long BarsRejected, long TicksDropped, long UptimeMs,
    IReadOnlyList<string> UnresponsiveRunners, int SpareThreads);

/// <summary>
/// Many runners, many per symbol: routes each bar to the runners of its symbol, adds and removes runners at
/// any time, and answers queries. A runner's inbox never blocks the others (see <see cref="EngineOptions.InboxCapacity"/>).
/// </summary>
public sealed class TradingEngine : IAsyncDisposable
{
    private readonly Func<RunnerDefinition, Action<string>, LuaStrategy> _loadStrategy;
    private readonly IEventSink? _events;
    private readonly EngineOptions _options;
    private bool _shuttingDown; // under _gate
    private readonly ILoggerFactory _loggers;
    private readonly ConcurrentDictionary<string, SymbolRunner> _runners = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly long _startedAt;
    private volatile Dictionary<string, SymbolRunner[]> _routes = new(StringComparer.Ordinal);
    private long _barsReceived, _barsRejected;
    // For ReadTotals, under _gate: runners removed but whose loop has not ended yet (still counting), and the final
    // counts of those whose loop has, so the totals never go back when a runner goes.
    private readonly List<SymbolRunner> _leaving = [];
    private readonly EngineTotals _removed = new();
    private readonly Timer _monitor;


    /// <summary>Spare runner threads at most, however many runners are slow at once.</summary>
    public const int MaxSpareThreads = 16;

    /// <summary>
    /// Creates an engine. <paramref name="loadStrategy"/> gives each new runner its own strategy instance
    /// (the second argument receives what the strategy prints); <paramref name="events"/> is optional.
    /// </summary>
    /// <remarks><paramref name="risk"/> holds the limits across runners and the kill switch (none set when null).</remarks>
    public TradingEngine(Func<RunnerDefinition, Action<string>, LuaStrategy> loadStrategy, IEventSink? events = null,
        EngineOptions? options = null, ILoggerFactory? loggers = null, IEngineClock? clock = null, GlobalRisk? risk = null)
    {
        Risk = risk ?? new GlobalRisk();
        Clock = clock ?? EngineClock.System;
        _startedAt = Clock.GetTimestamp();
        _loadStrategy = loadStrategy ?? throw new ArgumentNullException(nameof(loadStrategy));
        _events = events;
        _options = options ?? new EngineOptions();
        if (_options.InboxCapacity < 1) throw new ArgumentOutOfRangeException(nameof(options), "InboxCapacity must be at least 1.");
        if (_options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1.");
        if (_options.RunnerThreads < 0) throw new ArgumentOutOfRangeException(nameof(options), "RunnerThreads must not be negative.");
        Threads = new RunnerThreads(_options.RunnerThreads > 0 ? _options.RunnerThreads : Environment.ProcessorCount);
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _monitor = new Timer(static e => ((TradingEngine)e!).WatchRunners(), this, MonitorInterval, MonitorInterval);
    }

    private static readonly TimeSpan MonitorInterval = TimeSpan.FromMilliseconds(50);

    // A runner that holds its thread for long (a slow call, or slow calls back to back within one batch) would make
    // every runner queued behind it wait: a spare thread serves them until it lets go.
    private void WatchRunners()
    {
        if (Interlocked.Exchange(ref _watching, 1) == 1) return; // the previous look is still going
        try
        {
            var now = Stopwatch.GetTimestamp();
            var after = Math.Max(1, _options.SpareThreadAfterMs) * Stopwatch.Frequency / 1000;
            foreach (var runner in _runners.Values)
            {
                if (runner.BusyTicks(now) > after)
                {
                    if (Threads.Spares < MaxSpareThreads && runner.TryTakeSpareThread()) Threads.AddSpare();
                }
                else if (runner.TryReleaseSpareThread())
                {
                    Threads.RetireSpare();
                }
            }
        }
        finally
        {
            Volatile.Write(ref _watching, 0);
        }
    }

    private int _watching;

    /// <summary>An engine whose runners load their strategies from <paramref name="catalog"/>.</summary>
    public TradingEngine(StrategyCatalog catalog, IEventSink? events = null, EngineOptions? options = null, ILoggerFactory? loggers = null,
        IEngineClock? clock = null, GlobalRisk? risk = null)
        : this((definition, log) => catalog.Load(definition.StrategyName, log), events, options, loggers, clock, risk)
    {
    }

    /// <summary>The kill switch and the limits across runners, shared by every runner.</summary>
    public GlobalRisk Risk { get; }

    /// <summary>True while the engine is halted: every runner's entries are refused.</summary>
    public bool Halted => Risk.Halted;

    /// <summary>
    /// The kill switch: from each runner's next bar on every entry is refused (a RiskLimitHit with limit <c>halt</c>); with
    /// <paramref name="flatten"/> every open position is also closed at its runner's next bar, through the normal fill, with the
    /// reason "halt". Emits EngineHalted; a halt while halted changes nothing but a new flatten.
    /// </summary>
    public void Halt(bool flatten)
    {
        Risk.Halt(flatten);
        _events?.Emit(RunnerEvent.EngineHalted(flatten, Clock.NowUnixMs()));
    }

    /// <summary>Turns the kill switch off; emits EngineResumed when it was on.</summary>
    public void Resume()
    {
        if (!Risk.Halted) return;
        Risk.Resume();
        _events?.Emit(RunnerEvent.EngineResumed(Clock.NowUnixMs()));
    }

    /// <summary>Where every time the engine stamps comes from.</summary>
    public IEngineClock Clock { get; }

    /// <summary>The threads the runners run on (tests hold them to line up work deterministically).</summary>
    internal RunnerThreads Threads { get; }

    /// <summary>Ids of every runner.</summary>
    public IReadOnlyList<string> RunnerIds => _runners.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>Symbols that have at least one runner.</summary>
    public IReadOnlyList<string> Symbols => _routes.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>Every runner, by id.</summary>
    public IReadOnlyList<SymbolRunner> Runners => _runners.Values.OrderBy(r => r.Id, StringComparer.Ordinal).ToList();

    /// <summary>The runners trading <paramref name="symbol"/>.</summary>
    public IReadOnlyList<SymbolRunner> RunnersFor(string symbol) => _routes.TryGetValue(symbol, out var runners) ? runners : [];

    /// <summary>The runner with that id.</summary>
    /// <exception cref="RunnerNotFoundException">No such runner.</exception>
    public SymbolRunner GetRunner(string runnerId) =>
        TryGetRunner(runnerId, out var runner) ? runner : throw new RunnerNotFoundException(runnerId);

    /// <summary>The runner with that id, if there is one.</summary>
    public bool TryGetRunner(string runnerId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SymbolRunner? runner) =>
        _runners.TryGetValue(runnerId, out runner);

    /// <summary>True when a runner has that id.</summary>
    public bool Contains(string runnerId) => _runners.ContainsKey(runnerId);

    /// <summary>Loads the strategy, starts the runner and emits RunnerStarted; <paramref name="restore"/> resumes a runner after a restart.</summary>
    /// <exception cref="InvalidRunnerDefinitionException">A field is invalid.</exception>
    /// <exception cref="DuplicateRunnerException">The id is taken.</exception>
    /// <exception cref="StrategyNotFoundException">No such strategy.</exception>
    /// <exception cref="StrategyLoadException">The strategy does not load.</exception>
    /// <exception cref="StrategyParameterException">A parameter value does not fit the strategy's declarations.</exception>
    /// <exception cref="ObjectDisposedException">The engine is shutting down.</exception>
    public SymbolRunner AddRunner(RunnerDefinition definition, RunnerRestore? restore = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.Problems() is { Count: > 0 } problems) throw new InvalidRunnerDefinitionException(problems);
        if (_runners.ContainsKey(definition.RunnerId)) throw new DuplicateRunnerException(definition.RunnerId);

        SymbolRunner? runner = null;
        var strategy = _loadStrategy(definition, line => runner?.LogPrint(line));
        try
        {
            strategy.SetParameters(definition.Params);
            runner = new SymbolRunner(definition, strategy, _events, _options, _loggers.CreateLogger<SymbolRunner>(), Clock, restore, Risk);
        }
        catch
        {
            strategy.Dispose();
            throw;
        }
        lock (_gate)
        {
            if (_shuttingDown)
            {
                // A runner added now would never be stopped, and its loop would outlive the engine's threads.
                runner.ReleaseRisk();
                strategy.Dispose();
                throw new ObjectDisposedException(nameof(TradingEngine), "The engine is shutting down.");
            }
            if (!_runners.TryAdd(definition.RunnerId, runner))
            {
                runner.ReleaseRisk();
                strategy.Dispose();
                throw new DuplicateRunnerException(definition.RunnerId);
            }
            RebuildRoutes();
            if (runner.Status != RunnerStatus.Stopped) _events?.Emit(RunnerEvent.RunnerStarted(runner.Id, runner.Symbol, Clock.NowUnixMs()));
            runner.Start(Threads);
        }
        return runner;
    }

    /// <summary>Stops (RunnerStopped if it was running) and removes a runner.</summary>
    /// <exception cref="RunnerNotFoundException">No such runner.</exception>
    public async Task RemoveRunnerAsync(string runnerId)
    {
        SymbolRunner? runner;
        lock (_gate)
        {
            if (!_runners.TryRemove(runnerId, out runner)) throw new RunnerNotFoundException(runnerId);
            _leaving.Add(runner);
            RebuildRoutes();
        }
        try
        {
            await runner.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _leaving.Remove(runner);
                runner.AddCountsTo(_removed);
            }
        }
        // Only once its loop has ended: until then a runner stuck in a call still holds the thread its spare replaces.
        if (runner.TryReleaseSpareThread()) Threads.RetireSpare();
    }

    /// <summary>
    /// Starts a stopped runner again as a new instance of itself: its strategy loaded anew (the code as it is now), resuming
    /// with the old instance's state, open position, context and account totals; its trades stay where they are. The new
    /// strategy is loaded before anything changes, so one that no longer loads leaves the runner stopped as it was.
    /// </summary>
    /// <exception cref="RunnerNotFoundException">No such runner.</exception>
    /// <exception cref="InvalidOperationException">The runner is not stopped.</exception>
    /// <exception cref="StrategyLoadException">The strategy does not load now.</exception>
    /// <exception cref="StrategyParameterException">The runner's parameter values no longer fit the strategy's declarations.</exception>
    /// <exception cref="ObjectDisposedException">The engine is shutting down.</exception>
    public Task<SymbolRunner> RestartRunnerAsync(string runnerId) => ReplaceAsync(runnerId, reload: false);

    /// <summary>
    /// Hot reload: a running or paused runner continues as a new instance on its strategy's current code, with the state,
    /// open position, context, account totals and status it had; bars that arrive during the hand-over (the time to load
    /// the code is spent before it) are not seen by either instance. A strategy that does not load leaves the runner as it was.
    /// </summary>
    /// <exception cref="RunnerNotFoundException">No such runner.</exception>
    /// <exception cref="InvalidOperationException">The runner is stopped (start it instead).</exception>
    /// <exception cref="StrategyLoadException">The strategy does not load now.</exception>
    /// <exception cref="StrategyParameterException">The runner's parameter values no longer fit the strategy's declarations.</exception>
    /// <exception cref="ObjectDisposedException">The engine is shutting down.</exception>
    public Task<SymbolRunner> ReloadRunnerAsync(string runnerId) => ReplaceAsync(runnerId, reload: true);

    private async Task<SymbolRunner> ReplaceAsync(string runnerId, bool reload)
    {
        if (!_runners.TryGetValue(runnerId, out var old)) throw new RunnerNotFoundException(runnerId);
        if (!reload && old.Status != RunnerStatus.Stopped)
            throw new InvalidOperationException($"Runner '{runnerId}' is {old.Status.ToString().ToLowerInvariant()}; only a stopped runner is started again.");
        if (reload && old.Status == RunnerStatus.Stopped)
            throw new InvalidOperationException($"Runner '{runnerId}' is stopped; start it, and it runs the current code.");
        var definition = old.Definition;
        SymbolRunner? runner = null;
        var strategy = _loadStrategy(definition, line => runner?.LogPrint(line));
        try
        {
            strategy.SetParameters(definition.Params);
            // A reload carries the order waiting for the next open over (it was acknowledged a bar ago); a start after a stop
            // does not: the runner was stopped since, and its next open is long gone.
            var restore = reload ? await old.HaltAndCaptureAsync().ConfigureAwait(false)
                : await old.CaptureAsync(RunnerStatus.Running).ConfigureAwait(false) with { QueuedAction = null };
            try
            {
                runner = new SymbolRunner(definition, strategy, _events, _options, _loggers.CreateLogger<SymbolRunner>(), Clock, restore, Risk);
            }
            catch
            {
                // A restore that throws has taken over nothing: the old instance takes its room back as it was.
                await old.TakeBackAsync(reload ? restore.Status : null, restore.HandOver!.Reserved, Risk).ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            strategy.Dispose();
            throw;
        }
        // The swap first, under the gate: from here on shutdown and removal see the new instance only, and the old one
        // (halted or stopped: it takes no bar) is closed off the list, counted as leaving until its loop has ended.
        bool swapped;
        lock (_gate)
        {
            swapped = !_shuttingDown && _runners.TryUpdate(runnerId, runner, old);
            if (swapped)
            {
                _leaving.Add(old);
                RebuildRoutes();
                _events?.Emit(RunnerEvent.RunnerStarted(runner.Id, runner.Symbol, Clock.NowUnixMs()));
                runner.Start(Threads);
            }
        }
        if (!swapped)
        {
            // Shutting down, or removed meanwhile: the new instance never starts and the old one is left as it was.
            var reserved = runner.HandBackRisk();
            strategy.Dispose();
            await old.TakeBackAsync(reload ? runner.Status : null, reserved, Risk).ConfigureAwait(false);
            throw _shuttingDown ? new ObjectDisposedException(nameof(TradingEngine), "The engine is shutting down.") : new RunnerNotFoundException(runnerId);
        }
        try
        {
            await old.CloseAsync(announce: false).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _leaving.Remove(old);
                old.AddCountsTo(_removed); // its loop has ended: final counts, kept in the totals as a removed runner's are
            }
        }
        if (old.TryReleaseSpareThread()) Threads.RetireSpare();
        return runner;
    }

    private void RebuildRoutes() =>
        _routes = _runners.Values.GroupBy(r => r.Symbol, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(r => r.Id, StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);

    /// <summary>
    /// Hands a bar to every runner of its symbol without waiting. An invalid bar (docs/engine-contract.md §1.2) is counted and
    /// dropped; the result says whether the bar was valid.
    /// </summary>
    public bool Publish(in MarketData bar)
    {
        Interlocked.Increment(ref _barsReceived);
        if (bar.Validate() is not null)
        {
            Interlocked.Increment(ref _barsRejected);
            return false;
        }
        if (_routes.TryGetValue(bar.Symbol, out var runners))
            foreach (var runner in runners) runner.Offer(bar);
        return true;
    }

    /// <summary>Publishes every bar of a feed subscription until it ends or is cancelled.</summary>
    public async Task RunFeedAsync(IMarketDataFeed feed, IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feed);
        await foreach (var bar in feed.SubscribeAsync(symbols, cancellationToken).ConfigureAwait(false))
            Publish(bar);
    }

    /// <summary>A runner's snapshot.</summary>
    public Task<RunnerSnapshot> GetRunnerSnapshotAsync(string runnerId, CancellationToken cancellationToken = default) =>
        GetRunner(runnerId).GetSnapshotAsync(cancellationToken);

    /// <summary>A runner's newest <paramref name="count"/> bars, oldest first.</summary>
    public Task<MarketData[]> GetPriceHistoryAsync(string runnerId, int count, CancellationToken cancellationToken = default) =>
        GetRunner(runnerId).GetPriceHistoryAsync(count, cancellationToken);

    /// <summary>How long a listing waits for one runner's snapshot before leaving it out.</summary>
    public static readonly TimeSpan SnapshotTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Snapshots of every runner, by id; runners removed meanwhile or not answering in <see cref="SnapshotTimeout"/> are left out.</summary>
    public Task<IReadOnlyList<RunnerSnapshot>> GetAllSnapshotsAsync(CancellationToken cancellationToken = default) =>
        SnapshotsOfAsync(Runners, cancellationToken);

    /// <summary>Snapshots of the runners trading <paramref name="symbol"/>, left out as in <see cref="GetAllSnapshotsAsync"/>.</summary>
    public Task<IReadOnlyList<RunnerSnapshot>> GetSnapshotsForAsync(string symbol, CancellationToken cancellationToken = default) =>
        SnapshotsOfAsync(RunnersFor(symbol), cancellationToken);

    private static async Task<IReadOnlyList<RunnerSnapshot>> SnapshotsOfAsync(IReadOnlyList<SymbolRunner> runners, CancellationToken cancellationToken)
    {
        var tasks = runners.Select(r => r.GetSnapshotAsync(cancellationToken).WaitAsync(SnapshotTimeout, cancellationToken)).ToList();
        var snapshots = new List<RunnerSnapshot>(tasks.Count);
        foreach (var task in tasks)
        {
            try
            {
                snapshots.Add(await task.ConfigureAwait(false));
            }
            catch (Exception e) when (e is RunnerNotFoundException or TimeoutException)
            {
                // Removed while we asked, or busy: one stuck runner must not hold up the listing.
            }
        }
        return snapshots;
    }

    /// <summary>Pauses a runner.</summary>
    public Task<RunnerStatus> PauseAsync(string runnerId, CancellationToken cancellationToken = default) => GetRunner(runnerId).PauseAsync(cancellationToken);

    /// <summary>Resumes a runner.</summary>
    public Task<RunnerStatus> ResumeAsync(string runnerId, CancellationToken cancellationToken = default) => GetRunner(runnerId).ResumeAsync(cancellationToken);

    /// <summary>Stops a runner; it stays listed until removed.</summary>
    public Task<RunnerStatus> StopAsync(string runnerId, string reason = "stopped by request", CancellationToken cancellationToken = default) =>
        GetRunner(runnerId).StopAsync(reason, cancellationToken);

    /// <summary>
    /// Fills <paramref name="totals"/> with the runners by status and the counters of every runner since the engine started
    /// (monitoring). Allocates nothing: it walks the routing table, not a copy of the runners.
    /// </summary>
    public void ReadTotals(EngineTotals totals)
    {
        ArgumentNullException.ThrowIfNull(totals);
        totals.Clear();
        lock (_gate)
        {
            // Under the lock a runner is in exactly one of the routes, _leaving or _removed: none counted twice or missed.
            totals.AddCounters(_removed);
            foreach (var (_, runners) in _routes)
            {
                foreach (var runner in runners)
                {
                    totals.CountStatus(runner.Status);
                    runner.AddCountsTo(totals);
                }
            }
            foreach (var runner in _leaving) runner.AddCountsTo(totals);
        }
        totals.SetBars(Interlocked.Read(ref _barsReceived), Interlocked.Read(ref _barsRejected));
    }

    /// <summary>Counts for health reports.</summary>
    public EngineHealth Health()
    {
        var runners = _runners.Values.ToList();
        return new EngineHealth(
            runners.Count,
            runners.Count(r => r.Status == RunnerStatus.Running),
            runners.Count(r => r.Status == RunnerStatus.Paused),
            runners.Count(r => r.Status == RunnerStatus.Stopped),
            _routes.Count,
            Interlocked.Read(ref _barsReceived),
            Interlocked.Read(ref _barsRejected),
            runners.Sum(r => r.TicksDropped),
            (long)Clock.ElapsedMs(_startedAt, Clock.GetTimestamp()),
            UnresponsiveRunnerIds(runners),
            Threads.Spares);
    }

    private static List<string> UnresponsiveRunnerIds(List<SymbolRunner> runners)
    {
        var now = Stopwatch.GetTimestamp();
        return runners.Where(r => r.StrategyCallTicks(now) > 2 * r.StrategyCallLimitTicks).Select(r => r.Id).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>How long shutdown waits for a runner that does not answer before it gives up on it.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Graceful shutdown: every runner stops ("engine shutdown") and closes its Lua state.</summary>
    public async ValueTask DisposeAsync()
    {
        List<SymbolRunner> runners;
        lock (_gate)
        {
            _shuttingDown = true;
            runners = _runners.Values.ToList();
            _leaving.AddRange(runners); // counted on until the process ends
            _runners.Clear();
            RebuildRoutes();
        }
        await _monitor.DisposeAsync().ConfigureAwait(false);
        try
        {
            // A runner stuck in a call that never returns must not keep the process from stopping.
            await Task.WhenAll(runners.Select(async runner =>
            {
                try
                {
                    await runner.StopAsync("engine shutdown").WaitAsync(ShutdownTimeout).ConfigureAwait(false);
                    await runner.DisposeAsync().AsTask().WaitAsync(ShutdownTimeout).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Given up on: its thread and Lua state go with the process.
                }
            })).ConfigureAwait(false);
        }
        finally
        {
            Threads.Dispose(ShutdownTimeout);
        }
    }
}
