namespace Tickrunner.Engine.Events;

/// <summary>What a hub's subscribers can want (<see cref="EventHub.Interest"/>): everything, or the events of these runners and symbols.</summary>
/// <param name="All">Some subscriber filters by neither runner nor symbol: every event may be wanted.</param>
/// <param name="RunnerIds">Runners some subscriber filters on, in ordinal order.</param>
/// <param name="Symbols">Symbols some subscriber filters on, in ordinal order.</param>
public sealed record EventInterest(bool All, string[] RunnerIds, string[] Symbols)
{
    /// <summary>Whether this describes the same interest as <paramref name="other"/> (the lists compared item by item).</summary>
    public bool Same(EventInterest? other) =>
        other is not null && All == other.All && RunnerIds.AsSpan().SequenceEqual(other.RunnerIds) && Symbols.AsSpan().SequenceEqual(other.Symbols);
}
