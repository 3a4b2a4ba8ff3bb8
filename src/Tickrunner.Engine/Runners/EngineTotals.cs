using Tickrunner.Engine.Events;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Runners;

/// <summary>
/// The engine's counts for monitoring, filled by <see cref="TradingEngine.ReadTotals"/>: runners by status, and the
/// runners' counters summed since the engine started, removed runners and the old instances of runners started again
/// included, so every count only grows.
/// </summary>
/// <remarks>
/// The caller keeps one instance and has it refilled on every read: an exporter that reads a thousand runners a
/// few times a minute allocates nothing for it. The counters come from the runners' own stats (the ones a snapshot
/// shows), read from another thread without stopping the runners; nothing extra runs on a runner's tick.
/// </remarks>
public sealed class EngineTotals
{
    private static readonly int ActionKinds = Enum.GetValues<ActionKind>().Length;
    private static readonly int Severities = Enum.GetValues<ErrorSeverity>().Length;

    private readonly long[] _executed = new long[ActionKinds];
    private readonly long[] _rejected = new long[ActionKinds];
    private readonly long[] _errors = new long[Severities];

    /// <summary>Runners processing ticks.</summary>
    public int Running { get; private set; }

    /// <summary>Runners paused.</summary>
    public int Paused { get; private set; }

    /// <summary>Runners stopped and still listed.</summary>
    public int Stopped { get; private set; }

    /// <summary>Bars the runners processed (a bar that reaches three runners counts three times).</summary>
    public long TicksProcessed { get; private set; }

    /// <summary>Bars the runners' inboxes dropped because they were full.</summary>
    public long TicksDropped { get; private set; }

    /// <summary>Bars the engine received from the feed (each once, whatever number of runners trade it).</summary>
    public long BarsReceived { get; private set; }

    /// <summary>Bars the engine refused as invalid (docs/engine-contract.md §1.2).</summary>
    public long BarsRejected { get; private set; }

    /// <summary>Actions of <paramref name="kind"/> that were executed (an entry queued for the next open counts when it fills).</summary>
    public long ActionsExecuted(ActionKind kind) => _executed[(int)kind];

    /// <summary>Actions of <paramref name="kind"/> that were rejected (each also counts as a <see cref="ErrorSeverity.Warning"/>).</summary>
    public long ActionsRejected(ActionKind kind) => _rejected[(int)kind];

    /// <summary>Errors of <paramref name="severity"/>: rejections are warnings, strategy errors errors, those that stopped a runner critical.</summary>
    public long Errors(ErrorSeverity severity) => _errors[(int)severity];

    internal void Clear()
    {
        Running = Paused = Stopped = 0;
        TicksProcessed = TicksDropped = BarsReceived = BarsRejected = 0;
        Array.Clear(_executed);
        Array.Clear(_rejected);
        Array.Clear(_errors);
    }

    // The counters only: statuses are of the runners listed now.
    internal void AddCounters(EngineTotals other)
    {
        TicksProcessed += other.TicksProcessed;
        TicksDropped += other.TicksDropped;
        for (var i = 0; i < ActionKinds; i++)
        {
            _executed[i] += other._executed[i];
            _rejected[i] += other._rejected[i];
        }
        for (var i = 0; i < Severities; i++) _errors[i] += other._errors[i];
    }

    internal void CountStatus(RunnerStatus status)
    {
        switch (status)
        {
            case RunnerStatus.Running: Running++; break;
            case RunnerStatus.Paused: Paused++; break;
            default: Stopped++; break;
        }
    }

    internal void AddTicks(long processed, long dropped)
    {
        TicksProcessed += processed;
        TicksDropped += dropped;
    }

    internal void AddAction(int kind, long executed, long rejected)
    {
        _executed[kind] += executed;
        _rejected[kind] += rejected;
    }

    internal void AddErrors(long warnings, long errors, long critical)
    {
        _errors[(int)ErrorSeverity.Warning] += warnings;
        _errors[(int)ErrorSeverity.Error] += errors;
        _errors[(int)ErrorSeverity.Critical] += critical;
    }

    internal void SetBars(long received, long rejected)
    {
        BarsReceived = received;
        BarsRejected = rejected;
    }
}
