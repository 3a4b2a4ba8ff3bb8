using Tickrunner.Engine;
using Tickrunner.Engine.Feeds;

namespace Tickrunner.Benchmarks;

/// <summary>A loop of 4,096 simulated BTCUSDT bars and a 100-bar window already filled from it, shared by the per-tick benchmarks.</summary>
internal sealed class BarTape
{
    public const int WindowSize = 100;
    private readonly MarketData[] _bars = new MarketData[4096];
    private int _i;

    public BarTape()
    {
        var series = new SimulatedFeed().CreateSeries("BTCUSDT", 0);
        for (var i = 0; i < _bars.Length; i++) _bars[i] = series.Next();
        for (var i = 0; i < WindowSize; i++) Window.Push(_bars[i]);
    }

    public MarketDataWindow Window { get; } = new(WindowSize);

    public ref readonly MarketData First => ref _bars[0];

    /// <summary>The next bar, round and round (no allocation, no bounds surprises).</summary>
    public ref readonly MarketData Next() => ref _bars[_i = (_i + 1) & (_bars.Length - 1)];
}
