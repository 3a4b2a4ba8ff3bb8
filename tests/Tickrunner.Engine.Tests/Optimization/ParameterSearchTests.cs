using System.Globalization;
using Tickrunner.Engine.Optimization;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Engine.Tests.Optimization;

/// <summary>The search itself over synthetic objectives: grid coverage, reproducibility, TPE against random, early stop, top K, cancel.</summary>
public sealed class ParameterSearchTests
{
    private static readonly SearchSpace Small = SearchSpace.Of(
        new SearchDimension { Name = "n", Kind = ParameterKind.Integer, Min = 1, Max = 3, Step = 1 },
        new SearchDimension { Name = "x", Kind = ParameterKind.Number, Min = 0.1, Max = 0.3, Step = 0.1 },
        new SearchDimension { Name = "mode", Kind = ParameterKind.Choice, Choices = ["a", "b"] });

    private static readonly SearchSpace Bowl = SearchSpace.Of(
        new SearchDimension { Name = "x", Kind = ParameterKind.Number, Min = -5, Max = 5 },
        new SearchDimension { Name = "y", Kind = ParameterKind.Number, Min = -5, Max = 5 });

    private static double X(IReadOnlyDictionary<string, object> p, string name) => Convert.ToDouble(p[name], CultureInfo.InvariantCulture);

    // −((x − 1.5)² + (y + 2)²) plus noise that depends only on the trial, so every run sees the same noise.
    private static TrialEvaluation NoisyBowl(int trial, IReadOnlyDictionary<string, object> p, CancellationToken _)
    {
        var noise = (new Random(trial * 7919 + 13).NextDouble() - 0.5) * 0.1;
        var value = -(Math.Pow(X(p, "x") - 1.5, 2) + Math.Pow(X(p, "y") + 2, 2)) + noise;
        return new TrialEvaluation(TrialStatus.Ok, value);
    }

    private static string Key(IReadOnlyDictionary<string, object> p) =>
        string.Join(",", p.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={Convert.ToString(e.Value, CultureInfo.InvariantCulture)}"));

    [Fact]
    public void A_grid_visits_every_point_of_the_space_exactly_once_the_last_parameter_fastest()
    {
        var outcome = ParameterSearch.Run(Small, new OptimizationSettings { Method = OptimizationMethod.Grid, Parallelism = 2 },
            (t, p, _) => new TrialEvaluation(TrialStatus.Ok, t));
        Assert.Equal(18, outcome.Planned);
        Assert.Equal(18, outcome.Trials.Count);
        var expected = (from mode in new[] { "a", "b" } from n in new long[] { 1, 2, 3 } from x in new[] { 0.1, 0.2, 0.3 }
                        select $"mode={mode},n={n},x={x.ToString(CultureInfo.InvariantCulture)}").ToList();
        Assert.Equal(expected, outcome.Trials.Select(r => Key(r.Params)).ToList());
        Assert.All(outcome.Trials, r => Assert.IsType<long>(r.Params["n"]));
        Assert.Equal(0.3, outcome.Trials[2].Params["x"]); // not 0.30000000000000004
    }

    [Theory]
    [InlineData(OptimizationMethod.Random)]
    [InlineData(OptimizationMethod.Tpe)]
    public void The_same_seed_gives_the_same_trials_in_the_same_order_whatever_the_threads(OptimizationMethod method)
    {
        // A trial-dependent amount of work shuffles the order in which trials finish on several threads.
        TrialEvaluation Slow(int t, IReadOnlyDictionary<string, object> p, CancellationToken c)
        {
            Thread.SpinWait(((t * 37) % 11) * 20_000);
            return NoisyBowl(t, p, c);
        }
        string Run(long seed, int threads) => string.Join(";", ParameterSearch.Run(Bowl,
            new OptimizationSettings { Method = method, Trials = 60, Seed = seed, Parallelism = threads }, Slow)
            .Trials.Select(r => Key(r.Params) + "=" + r.Objective!.Value.ToString("R", CultureInfo.InvariantCulture)));

        var one = Run(42, 1);
        Assert.Equal(one, Run(42, 3));
        Assert.Equal(one, Run(42, 2));
        Assert.NotEqual(one, Run(43, 2));
    }

    [Fact]
    public void Tpe_reaches_the_bottom_of_a_noisy_bowl_in_fewer_trials_than_random_on_average_over_seeds()
    {
        // Trials until one is within 0.25 of the optimum's value (0), capped at 300, averaged over 20 seeds.
        double Average(OptimizationMethod method)
        {
            var total = 0;
            for (var seed = 1; seed <= 20; seed++)
            {
                var rows = ParameterSearch.Run(Bowl, new OptimizationSettings { Method = method, Trials = 300, Seed = seed, Parallelism = 1 }, NoisyBowl).Trials;
                var hit = rows.FirstOrDefault(r => r.Objective > -0.25);
                total += hit is null ? 300 : hit.Trial + 1;
            }
            return total / 20.0;
        }
        var random = Average(OptimizationMethod.Random);
        var tpe = Average(OptimizationMethod.Tpe);
        Assert.True(tpe < random * 0.75, $"TPE needed {tpe} trials on average, random {random}");
    }

    [Fact]
    public void Tpe_keeps_integers_on_their_grid_and_choices_among_theirs()
    {
        var outcome = ParameterSearch.Run(Small, new OptimizationSettings { Method = OptimizationMethod.Tpe, Trials = 40, Parallelism = 2 },
            (t, p, _) => new TrialEvaluation(TrialStatus.Ok, X(p, "n") + X(p, "x") + ((string)p["mode"] == "b" ? 1 : 0)));
        Assert.All(outcome.Trials, r =>
        {
            Assert.Contains((long)r.Params["n"], new long[] { 1, 2, 3 });
            Assert.Contains((double)r.Params["x"], new[] { 0.1, 0.2, 0.3 });
            Assert.Contains((string)r.Params["mode"], new[] { "a", "b" });
        });
        Assert.Equal(4.3, outcome.Top[0].Objective!.Value, 9);
        // 40 trials over 18 points repeat some: the top keeps each point once, as its first trial.
        Assert.Equal(outcome.Top.Count, outcome.Top.Select(r => TrialRow.KeyOf(r.Params)).Distinct().Count());
        var best = TrialRow.KeyOf(outcome.Top[0].Params);
        Assert.Equal(outcome.Trials.First(r => TrialRow.KeyOf(r.Params) == best).Trial, outcome.Top[0].Trial);
    }

    [Theory]
    [InlineData(OptimizationMethod.Random)]
    [InlineData(OptimizationMethod.Tpe)]
    public void Continuous_ranges_are_sampled_inside_their_bounds_and_spread_over_them(OptimizationMethod method)
    {
        var outcome = ParameterSearch.Run(Bowl, new OptimizationSettings { Method = method, Trials = 200, Parallelism = 2 }, NoisyBowl);
        var xs = outcome.Trials.Select(r => X(r.Params, "x")).ToList();
        Assert.All(xs, x => Assert.InRange(x, -5, 5));
        Assert.True(xs.Distinct().Count() > 150, "continuous draws repeat");
        // The first ten (random for both) and random overall reach both halves of the range.
        Assert.Contains(xs.Take(10), x => x < 0);
        Assert.Contains(xs.Take(10), x => x > 0);
    }

    [Fact]
    public void The_early_stop_ends_after_the_patience_in_trial_order_and_the_same_way_on_any_number_of_threads()
    {
        // The objective improves until trial 9, then never: with patience 5 the last trial is 14.
        TrialEvaluation Peak(int t, IReadOnlyDictionary<string, object> p, CancellationToken c)
        {
            Thread.SpinWait(((t * 13) % 7) * 10_000);
            return new TrialEvaluation(TrialStatus.Ok, t <= 9 ? t : 9 - t);
        }
        foreach (var threads in new[] { 1, 2, 4 })
        {
            var outcome = ParameterSearch.Run(Bowl, new OptimizationSettings { Method = OptimizationMethod.Random, Trials = 100, Patience = 5, Parallelism = threads }, Peak);
            Assert.True(outcome.StoppedEarly);
            Assert.Equal(Enumerable.Range(0, 15), outcome.Trials.Select(r => r.Trial));
            Assert.Equal(9, outcome.Top[0].Trial);
            Assert.All(outcome.Top, r => Assert.True(r.Trial < 15));
        }
    }

    [Fact]
    public void Only_the_best_k_results_are_kept_best_first_and_trials_that_do_not_count_never_are()
    {
        var outcome = ParameterSearch.Run(Bowl, new OptimizationSettings { Method = OptimizationMethod.Random, Trials = 200, TopK = 3, Parallelism = 2 },
            (t, p, _) => t % 2 == 0 ? new TrialEvaluation(TrialStatus.Ok, t % 50) : new TrialEvaluation(TrialStatus.Infeasible, 1000, "constraint"));
        Assert.Equal(200, outcome.Trials.Count);
        // 48 is the best even value of t % 50; trials 48, 98, 148, 198 tie and the earliest wins.
        Assert.Equal(new[] { 48, 98, 148 }, outcome.Top.Select(r => r.Trial));
        Assert.Equal(3, outcome.TopResults.Count);
        Assert.DoesNotContain(outcome.Top, r => r.Status != TrialStatus.Ok);
    }

    [Fact]
    public void A_cancelled_search_ends_promptly_with_an_operation_cancelled()
    {
        using var cancel = new CancellationTokenSource();
        var started = 0;
        var error = Assert.ThrowsAny<OperationCanceledException>(() => ParameterSearch.Run(Bowl,
            new OptimizationSettings { Method = OptimizationMethod.Tpe, Trials = 100_000, Parallelism = 2 }, (t, p, token) =>
            {
                if (Interlocked.Increment(ref started) == 20) cancel.Cancel();
                token.ThrowIfCancellationRequested();
                return NoisyBowl(t, p, token);
            }, cancellationToken: cancel.Token));
        Assert.NotNull(error);
        Assert.True(started < 1000, $"{started} trials started after the cancel");
    }

    [Fact]
    public void An_exception_in_a_trial_ends_the_search_with_it()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ParameterSearch.Run(Bowl,
            new OptimizationSettings { Method = OptimizationMethod.Tpe, Trials = 100, Parallelism = 2 },
            (t, p, c) => t == 30 ? throw new InvalidOperationException("broken") : NoisyBowl(t, p, c)));
        Assert.Equal("broken", error.Message);
    }

    [Fact]
    public void A_grid_over_a_continuous_range_or_too_many_points_is_refused_with_what_to_do()
    {
        var continuous = Assert.Throws<ArgumentException>(() => ParameterSearch.Run(Bowl, new OptimizationSettings { Method = OptimizationMethod.Grid }, NoisyBowl));
        Assert.Contains("needs a step", continuous.Message);
        var huge = SearchSpace.Of(
            new SearchDimension { Name = "a", Kind = ParameterKind.Integer, Min = 1, Max = 1000, Step = 1 },
            new SearchDimension { Name = "b", Kind = ParameterKind.Integer, Min = 1, Max = 1000, Step = 1 });
        var big = Assert.Throws<ArgumentException>(() => ParameterSearch.Run(huge, new OptimizationSettings { Method = OptimizationMethod.Grid }, NoisyBowl));
        Assert.Contains("1,000,000 points", big.Message);
    }
}
