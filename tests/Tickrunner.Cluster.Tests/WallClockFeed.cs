using System.Runtime.CompilerServices;
using Tickrunner.Engine;
using Tickrunner.Engine.Feeds;

namespace Tickrunner.Cluster.Tests;

/// <summary>
/// A market every silo sees alike, as an exchange's would be: a bar per symbol on each wall-clock slot of the interval, its
/// prices a function of the slot alone, so two silos' feeds give the same bar for the same timestamp.
/// </summary>
public sealed class WallClockFeed(IReadOnlyList<string> symbols, int intervalMs) : IMarketDataFeed
{
    private long _delivered, _last;

    /// <inheritdoc />
    public string Kind => "WallClock";

    /// <inheritdoc />
    public IReadOnlyList<string> Symbols { get; } = symbols;

    /// <inheritdoc />
    public FeedStatus Status => new(Kind, true, Interlocked.Read(ref _delivered), 0, Interlocked.Read(ref _last));

    /// <inheritdoc />
    public long BarsRejected => 0;

    /// <inheritdoc />
    public async IAsyncEnumerable<MarketData> SubscribeAsync(IReadOnlyCollection<string> symbols,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var slot = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / intervalMs;
        while (!cancellationToken.IsCancellationRequested)
        {
            slot++;
            var wait = slot * intervalMs - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (wait > 0) await Task.Delay((int)wait, cancellationToken).ConfigureAwait(false);
            var index = 0;
            foreach (var symbol in symbols)
            {
                var close = 100 + 5 * Math.Sin(slot / 7.0 + index++);
                var open = 100 + 5 * Math.Sin((slot - 1) / 7.0 + index - 1);
                Interlocked.Increment(ref _delivered);
                Interlocked.Exchange(ref _last, slot * intervalMs);
                yield return new MarketData(symbol, slot * intervalMs, open, Math.Max(open, close) + 0.1, Math.Min(open, close) - 0.1, close, 10, 0, 0);
            }
        }
    }
}
