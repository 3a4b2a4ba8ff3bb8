namespace Tickrunner.Engine.Feeds;

/// <summary>Checks a subscription's symbols against what a feed offers.</summary>
internal static class FeedSymbols
{
    public static void EnsureKnown(IReadOnlyCollection<string> requested, IReadOnlyList<string> known, string feedKind)
    {
        ArgumentNullException.ThrowIfNull(requested);
        foreach (var symbol in requested)
        {
            if (!known.Contains(symbol, StringComparer.Ordinal))
                throw new ArgumentException(
                    $"Symbol '{symbol}' is not offered by the {feedKind} feed; it offers: {string.Join(", ", known)}.",
                    nameof(requested));
        }
    }
}
