using Tickrunner.Engine.Optimization;

namespace Tickrunner.Engine.Tests.Optimization;

/// <summary>Φ and Φ⁻¹ against values computed to 30 digits (mpmath's ncdf, and √2 erfinv(2p − 1)), and against each other.</summary>
public class NormalDistributionTests
{
    internal static void Near(double expected, double actual, double relative, string? what = null) =>
        Assert.True(expected == actual || Math.Abs(actual - expected) <= relative * Math.Abs(expected),
            $"{what}: {expected:R} expected, {actual:R} computed (relative error {Math.Abs(actual - expected) / Math.Abs(expected):E2})");

    public static TheoryData<double, double> CdfValues => new()
    {
        { 0, 0.5 },
        { 1.959963984540054, 0.97499999999999998623 },
        { -3, 0.0013498980316300945267 },
        { -1, 0.15865525393145705141 },
        { 1, 0.84134474606854294859 },
        // Either side of the switch from the series to the continued fraction.
        { -2.5, 0.006209665325776135167 },
        { 2.5, 0.99379033467422386483 },
        { -5, 2.8665157187919391167e-7 },
        { 5, 0.99999971334842812081 },
        { 8, 0.9999999999999993779 },
        { -10, 7.619853024160526066e-24 },
        { -20, 2.7536241186062336951e-89 },
        { -37, 5.7255712225245768227e-300 },
    };

    [Theory]
    [MemberData(nameof(CdfValues))]
    public void Cdf_matches_known_values(double x, double expected) =>
        Near(expected, NormalDistribution.Cdf(x), 1e-13, $"Φ({x})");

    [Fact]
    public void Cdf_is_symmetric_monotone_and_continuous_where_the_method_changes()
    {
        for (var i = -400; i <= 400; i++)
        {
            var x = i / 50.0;
            Assert.Equal(1, NormalDistribution.Cdf(x) + NormalDistribution.Cdf(-x), 14);
            Assert.True(NormalDistribution.Cdf(x) <= NormalDistribution.Cdf(x + 0.02), $"Φ not monotone at {x}");
        }
        // |x| = 2.5 is the continued fraction, a hair less the series: the two agree to their rounding, which for the
        // series at −2.5 includes the cancellation in 0.5 − (…).
        Near(NormalDistribution.Cdf(2.5), NormalDistribution.Cdf(Math.BitDecrement(2.5)), 1e-15, "Φ across 2.5");
        Near(NormalDistribution.Cdf(-2.5), NormalDistribution.Cdf(Math.BitIncrement(-2.5)), 1e-13, "Φ across −2.5");
    }

    [Fact]
    public void Cdf_at_the_ends()
    {
        Assert.Equal(0, NormalDistribution.Cdf(double.NegativeInfinity));
        Assert.Equal(1, NormalDistribution.Cdf(double.PositiveInfinity));
        Assert.Equal(0, NormalDistribution.Cdf(-45));
        Assert.Equal(1, NormalDistribution.Cdf(45));
        Assert.True(double.IsNaN(NormalDistribution.Cdf(double.NaN)));
    }

    public static TheoryData<double, double> Quantiles => new()
    {
        { 0.5, 0 },
        { 0.975, 1.9599639845400542355 },
        { 0.025, -1.9599639845400542355 },
        { 0.99, 2.3263478740408411009 },
        { 0.6, 0.2533471031357997988 },
        { 0.3, -0.52440051270804078404 },
        { 1e-5, -4.2648907939228246285 },
        { 1e-10, -6.3613409024040562047 },
    };

    [Theory]
    [MemberData(nameof(Quantiles))]
    public void InverseCdf_matches_known_values(double p, double expected) =>
        Near(expected, NormalDistribution.InverseCdf(p), 1e-15, $"Φ⁻¹({p})");

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(1.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void InverseCdf_refuses_probabilities_outside_the_open_interval(double p) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => NormalDistribution.InverseCdf(p));

    [Fact]
    public void InverseCdf_undoes_Cdf_and_back()
    {
        // x → Φ(x) → x on the lower half, where Φ(x) keeps all its digits; beyond x ≈ 5, 1 − Φ(x) has lost some to
        // rounding near 1, and no quantile can get them back.
        for (var i = -3700; i <= 0; i++)
        {
            var x = i / 100.0;
            Near(x, NormalDistribution.InverseCdf(NormalDistribution.Cdf(x)), 1e-13, $"Φ⁻¹(Φ({x}))");
        }
        // p → Φ⁻¹(p) → p over the whole range, through each of the three regions of AS 241.
        for (var e = -300; e <= -1; e++)
        {
            var p = Math.Pow(10, e);
            Near(p, NormalDistribution.Cdf(NormalDistribution.InverseCdf(p)), 1e-12, $"Φ(Φ⁻¹({p}))");
            // 1 − p is 1 itself below about 1e-16.
            if (e >= -15) Near(1 - p, NormalDistribution.Cdf(NormalDistribution.InverseCdf(1 - p)), 1e-15, $"Φ(Φ⁻¹(1 − {p}))");
        }
        for (var i = 1; i < 1000; i++)
        {
            var p = i / 1000.0;
            Near(p, NormalDistribution.Cdf(NormalDistribution.InverseCdf(p)), 1e-13, $"Φ(Φ⁻¹({p}))");
        }
    }
}
