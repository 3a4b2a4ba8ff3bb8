using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Optimization;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Engine.Tests.Optimization;

/// <summary>Optimizing a real Lua strategy: the space from its declarations, trials that are backtests, constraints, walk-forward.</summary>
public sealed class OptimizerTests : IDisposable
{
    private readonly TempDirectory _dir = new("tickrunner-optimize-");

    public void Dispose() => _dir.Dispose();

    internal const string Crossover = TestStrategies.Crossover;

    private IReadOnlyList<MarketData> Bars(int count, int seed = 7) =>
        CsvKlineReader.Read(BacktestTests.WriteKlines(_dir, "TEST", count, seed), "TEST").ToList();

    private static OptimizationSettings Settings(OptimizationMethod method = OptimizationMethod.Random, int trials = 12) => new()
    {
        Method = method,
        Trials = trials,
        Seed = 5,
        Parallelism = 2,
        Backtest = new BacktestSettings { WindowSize = 80 },
        Space = new Dictionary<string, ParameterRange>
        {
            ["fast"] = new() { Min = 2, Max = 10 },
            ["slow"] = new() { Min = 20, Max = 40, Step = 10 },
            ["side"] = new(),
        },
    };

    [Fact]
    public void Every_trial_is_the_backtest_of_its_values_and_the_best_is_the_top_objective()
    {
        var bars = Bars(3_000);
        var result = Optimizer.Run("crossover", Crossover, bars, Settings());
        Assert.Equal(12, result.Trials.Count);
        Assert.Equal(["fast", "side", "slow"], result.Space.Select(d => d.Name));
        foreach (var row in result.Trials.Take(4))
        {
            var values = new SortedDictionary<string, object>(row.Params.ToDictionary(), StringComparer.Ordinal);
            var alone = Backtest.Run("crossover", Crossover, bars, new BacktestSettings { WindowSize = 80, Params = values });
            Assert.Equal(alone.Report, row.Report);
            Assert.Equal(alone.Report.Sharpe, row.Objective);
        }
        var best = result.Trials.Where(r => r.Counts).MaxBy(r => r.Objective)!;
        Assert.Equal(best.Objective, result.Best!.Objective);
        Assert.Equal(result.Best.Report, result.TopResults[0].Report);
        Assert.All(result.Trials, r => Assert.False(r.Params.ContainsKey("hold"))); // not searched: it keeps its default
    }

    // Stands in for a cluster: evaluates each trial as a worker on another machine would, and counts the calls.
    private sealed class CountingEvaluator(IReadOnlyList<MarketData> bars) : ITrialEvaluator
    {
        public int Calls;

        public TrialEvaluation Evaluate(BacktestSettings trial, OptimizationSettings settings, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return Optimizer.EvaluateTrial("crossover", Crossover, bars, trial, settings, null, cancellationToken);
        }
    }

    [Fact]
    public void Trials_evaluated_elsewhere_give_the_same_result_and_the_top_is_run_again_for_its_trades()
    {
        var bars = Bars(2_000);
        var settings = Settings(OptimizationMethod.Tpe, 16);
        var here = Optimizer.Run("crossover", Crossover, bars, settings);
        var evaluator = new CountingEvaluator(bars);

        var elsewhere = Optimizer.Run("crossover", Crossover, bars, settings, trials: evaluator);

        Assert.InRange(evaluator.Calls, 1, 16); // every distinct point once (TPE may propose one again)
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(here, OptimizationJson.Default.OptimizationResult),
            System.Text.Json.JsonSerializer.Serialize(elsewhere, OptimizationJson.Default.OptimizationResult));
        Assert.Equal(here.TopResults.Select(r => r.Trades.Count), elsewhere.TopResults.Select(r => r.Trades.Count));
        Assert.Equal(here.TopResults[0].Equity, elsewhere.TopResults[0].Equity);
    }

    [Fact]
    public void The_same_seed_gives_the_same_trials_reports_and_statistics()
    {
        var bars = Bars(2_000);
        var a = Optimizer.Run("crossover", Crossover, bars, Settings(OptimizationMethod.Tpe, 20));
        var b = Optimizer.Run("crossover", Crossover, bars, Settings(OptimizationMethod.Tpe, 20) with { Parallelism = 1 });
        Assert.Equal(a.Trials.Select(r => (r.Trial, r.Objective, r.Report!.Digest)), b.Trials.Select(r => (r.Trial, r.Objective, r.Report!.Digest)));
        Assert.Equal(a.DeflatedSharpe, b.DeflatedSharpe);
        Assert.Equal(a.Overfitting?.Probability, b.Overfitting?.Probability);
    }

    [Theory]
    [InlineData(OptimizationObjective.Sharpe)]
    [InlineData(OptimizationObjective.Sortino)]
    [InlineData(OptimizationObjective.Calmar)]
    [InlineData(OptimizationObjective.TotalReturnPct)]
    [InlineData(OptimizationObjective.ProfitFactor)]
    public void Each_objective_ranks_by_its_report_field(OptimizationObjective objective)
    {
        var result = Optimizer.Run("crossover", Crossover, Bars(2_000), Settings() with { Objective = objective });
        double? Field(BacktestReport r) => objective switch
        {
            OptimizationObjective.Sharpe => r.Sharpe,
            OptimizationObjective.Sortino => r.Sortino,
            OptimizationObjective.Calmar => r.Calmar,
            OptimizationObjective.TotalReturnPct => r.TotalReturnPct,
            _ => r.ProfitFactor,
        };
        Assert.All(result.Trials, r => Assert.Equal(Field(r.Report!), r.Objective));
        Assert.All(result.Trials.Where(r => r.Objective is null), r => Assert.Equal(TrialStatus.Infeasible, r.Status));
        var counted = result.Trials.Where(r => r.Counts).ToList();
        if (counted.Count > 0) Assert.Equal(counted.Max(r => r.Objective), result.Best!.Objective);
        Assert.Equal(result.Top.Select(r => r.Objective).OrderByDescending(v => v), result.Top.Select(r => r.Objective));
    }

    [Fact]
    public void Constraints_make_trials_infeasible_with_the_reason_and_they_never_win()
    {
        var bars = Bars(2_000);
        var result = Optimizer.Run("crossover", Crossover, bars, Settings() with { MinTrades = 1_000_000 });
        Assert.All(result.Trials, r =>
        {
            Assert.Equal(TrialStatus.Infeasible, r.Status);
            Assert.Contains("fewer than min_trades 1000000", r.Note);
        });
        Assert.Null(result.Best);
        Assert.Empty(result.TopResults);

        var drawdown = Optimizer.Run("crossover", Crossover, bars, Settings() with { MaxDrawdownPct = 0 });
        Assert.All(drawdown.Trials.Where(r => r.Report!.MaxDrawdownPct > 0), r => Assert.Contains("over max_drawdown_pct", r.Note));
    }

    [Fact]
    public void A_strategy_that_fails_in_some_trials_marks_them_failed_with_its_line()
    {
        var code = Crossover.Replace("local q =", "if params.fast == 3 then error('three') end\n  local q =", StringComparison.Ordinal);
        var result = Optimizer.Run("crossover", code, Bars(2_000), Settings(OptimizationMethod.Grid) with
        {
            Space = new Dictionary<string, ParameterRange> { ["fast"] = new() { Min = 2, Max = 4 } },
        });
        Assert.Equal([TrialStatus.Ok, TrialStatus.Failed, TrialStatus.Ok], result.Trials.Select(r => r.Status == TrialStatus.Infeasible ? TrialStatus.Ok : r.Status));
        Assert.Contains("three", result.Trials[1].Note);
        Assert.Contains("crossover.lua:12: three", result.Trials[1].Note);
    }

    [Theory]
    [InlineData("ghost", "{\"min\":1}", "space.ghost", "has no parameter 'ghost'")]
    [InlineData("fast", "{\"min\":1}", "space.fast", "between 2 and 20")]
    [InlineData("slow", "{\"step\":7}", "space.slow", "multiple of the declared step 5")]
    [InlineData("side", "{\"choices\":[\"sideways\"]}", "space.side", "must be one of")]
    [InlineData("side", "{\"min\":1}", "space.side", "is a choice")]
    [InlineData("fast", "{\"min\":9,\"max\":3}", "space.fast", "is above max")]
    public void A_space_outside_the_declarations_is_refused_by_field(string name, string range, string field, string text)
    {
        var parsed = System.Text.Json.JsonSerializer.Deserialize<ParameterRange>(range, new System.Text.Json.JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
        var (space, problems) = Optimizer.Space("crossover", Crossover, new OptimizationSettings { Space = new Dictionary<string, ParameterRange> { [name] = parsed } });
        Assert.Null(space);
        Assert.Contains(text, problems[field]);
    }

    [Fact]
    public void A_parameter_searched_and_fixed_at_once_and_a_strategy_without_params_are_refused()
    {
        var (_, both) = Optimizer.Space("crossover", Crossover, new OptimizationSettings
        {
            Space = new Dictionary<string, ParameterRange> { ["fast"] = new() },
            Backtest = new BacktestSettings { Params = new Dictionary<string, object> { ["fast"] = 4.0 } },
        });
        Assert.Contains("both searched and given a fixed value", both["space.fast"]);
        var (_, none) = Optimizer.Space("plain", "function detect_opportunity() end function filter_commitment() end function manage_position() end", new OptimizationSettings());
        Assert.Contains("declares no parameters", none["space"]);
    }

    [Fact]
    public void Without_a_space_every_declared_parameter_is_searched_except_the_fixed_ones()
    {
        var (space, problems) = Optimizer.Space("crossover", Crossover, new OptimizationSettings
        {
            Backtest = new BacktestSettings { Params = new Dictionary<string, object> { ["hold"] = 5.0 } },
        });
        Assert.Empty(problems);
        Assert.Equal(["fast", "side", "slow"], space!.Dimensions.Select(d => d.Name));
        Assert.Equal(19 * 2 * 11, space.GridSize);
    }

    [Fact]
    public void The_deflated_sharpe_and_the_probability_of_overfitting_come_with_the_result()
    {
        var result = Optimizer.Run("crossover", Crossover, Bars(3_000), Settings(trials: 16) with { OverfittingBlocks = 8 });
        Assert.NotNull(result.DeflatedSharpe);
        Assert.Equal(result.Trials.Count(r => r.Moments is not null), result.DeflatedSharpe!.Trials);
        Assert.InRange(result.DeflatedSharpe.Probability, 0, 1);
        Assert.NotNull(result.Overfitting);
        Assert.Equal(70, result.Overfitting!.Combinations); // C(8, 4)
        Assert.InRange(result.Overfitting.Probability, 0, 1);
    }
}
