using Tickrunner.Engine.Optimization;

namespace Tickrunner.Engine.Tests.Optimization;

public class DeflatedSharpeTests
{
    private static void Near(double expected, double actual, double relative, string? what = null) =>
        NormalDistributionTests.Near(expected, actual, relative, what);

    // N trial Sharpe ratios whose sample variance is exactly `variance`: half at +a, half at −a, so the mean is 0 and the
    // sample variance is N a² / (N − 1).
    private static double[] TrialsWithVariance(int n, double variance)
    {
        var a = Math.Sqrt(variance * (n - 1) / n);
        return Enumerable.Range(0, n).Select(i => i % 2 == 0 ? a : -a).ToArray();
    }

    [Fact]
    public void The_papers_numerical_example()
    {
        // Bailey & López de Prado (2014), the numerical example: an annualized Sharpe ratio of 2.5 over five years of daily
        // returns (T = 1250), skewness −3, kurtosis 10, picked as the best of N = 100 trials whose annualized Sharpe ratios
        // have variance 0.5. Per day, with 250 days a year: SR = 2.5/√250 = 0.158114, V = 0.5/250 = 0.002.
        // SR₀ = √0.002 × (0.422784 × Φ⁻¹(0.99) + 0.577216 × Φ⁻¹(1 − 1/(100e)))
        //     = 0.0447214 × (0.422784 × 2.326348 + 0.577216 × 2.680210) = 0.0447214 × 2.530603 = 0.113172 (1.7894 a year).
        // Radicand 1 + 3 × 0.158114 + (10 − 1)/4 × 0.158114² = 1 + 0.474342 + 0.056250 = 1.530592, √ = 1.237171.
        // z = (0.158114 − 0.113172) × √1249 / 1.237171 = 0.044942 × 35.341194 / 1.237171 = 1.283816; DSR = Φ(z) = 0.900397,
        // the paper's DSR ≈ 0.90 (values to 30 digits from mpmath).
        var sharpe = 2.5 / Math.Sqrt(250);
        var variance = 0.5 / 250;
        var expectedMax = DeflatedSharpe.ExpectedMaxSharpe(variance, 100);
        Near(0.113172001865132028871, expectedMax, 1e-13, "SR₀");
        Near(1.78940646627320586963, expectedMax * Math.Sqrt(250), 1e-13, "SR₀ a year");
        Near(0.900396834449390961558, DeflatedSharpe.ProbabilisticSharpe(sharpe, expectedMax, 1250, -3, 10)!.Value, 1e-12, "DSR");

        var result = DeflatedSharpe.Compute(sharpe, TrialsWithVariance(100, variance), 1250, -3, 10);
        Assert.NotNull(result);
        Assert.Equal(sharpe, result.Sharpe);
        Near(0.113172001865132028871, result.ExpectedMaxSharpe, 1e-12, "SR₀ from the trials");
        Near(0.900396834449390961558, result.Probability, 1e-10, "DSR from the trials");
        Assert.Equal(100, result.Trials);
        Assert.Equal(1250, result.Observations);
    }

    [Fact]
    public void A_small_example_by_hand()
    {
        // Trials 0, 0.02, 0.04, 0.06: mean 0.03, Σ(x − mean)² = (9 + 1 + 1 + 9)e-4 = 20e-4, V = 20e-4 / 3 = 6.6667e-4,
        // √V = 0.0258199. N = 4: Φ⁻¹(1 − 1/4) = Φ⁻¹(0.75) = 0.674490 and Φ⁻¹(1 − 1/(4e)) = Φ⁻¹(0.908030) = 1.328722.
        // SR₀ = 0.0258199 × (0.422784 × 0.674490 + 0.577216 × 1.328722) = 0.0258199 × 1.052123 = 0.0271657.
        // The best, 0.06 over T = 1000 with skewness −0.5 and kurtosis 5: radicand 1 + 0.5 × 0.06 + (5 − 1)/4 × 0.0036 = 1.0336.
        // z = (0.06 − 0.0271657) × √999 / √1.0336 = 0.0328343 × 31.606961 / 1.016661 = 1.020785; DSR = Φ(1.020785) = 0.846322.
        var result = DeflatedSharpe.Compute(0.06, [0, 0.02, 0.04, 0.06], 1000, -0.5, 5);
        Assert.NotNull(result);
        Near(0.0271656945083324992259, result.ExpectedMaxSharpe, 1e-12, "SR₀");
        Near(0.846321870806540132452, result.Probability, 1e-12, "DSR");
        Assert.Equal(4, result.Trials);
    }

    [Fact]
    public void The_probabilistic_sharpe_ratio()
    {
        // At its benchmark, a Sharpe ratio is as likely above as below: z = 0.
        Assert.Equal(0.5, DeflatedSharpe.ProbabilisticSharpe(0.1, 0.1, 500, -1, 6));
        // Normal returns (skewness 0, kurtosis 3), SR = 0.1 against 0 over T = 101:
        // z = 0.1 × √100 / √(1 + (3 − 1)/4 × 0.01) = 1 / √1.005 = 0.997509; Φ(z) = 0.840741.
        Near(0.840741327801351825670, DeflatedSharpe.ProbabilisticSharpe(0.1, 0, 101, 0, 3)!.Value, 1e-12);
        // Below the benchmark the probability is the mirror image.
        Near(1 - 0.840741327801351825670, DeflatedSharpe.ProbabilisticSharpe(-0.1, 0, 101, 0, 3)!.Value, 1e-12);
        // Undefined: too few observations, or a radicand 1 − 3 × 1 + 2/4 × 1 = −1.5 ≤ 0, or exactly 1 − 1.5 + 0.5 = 0.
        Assert.Null(DeflatedSharpe.ProbabilisticSharpe(0.1, 0, 1, 0, 3));
        Assert.Null(DeflatedSharpe.ProbabilisticSharpe(1, 0, 100, 3, 3));
        Assert.Null(DeflatedSharpe.ProbabilisticSharpe(1, 0, 100, 1.5, 3));
    }

    [Fact]
    public void Identical_trials_need_no_deflation()
    {
        // V = 0, so SR₀ = 0 and the DSR is PSR(0): radicand 1 − 0.2 × 0.05 + (4 − 1)/4 × 0.0025 = 0.991875,
        // z = 0.05 × √499 / √0.991875 = 0.05 × 22.338308 / 0.995929 = 1.121481, Φ(z) = 0.868958.
        var result = DeflatedSharpe.Compute(0.05, [0.05, 0.05, 0.05], 500, 0.2, 4);
        Assert.NotNull(result);
        Assert.Equal(0, result.ExpectedMaxSharpe);
        Assert.Equal(DeflatedSharpe.ProbabilisticSharpe(0.05, 0, 500, 0.2, 4), result.Probability);
        Near(0.868958349450757491015, result.Probability, 1e-12);
    }

    [Fact]
    public void More_trials_raise_the_benchmark()
    {
        var previous = 0.0;
        foreach (var n in new[] { 2, 3, 10, 100, 1000, 10_000, 1_000_000 })
        {
            var expectedMax = DeflatedSharpe.ExpectedMaxSharpe(1, n);
            Assert.True(expectedMax > previous, $"SR₀ of {n} trials");
            previous = expectedMax;
        }
        // The benchmark scales with the standard deviation of the trials.
        Near(2 * DeflatedSharpe.ExpectedMaxSharpe(1, 50), DeflatedSharpe.ExpectedMaxSharpe(4, 50), 1e-15);
    }

    [Fact]
    public void Undefined_cases_give_null()
    {
        Assert.Null(DeflatedSharpe.Compute(0.1, [0.1], 1000, 0, 3));
        Assert.Null(DeflatedSharpe.Compute(0.1, [], 1000, 0, 3));
        Assert.Null(DeflatedSharpe.Compute(0.1, [0.1, 0.05], 1, 0, 3));
        Assert.Null(DeflatedSharpe.Compute(0.1, [0.1, 0.05], 0, 0, 3));
        Assert.Null(DeflatedSharpe.Compute(1, [1, 0.5], 100, 3, 3));
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DeflatedSharpe.ExpectedMaxSharpe(1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DeflatedSharpe.ExpectedMaxSharpe(-1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => DeflatedSharpe.ExpectedMaxSharpe(double.NaN, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => DeflatedSharpe.ExpectedMaxSharpe(double.PositiveInfinity, 10));
        Assert.Throws<ArgumentException>(() => DeflatedSharpe.Compute(0.1, [0.1, double.NaN], 100, 0, 3));
    }
}
