using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Optimization;

namespace Tickrunner.Engine.Tests.Optimization;

/// <summary>Walk-forward: where the windows fall, that training never sees test bars, and the stitched out-of-sample curve.</summary>
public sealed class WalkForwardTests : IDisposable
{
    private readonly TempDirectory _dir = new("tickrunner-walkforward-");

    public void Dispose() => _dir.Dispose();

    private IReadOnlyList<MarketData> Bars(int count) => CsvKlineReader.Read(BacktestTests.WriteKlines(_dir, "TEST", count), "TEST").ToList();

    private static OptimizationSettings Settings(WalkForwardSettings walkForward) => new()
    {
        Method = OptimizationMethod.Grid,
        Parallelism = 2,
        Backtest = new BacktestSettings { WindowSize = 60 },
        Space = new Dictionary<string, ParameterRange>
        {
            ["fast"] = new() { Min = 2, Max = 8, Step = 3 },
            ["slow"] = new() { Min = 20, Max = 40, Step = 10 },
        },
        WalkForward = walkForward,
    };

    // A row as comparable values: its number, its parameter values in name order and its report.
    private static (int, string, BacktestReport?) Summary(TrialRow? row) =>
        (row!.Trial, string.Join(",", row.Params.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")), row.Report);

    [Fact]
    public void Rolling_windows_slide_by_the_test_length_and_anchored_ones_grow_from_the_first_bar()
    {
        var bars = Bars(1_000);
        var rolling = Optimizer.WalkForwardWindows(bars, new BacktestSettings(), new WalkForwardSettings { TrainBars = 300, TestBars = 100 });
        Assert.Equal([(0, 300, 400), (100, 400, 500), (200, 500, 600), (300, 600, 700), (400, 700, 800), (500, 800, 900), (600, 900, 1000)], rolling);
        var anchored = Optimizer.WalkForwardWindows(bars, new BacktestSettings(), new WalkForwardSettings { TrainBars = 300, TestBars = 100, Anchored = true, Windows = 3 });
        Assert.Equal([(0, 300, 400), (0, 400, 500), (0, 500, 600)], anchored);
        // Within the settings' range only: from bar 100 to bar 899.
        var ranged = Optimizer.WalkForwardWindows(bars, new BacktestSettings { From = bars[100].Timestamp, To = bars[899].Timestamp },
            new WalkForwardSettings { TrainBars = 300, TestBars = 250 });
        Assert.Equal([(100, 400, 650), (350, 650, 900)], ranged);
    }

    [Fact]
    public void Asking_for_more_windows_than_fit_says_how_many_bars_it_needs()
    {
        var error = Assert.Throws<ArgumentException>(() => Optimizer.WalkForwardWindows(Bars(1_000), new BacktestSettings(),
            new WalkForwardSettings { TrainBars = 500, TestBars = 200, Windows = 4 }));
        Assert.Contains("needs 1,300 bars (500 to train + 4 × 200 to test), the range has 1,000", error.Message);
    }

    [Fact]
    public void Training_never_sees_the_test_bars_changing_them_leaves_every_training_result_as_it_was()
    {
        var bars = Bars(1_200);
        var settings = Settings(new WalkForwardSettings { TrainBars = 600, TestBars = 200 });
        var original = Optimizer.Run("crossover", OptimizerTests.Crossover, bars, settings).WalkForward!;
        Assert.Equal(3, original.Windows.Count);

        // Everything after the first window's training is changed: its training must not notice.
        var altered = bars.Select((b, i) => i < 600 ? b : b with { Open = b.Open * 1.3, High = b.High * 1.3, Low = b.Low * 1.3, Close = b.Close * 1.3 }).ToList();
        var changed = Optimizer.Run("crossover", OptimizerTests.Crossover, altered, settings).WalkForward!;
        Assert.Equal(Summary(original.Windows[0].Best), Summary(changed.Windows[0].Best));
        Assert.Equal(original.Windows[0].InSampleObjective, changed.Windows[0].InSampleObjective);
        Assert.NotEqual(original.Windows[0].OutOfSample!.Digest, changed.Windows[0].OutOfSample!.Digest);

        // And each window's training is exactly an optimization over its training bars alone.
        foreach (var window in original.Windows)
        {
            var alone = Optimizer.Run("crossover", OptimizerTests.Crossover, bars, settings with
            {
                WalkForward = null,
                Backtest = settings.Backtest with { From = window.TrainFrom, To = window.TrainTo },
            });
            Assert.Equal(Summary(alone.Best), Summary(window.Best));
        }
    }

    [Fact]
    public void The_out_of_sample_curve_is_the_test_parts_compounded_one_after_the_other()
    {
        var bars = Bars(1_200);
        var result = Optimizer.Run("crossover", OptimizerTests.Crossover, bars, Settings(new WalkForwardSettings { TrainBars = 400, TestBars = 200, Windows = 4 })).WalkForward!;
        Assert.Equal(4, result.Windows.Count);
        Assert.Equal(800, result.Times.Count);
        Assert.Equal(bars.Skip(400).Select(b => b.Timestamp), result.Times);
        var capital = 10_000.0;
        foreach (var window in result.Windows)
            capital *= window.OutOfSample is { } report ? report.FinalEquity / report.InitialCapital : 1;
        Assert.Equal(capital, result.Equity[^1], 6);
        Assert.Equal(result.Equity[^1], result.OutOfSample!.FinalEquity);
        Assert.Equal(result.Windows.Sum(w => w.OutOfSample?.Trades ?? 0), result.OutOfSample.Trades);
        Assert.All(result.Windows, w => Assert.True(w.TestFrom > w.TrainTo));
    }
}
