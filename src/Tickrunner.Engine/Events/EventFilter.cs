namespace Tickrunner.Engine.Events;

/// <summary>Which events a subscriber wants: by runner id, symbol and kind; an empty set means any.</summary>
/// <remarks>Immutable, so a subscriber can swap its filter while the hub reads the old one.</remarks>
public sealed class EventFilter
{
    /// <summary>Every event.</summary>
    public static EventFilter All { get; } = new([], [], []);

    /// <summary>Creates a filter; empty collections match everything.</summary>
    public EventFilter(IEnumerable<string> runnerIds, IEnumerable<string> symbols, IEnumerable<RunnerEventKind> kinds)
    {
        RunnerIds = runnerIds.ToHashSet(StringComparer.Ordinal);
        Symbols = symbols.ToHashSet(StringComparer.Ordinal);
        Kinds = kinds.ToHashSet();
    }

    /// <summary>Runner ids to pass; empty passes all.</summary>
    public IReadOnlySet<string> RunnerIds { get; }

    /// <summary>Symbols to pass; empty passes all.</summary>
    public IReadOnlySet<string> Symbols { get; }

    /// <summary>Kinds to pass; empty passes all.</summary>
    public IReadOnlySet<RunnerEventKind> Kinds { get; }

    /// <summary>
    /// True when the event passes every part of the filter. The engine's kill switch (EngineHalted, EngineResumed) concerns
    /// every runner: it passes any runner id and symbol filter, and only the kinds can leave it out.
    /// </summary>
    public bool Matches(in RunnerEvent e) =>
        (Kinds.Count == 0 || Kinds.Contains(e.Kind))
        && (e.Kind is RunnerEventKind.EngineHalted or RunnerEventKind.EngineResumed
            || ((RunnerIds.Count == 0 || RunnerIds.Contains(e.RunnerId)) && (Symbols.Count == 0 || Symbols.Contains(e.Symbol))));

    /// <summary>This filter with more values allowed (a "subscribe" message).</summary>
    public EventFilter Widen(IEnumerable<string> runnerIds, IEnumerable<string> symbols, IEnumerable<RunnerEventKind> kinds) =>
        new(RunnerIds.Concat(runnerIds), Symbols.Concat(symbols), Kinds.Concat(kinds));

    /// <summary>This filter with values taken out (an "unsubscribe" message).</summary>
    public EventFilter Narrow(IEnumerable<string> runnerIds, IEnumerable<string> symbols, IEnumerable<RunnerEventKind> kinds) =>
        new(RunnerIds.Except(runnerIds), Symbols.Except(symbols), Kinds.Except(kinds));
}
