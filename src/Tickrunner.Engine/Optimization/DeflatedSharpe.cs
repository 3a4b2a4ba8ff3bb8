namespace Tickrunner.Engine.Optimization;

/// <summary>A deflated Sharpe ratio: the selected trial's per-bar Sharpe, the benchmark SR₀ it was held to, and the probability that its true Sharpe exceeds it.</summary>
public sealed record DeflatedSharpeResult(double Sharpe, double ExpectedMaxSharpe, double Probability, int Trials, int Observations);

// Bailey and López de Prado, "The Deflated Sharpe Ratio: Correcting for Selection Bias, Backtest Overfitting and
// Non-Normality", Journal of Portfolio Management 40(5), 2014.
/// <summary>The deflated and the probabilistic Sharpe ratio of Bailey and López de Prado (2014); every Sharpe ratio here is per bar, not annualized.</summary>
public static class DeflatedSharpe
{
    private const double EulerMascheroni = 0.577215664901532860606512090082;

    /// <summary>
    /// The deflated Sharpe ratio of the trial selected as the best of <paramref name="trialSharpes"/> (every trial's
    /// per-bar Sharpe, the selected one included): <see cref="ProbabilisticSharpe"/> against
    /// <see cref="ExpectedMaxSharpe"/> of their sample variance. <paramref name="kurtosis"/> is not excess (normal: 3).
    /// Null when it is undefined: fewer than two trials or two observations, or a non-positive radicand.
    /// </summary>
    /// <exception cref="ArgumentException">A trial Sharpe ratio that is not a finite number.</exception>
    public static DeflatedSharpeResult? Compute(double sharpe, ReadOnlySpan<double> trialSharpes, int observations,
        double skewness, double kurtosis)
    {
        var trials = trialSharpes.Length;
        if (trials < 2 || observations < 2) return null;
        // Two passes: trial Sharpe ratios are close together compared with their size, the case where Σx² − (Σx)²/N
        // loses the most. Identical ones are caught first: their computed mean can be off by an ulp, which would leave a
        // variance of 1e-35 instead of 0.
        var mean = 0.0;
        var identical = true;
        foreach (var s in trialSharpes)
        {
            if (!double.IsFinite(s))
                throw new ArgumentException($"Trial Sharpe ratio {s} is not a finite number.", nameof(trialSharpes));
            mean += s;
            identical &= s == trialSharpes[0];
        }
        mean /= trials;
        var squares = 0.0;
        if (!identical)
            foreach (var s in trialSharpes) squares += (s - mean) * (s - mean);
        var benchmark = ExpectedMaxSharpe(squares / (trials - 1), trials);
        return ProbabilisticSharpe(sharpe, benchmark, observations, skewness, kurtosis) is { } probability
            ? new DeflatedSharpeResult(sharpe, benchmark, probability, trials, observations)
            : null;
    }

    /// <summary>
    /// The probabilistic Sharpe ratio PSR(SR*) = Φ((SR − SR*) √(T − 1) / √(1 − γ₃ SR + (γ₄ − 1)/4 SR²)): the probability
    /// that the true Sharpe ratio exceeds <paramref name="benchmark"/>, given <paramref name="observations"/> T returns
    /// with skewness γ₃ and (non-excess) kurtosis γ₄. Null when T &lt; 2 or the radicand is not positive.
    /// </summary>
    public static double? ProbabilisticSharpe(double sharpe, double benchmark, int observations, double skewness,
        double kurtosis)
    {
        if (observations < 2) return null;
        var radicand = 1 - skewness * sharpe + (kurtosis - 1) / 4 * sharpe * sharpe;
        // Written so a NaN radicand is undefined too, not a NaN probability.
        if (!(radicand > 0)) return null;
        return NormalDistribution.Cdf((sharpe - benchmark) * Math.Sqrt(observations - 1.0) / Math.Sqrt(radicand));
    }

    /// <summary>
    /// The expected maximum of <paramref name="trials"/> N Sharpe ratios of true value 0 and variance V, the paper's SR₀ =
    /// √V ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))), γ the Euler–Mascheroni constant.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than two trials, or a variance that is negative or not finite.</exception>
    public static double ExpectedMaxSharpe(double variance, int trials)
    {
        // One trial would need Φ⁻¹(0): the approximation is for the maximum of many.
        if (trials < 2)
            throw new ArgumentOutOfRangeException(nameof(trials), trials, "trials must be at least 2.");
        if (!(variance >= 0) || double.IsPositiveInfinity(variance))
            throw new ArgumentOutOfRangeException(nameof(variance), variance, "variance must be a finite number ≥ 0.");
        if (variance == 0) return 0;
        var n = (double)trials;
        return Math.Sqrt(variance) * ((1 - EulerMascheroni) * NormalDistribution.InverseCdf(1 - 1 / n)
                                      + EulerMascheroni * NormalDistribution.InverseCdf(1 - 1 / (n * Math.E)));
    }
}
