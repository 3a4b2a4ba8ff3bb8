using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Runners;

/// <summary>
/// One strategy on one symbol: the actor around a <see cref="RunnerStep"/>, an async loop over a bounded inbox
/// of bars and a queue of commands, on the engine's runner threads.
/// </summary>
/// <remarks>
/// All state is touched only by the loop, so commands (snapshot, history, pause, …) run on it too and
/// need no locks. The inbox drops its oldest bar when full (counted as <c>ticks_dropped</c>), so a slow
/// runner never holds up the feed or the other runners. Events are opt-in: without a sink none is built.
/// </remarks>
public sealed partial class SymbolRunner : IAsyncDisposable
{
    // A bar without its symbol (the runner's own) and when it arrived. Holding no references, the inboxes (up to
    // InboxCapacity items per runner, rewritten on every tick) are never scanned by the GC: with the symbol in
    // them every collection had to walk all of them, which made a gen0 pause take milliseconds.
    private readonly struct InboxItem(in MarketData bar, long receivedAt)
    {
        private readonly long _timestamp = bar.Timestamp;
        private readonly double _open = bar.Open, _high = bar.High, _low = bar.Low, _close = bar.Close;
        private readonly double _volume = bar.Volume, _bid = bar.Bid, _ask = bar.Ask;

        public long ReceivedAt { get; } = receivedAt;

        // A wake item carries the number of the command it was sent for (as a negative arrival time).
        public static InboxItem Wake(long command) => new(default, -command);

        public long Command => -ReceivedAt;

        public bool IsWake => ReceivedAt < 0;

        public MarketData Bar(string symbol) => new(symbol, _timestamp, _open, _high, _low, _close, _volume, _bid, _ask);
    }

    private readonly Channel<InboxItem> _inbox;
    private readonly ConcurrentQueue<RunnerCommand> _commands = new();
    private readonly RunnerStep _step;
    private TickProcessor Processor => _step.Processor;
    private readonly IEventSink? _events;
    private readonly IEngineClock _clock;
    private readonly ILogger _logger;
    private readonly EngineOptions _options;
    private readonly long _startedAt;
    private Task _loop = Task.CompletedTask;
    private volatile RunnerStatus _status = RunnerStatus.Running;
    private volatile bool _closed, _wakeLost, _loopEnded;
    private long _commandsSent;
    private long _dropped;
    // Supervision (spare threads, the watchdog) runs on real time whatever the engine's clock is.
    private long _busySince; // Stopwatch time the loop last took a runner thread; 0 while it waits

    internal SymbolRunner(RunnerDefinition definition, LuaStrategy strategy, IEventSink? events, EngineOptions options, ILogger logger,
        IEngineClock clock, RunnerRestore? restore = null, GlobalRisk? global = null)
    {
        _definition = definition;
        _events = events;
        _options = options;
        _logger = logger;
        _clock = clock;
        _startedAt = clock.GetTimestamp();
        _step = new RunnerStep(definition, strategy, events, clock, logger, options.TradeHistorySize, global);
        _inbox = Channel.CreateBounded<InboxItem>(new BoundedChannelOptions(options.InboxCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, dropped =>
        {
            if (dropped.IsWake) RequeueWake(dropped.Command);
            else Interlocked.Increment(ref _dropped);
        });
        if (restore is not null)
        {
            // Before the loop starts, so nothing else touches the state yet.
            _step.Restore(restore);
            _status = restore.Status;
        }
    }

    private volatile RunnerDefinition _definition;

    /// <summary>What this runner is (its risk limits change with <see cref="ChangeRiskAsync"/>).</summary>
    public RunnerDefinition Definition => _definition;

    /// <summary>The runner's id.</summary>
    public string Id => Definition.RunnerId;

    /// <summary>The symbol it trades.</summary>
    public string Symbol => Definition.Symbol;

    /// <summary>Running, paused or stopped.</summary>
    public RunnerStatus Status => _status;

    /// <summary>Bars dropped because the inbox was full.</summary>
    public long TicksDropped => Interlocked.Read(ref _dropped);

    /// <summary>Adds the runner's counters to <paramref name="totals"/> from any thread, without a command to its loop.</summary>
    internal void AddCountsTo(EngineTotals totals) => _step.AddCountsTo(totals, TicksDropped);

    /// <summary>Bars waiting in the inbox.</summary>
    public int InboxCount => _inbox.Reader.Count;

    internal void Start(RunnerThreads threads) => _loop = threads.Run(RunAsync);

    /// <summary>Queues a bar; never waits. False when the runner is stopped.</summary>
    public bool Offer(in MarketData bar)
    {
        if (_status == RunnerStatus.Stopped) return false;
        return _inbox.Writer.TryWrite(new InboxItem(bar, _clock.GetTimestamp()));
    }

    /// <summary>The runner's state, taken on its loop.</summary>
    public Task<RunnerSnapshot> GetSnapshotAsync(CancellationToken cancellationToken = default) =>
        Send(static r => r.TakeSnapshot(), cancellationToken);

    /// <summary>The newest <paramref name="count"/> bars of the window, oldest first.</summary>
    public Task<MarketData[]> GetPriceHistoryAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Send(r => r.Processor.Window.ToArray(count), cancellationToken);
    }

    /// <summary>The newest <paramref name="count"/> closed trades, oldest first.</summary>
    public async Task<Position[]> GetTradesAsync(int count = int.MaxValue, CancellationToken cancellationToken = default)
    {
        // Copied on the loop, turned into objects off it.
        var records = await Send(r => r._step.Trades.ToArray(count), cancellationToken).ConfigureAwait(false);
        return Array.ConvertAll(records, t => t.ToPosition());
    }

    /// <summary>Skips ticks (not stored) until resumed. No effect on a stopped runner.</summary>
    public Task<RunnerStatus> PauseAsync(CancellationToken cancellationToken = default) =>
        Send(static r => r.Change(RunnerStatus.Running, RunnerStatus.Paused, "paused"), cancellationToken);

    /// <summary>Processes ticks again. No effect on a stopped runner.</summary>
    public Task<RunnerStatus> ResumeAsync(CancellationToken cancellationToken = default) =>
        Send(static r => r.Change(RunnerStatus.Paused, RunnerStatus.Running, "running"), cancellationToken);

    // On the loop: from → to, announced (RunnerStatusChanged) only when it changed, so a repeated pause says nothing.
    private RunnerStatus Change(RunnerStatus from, RunnerStatus to, string name)
    {
        if (_status != from) return _status;
        _status = to;
        _events?.Emit(RunnerEvent.RunnerStatusChanged(Id, Symbol, name, _clock.NowUnixMs()));
        return _status;
    }

    /// <summary>
    /// Enforces <paramref name="limits"/> (null: none) from the next bar on, keeping the position, context, account and the
    /// guard's state (the day, its block, the peak, the last hour's entries, the counts); answers the snapshot after the change.
    /// </summary>
    /// <exception cref="InvalidRunnerDefinitionException">A limit is invalid.</exception>
    public Task<RunnerSnapshot> ChangeRiskAsync(RiskLimits? limits, CancellationToken cancellationToken = default)
    {
        if (limits?.Problems() is { Count: > 0 } problems) throw new InvalidRunnerDefinitionException(problems);
        if (limits is { Any: false }) limits = null; // an empty object (or flatten_on_daily_loss alone) is no limits
        return Send(r =>
        {
            r.Processor.ChangeRisk(limits);
            r._definition = r._definition with { Risk = limits };
            return r.TakeSnapshot();
        }, cancellationToken);
    }

    /// <summary>
    /// Queues a manual entry or exit (<paramref name="action"/>) for the runner's next bar, where it is carried out before the
    /// strategy is called exactly as if the strategy had returned it: the same fill, risk limits, kill switch and events (an
    /// exit's reason is "manual"). Answers why it cannot be queued (the runner is not running, the state does not allow it,
    /// another waits), or null.
    /// </summary>
    public Task<string?> QueueManualAsync(TradingAction action, CancellationToken cancellationToken = default) =>
        Send(r => r._status switch
        {
            RunnerStatus.Paused => $"runner '{r.Id}' is paused; resume it first",
            RunnerStatus.Stopped => $"runner '{r.Id}' is stopped; start it first",
            _ => r.Processor.QueueManual(action),
        }, cancellationToken);

    /// <summary>Ends tick processing (emits RunnerStopped once); the runner stays listed until removed.</summary>
    public Task<RunnerStatus> StopAsync(string reason = "stopped by request", CancellationToken cancellationToken = default) =>
        Send(r => r.Stop(reason), cancellationToken);

    private Task<T> Send<T>(Func<SymbolRunner, T> execute, CancellationToken cancellationToken)
    {
        var command = new RunnerCommand<T>(execute);
        long number;
        lock (_commands)
        {
            // Numbered in queue order: a wake item runs the commands up to its own number.
            number = ++_commandsSent;
            command.Number = number;
            _commands.Enqueue(command);
        }
        // The wake item makes the loop look at the queue; a full inbox drops a bar for it, as for any newer item.
        _inbox.Writer.TryWrite(InboxItem.Wake(number));
        if (_closed || _loopEnded) FailPendingCommands(); // the loop is gone: nobody else will answer
        return command.Reply.WaitAsync(cancellationToken);
    }

    // A wake item runs the commands numbered up to its own, so a command sees every bar queued before it
    // (running every queued command at the first wake, or whenever the inbox looked empty, let a command
    // overtake bars queued just before it). A wake item dropped by a full inbox is queued again.
    private async Task RunAsync()
    {
        var reader = _inbox.Reader;
        try
        {
            // No ConfigureAwait(false): the loop resumes on the engine's runner threads, whose context it runs in.
            while (true)
            {
                // Inline, not a helper method: an async helper would allocate its state machine on every wait.
                Volatile.Write(ref _busySince, 0);
                var more = await reader.WaitToReadAsync();
                Volatile.Write(ref _busySince, Stopwatch.GetTimestamp());
                if (!more) break;
                var batch = 0;
                while (reader.TryRead(out var item))
                {
                    // A runner that always has work would keep its thread forever and starve the runners queued
                    // behind it: after a batch it goes to the back of the queue.
                    if (++batch > _options.BatchSize)
                    {
                        batch = 0;
                        Volatile.Write(ref _busySince, 0);
                        await Task.Yield();
                        Volatile.Write(ref _busySince, Stopwatch.GetTimestamp());
                    }
                    if (_wakeLost)
                    {
                        _wakeLost = false;
                        RunCommands(long.MaxValue);
                    }
                    else if (item.IsWake)
                    {
                        // Only the commands up to this wake's own: a command queued after it (while this loop was
                        // busy) must wait for the bars queued before its own wake.
                        RunCommands(item.Command);
                    }
                    if (!item.IsWake && _status == RunnerStatus.Running) ProcessTickSafely(item.Bar(Symbol), item.ReceivedAt);
                }
                if (_wakeLost)
                {
                    _wakeLost = false;
                    RunCommands(long.MaxValue);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _busySince, 0);
            RunCommands(long.MaxValue);
            // Ended, also by a fault: a command sent from now on is failed by its sender, one sent just before by this.
            _loopEnded = true;
            FailPendingCommands();
        }
    }

    /// <summary>How long the loop has held its runner thread without letting go, in Stopwatch ticks (0 while it waits).</summary>
    internal long BusyTicks(long now)
    {
        var since = Volatile.Read(ref _busySince);
        return since == 0 ? 0 : now - since;
    }

    /// <summary>How long the strategy call in progress has run, in Stopwatch ticks (0 when none runs).</summary>
    internal long StrategyCallTicks(long now) => Processor.Strategy.CallRunningTicks(now);

    /// <summary>The strategy's wall-clock limit per call, in Stopwatch ticks.</summary>
    internal long StrategyCallLimitTicks => Processor.Strategy.WallClockLimitTicks;

    private int _holdsSpare;

    /// <summary>Marks that a spare runner thread was started for this runner; false when one already was.</summary>
    internal bool TryTakeSpareThread() => !_loopEnded && Interlocked.CompareExchange(ref _holdsSpare, 1, 0) == 0;

    /// <summary>Clears the mark; true when there was one (its spare thread is to be retired, once).</summary>
    internal bool TryReleaseSpareThread() => Interlocked.Exchange(ref _holdsSpare, 0) == 1;

    private void ProcessTickSafely(in MarketData bar, long receivedAt)
    {
        string? stop;
        try
        {
            stop = _step.Process(bar, receivedAt);
        }
        catch (Exception e)
        {
            // A bug in the host, not the strategy: this runner stops, the others go on.
            stop = _step.Fail(bar, receivedAt, e);
        }
        if (stop is not null) Stop(stop);
    }

    // Only this loop dequeues, so a peeked command is the one dequeued.
    private void RunCommands(long upTo)
    {
        while (_commands.TryPeek(out var command) && command.Number <= upTo && _commands.TryDequeue(out command)) command.Execute(this);
    }

    [ThreadStatic] private static bool t_requeueing;

    // A full inbox dropped a wake item: queue it again at the tail (its command then still sees every bar queued
    // before it). Re-queuing can drop another wake item; then, instead of recursing, the loop is told to run
    // every waiting command. The re-queued item also wakes a loop that drained the inbox before this ran.
    private void RequeueWake(long command)
    {
        if (t_requeueing)
        {
            _wakeLost = true;
            return;
        }
        t_requeueing = true;
        try
        {
            if (!_inbox.Writer.TryWrite(InboxItem.Wake(command))) _wakeLost = true;
        }
        finally
        {
            t_requeueing = false;
        }
    }

    private RunnerStatus Announce(string reason)
    {
        if (_status != RunnerStatus.Stopped) return Stop(reason);
        _events?.Emit(RunnerEvent.RunnerStopped(Id, Symbol, reason, _clock.NowUnixMs()));
        return _status;
    }

    private RunnerStatus Stop(string reason)
    {
        if (_status == RunnerStatus.Stopped) return _status;
        _status = RunnerStatus.Stopped;
        LogStopped(Id, reason);
        _events?.Emit(RunnerEvent.RunnerStopped(Id, Symbol, reason, _clock.NowUnixMs()));
        return _status;
    }

    private RunnerSnapshot TakeSnapshot() =>
        _step.Snapshot(_definition, _status, (long)_clock.ElapsedMs(_startedAt, _clock.GetTimestamp()), TicksDropped, _options.SnapshotTransitions);

    /// <summary>
    /// What a new instance of this (stopped) runner resumes with, taken on its loop: state, position, context, account totals,
    /// and the hand-over of its room across runners (see <see cref="RunnerRestore.HandOver"/>).
    /// </summary>
    internal Task<RunnerRestore> CaptureAsync(RunnerStatus status) => Send(r => r.HandOver(status), CancellationToken.None);

    /// <summary>
    /// Takes what a new instance resumes with and, in the same command on the loop, stops this instance silently (no
    /// event): from then on it processes no bar, so the state handed over is the last one it had. The restore carries
    /// the status it had (running or paused).
    /// </summary>
    internal Task<RunnerRestore> HaltAndCaptureAsync() => Send(r =>
    {
        var restore = r.HandOver(r._status);
        r._status = RunnerStatus.Stopped;
        return restore;
    }, CancellationToken.None);

    // On the loop: the state, open position, context and closed-trade totals, as a restart restores them, and what only a
    // successor in this process takes over. From here on this instance holds no room across runners.
    private RunnerRestore HandOver(RunnerStatus status)
    {
        var flattenSeen = Processor.Risk?.FlattenSeen ?? 0;
        return _step.Capture(status) with
        {
            HandOver = new RunnerHandOver(Processor.HandOverGlobal(), flattenSeen),
        };
    }

    /// <summary>Gives back what a restored open position holds across runners, for an instance that never starts.</summary>
    internal void ReleaseRisk() => Processor.ReleaseGlobal();

    /// <summary>Gives up, for an instance that never starts, the room across runners it took over; negative when it holds none.</summary>
    internal double HandBackRisk() => Processor.HandOverGlobal();

    /// <summary>
    /// Undoes <see cref="CaptureAsync"/> or <see cref="HaltAndCaptureAsync"/> when the new instance did not start: the status
    /// again (null keeps it) and the room across runners handed over. A runner removed meanwhile no longer holds it: released.
    /// </summary>
    internal async Task TakeBackAsync(RunnerStatus? status, double reserved, GlobalRisk? global)
    {
        try
        {
            await Send(r =>
            {
                if (status is { } s) r._status = s;
                r.Processor.TakeBackGlobal(reserved);
                return true;
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RunnerNotFoundException)
        {
            if (reserved >= 0) global?.Release(reserved);
        }
    }

    /// <summary>Stops the runner (RunnerStopped "removed", also when it had stopped before), ends its loop and closes its Lua state.</summary>
    public ValueTask DisposeAsync() => CloseAsync(announce: true);

    /// <summary>Ends the loop and closes the Lua state; <paramref name="announce"/> false when the runner lives on as a new instance.</summary>
    internal async ValueTask CloseAsync(bool announce)
    {
        if (_closed) return;
        // Removal is always announced, even for a runner that had stopped already: clients drop it on "removed".
        if (announce && !_loop.IsCompleted) await Send(static r => r.Announce("removed"), CancellationToken.None).ConfigureAwait(false);
        _inbox.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _closed = true;
        Processor.ReleaseGlobal(); // the loop has ended: its open position no longer counts across runners (a new instance counts it)
        FailPendingCommands();
        Processor.Strategy.Dispose();
    }

    private void FailPendingCommands()
    {
        while (_commands.TryDequeue(out var late))
            late.Fail(new RunnerNotFoundException(Id));
    }

    internal void LogPrint(string line) => LogPrinted(Id, line);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RunnerId}: stopped ({Reason})")]
    private partial void LogStopped(string runnerId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RunnerId} print: {Line}")]
    private partial void LogPrinted(string runnerId, string line);
}
