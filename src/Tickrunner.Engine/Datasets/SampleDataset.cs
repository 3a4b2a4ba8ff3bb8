using Tickrunner.Engine.Feeds;

namespace Tickrunner.Engine.Datasets;

/// <summary>
/// The sample dataset the quick start backtests: 100,000 one-minute BTCUSDT-like bars (about 69 days) of the
/// simulated feed's random walk from a fixed seed, so every machine generates exactly the same bars. The CLI makes it on first
/// use; the server on its first start with the demo enabled, so the dashboard has data to backtest at once.
/// </summary>
public static class SampleDataset
{
    /// <summary>The dataset's id.</summary>
    public const string Id = "sample";

    /// <summary>How many bars it holds.</summary>
    public const int Bars = 100_000;

    /// <summary>The sample in <paramref name="store"/>, generated on first use.</summary>
    public static BarSeries Load(DatasetStore store, Action<string>? log = null)
    {
        Ensure(store, log);
        return store.Load(Id);
    }

    /// <summary>Generates the sample in <paramref name="store"/> unless it is there; true when it did.</summary>
    public static bool Ensure(DatasetStore store, Action<string>? log = null)
    {
        if (store.Find(Id) is not null) return false;
        log?.Invoke($"generating the sample dataset ({Bars:N0} one-minute bars) in {store.Directory}");
        var series = new SimulatedSeries(new SimulatedSymbol { Symbol = "BTCUSDT", StartPrice = 50_000, Volatility = 0.0008 }, seed: 20241201,
            startTimestamp: 1_704_067_200_000 /* 2024-01-01 */, interval: TimeSpan.FromMinutes(1));
        store.Save(BarSeries.From("BTCUSDT", "1m", Enumerable.Range(0, Bars).Select(_ => series.Next())), Id);
        return true;
    }
}
