using Tickrunner.Engine.Events;

namespace Tickrunner.Cluster.Events;

/// <summary>
/// What a silo's subscribers want of the frequent events (<see cref="RelayedEvent.Filterable"/>) of other silos' runners, sent to
/// them so that they relay only those: all, or those of these runners and symbols.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RelayInterest
{
    /// <summary>Every runner's.</summary>
    [Id(0)] public bool All { get; init; }
    /// <summary>These runners'.</summary>
    [Id(1)] public HashSet<string> RunnerIds { get; init; } = new(StringComparer.Ordinal);
    /// <summary>These symbols' runners'.</summary>
    [Id(2)] public HashSet<string> Symbols { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The interest of a hub's subscribers.</summary>
    public static RelayInterest Of(EventInterest interest) => new()
    {
        All = interest.All,
        RunnerIds = new HashSet<string>(interest.RunnerIds, StringComparer.Ordinal),
        Symbols = new HashSet<string>(interest.Symbols, StringComparer.Ordinal),
    };

    /// <summary>Whether an event of runner <paramref name="runnerId"/> on <paramref name="symbol"/> is wanted.</summary>
    public bool Wants(string runnerId, string symbol) => All || RunnerIds.Contains(runnerId) || Symbols.Contains(symbol);
}
