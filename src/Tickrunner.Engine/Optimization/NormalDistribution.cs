namespace Tickrunner.Engine.Optimization;

/// <summary>The standard normal distribution's cumulative distribution function and its inverse, both to about 1e-13 relative or better.</summary>
public static class NormalDistribution
{
    private const double InverseSqrtTwoPi = 0.398942280401432677939946059934;

    // Below it the Taylor series, above it the continued fraction: at 2.5 the series still loses only about two digits
    // to the cancellation in 0.5 − (…) for negative x, and the continued fraction needs at most about 80 terms.
    private const double SeriesLimit = 2.5;

    /// <summary>Φ(x), the probability that a standard normal variable is at most <paramref name="x"/>.</summary>
    public static double Cdf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        var a = Math.Abs(x);
        // Φ(−38.5) is below the smallest subnormal double; Φ(8.3) already rounds to 1.
        if (a > 40) return x > 0 ? 1 : 0;
        if (a < SeriesLimit)
        {
            var half = Density(a) * Series(a);
            return x >= 0 ? 0.5 + half : 0.5 - half;
        }
        // The upper tail Q(a) = φ(a) R(a) directly, so a small Φ(−a) keeps its relative precision.
        var tail = Density(a) * MillsRatio(a);
        return x > 0 ? 1 - tail : tail;
    }

    /// <summary>Φ⁻¹(p), the quantile of the standard normal distribution (Wichura's AS 241, PPND16: about 1e-16 relative).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is not strictly between 0 and 1.</exception>
    public static double InverseCdf(double p)
    {
        if (!(p > 0 && p < 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "p must be strictly between 0 and 1.");
        // Wichura, "The percentage points of the normal distribution", Applied Statistics 37 (1988), 477–484:
        // a rational approximation in (p − ½)² in the centre, and two in √(−ln min(p, 1 − p)) in the tails.
        var q = p - 0.5;
        if (Math.Abs(q) <= 0.425)
        {
            var r = 0.180625 - q * q;
            return q * Polynomial(r, Central) / Polynomial(r, CentralDenominator);
        }
        var s = Math.Sqrt(-Math.Log(q < 0 ? p : 1 - p));
        var x = s <= 5
            ? Polynomial(s - 1.6, Intermediate) / Polynomial(s - 1.6, IntermediateDenominator)
            : Polynomial(s - 5, Far) / Polynomial(s - 5, FarDenominator);
        return q < 0 ? -x : x;
    }

    // φ(a) for a ≥ 0. a² is split so that its rounding error is not multiplied by a²/2 in the exponent: the part of a on a
    // 1/16 grid squares exactly, and the rest, (a − h)(a + h), is small.
    private static double Density(double a)
    {
        var h = Math.Floor(a * 16) / 16;
        return InverseSqrtTwoPi * Math.Exp(-h * h / 2) * Math.Exp(-(a - h) * (a + h) / 2);
    }

    // Φ(a) − ½ = φ(a) · Σₙ a^(2n+1) / (1·3·5···(2n+1)): every term is positive, so the sum has no cancellation of its own.
    private static double Series(double a)
    {
        var a2 = a * a;
        double term = a, sum = a;
        for (var n = 1; n < 200; n++)
        {
            term *= a2 / (2 * n + 1);
            var next = sum + term;
            if (next == sum) break;
            sum = next;
        }
        return sum;
    }

    // Mills' ratio Q(a)/φ(a) = 1/(a + 1/(a + 2/(a + 3/(a + …)))) (Laplace's continued fraction), evaluated forwards with
    // the modified Lentz method so the number of terms need not be fixed in advance.
    private static double MillsRatio(double a)
    {
        double f = a, c = a, d = 0;
        for (var k = 1; k < 1000; k++)
        {
            d = 1 / (a + k * d);
            c = a + k / c;
            var delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return 1 / f;
    }

    // c₀ + c₁x + … by Horner's rule.
    private static double Polynomial(double x, ReadOnlySpan<double> coefficients)
    {
        var result = 0.0;
        for (var i = coefficients.Length - 1; i >= 0; i--) result = result * x + coefficients[i];
        return result;
    }

    // AS 241's coefficients, lowest power first (A, B, C, D, E, F in the paper).
    private static ReadOnlySpan<double> Central =>
    [
        3.3871328727963666080e0, 1.3314166789178437745e+2, 1.9715909503065514427e+3, 1.3731693765509461125e+4,
        4.5921953931549871457e+4, 6.7265770927008700853e+4, 3.3430575583588128105e+4, 2.5090809287301226727e+3,
    ];

    private static ReadOnlySpan<double> CentralDenominator =>
    [
        1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2, 5.3941960214247511077e+3,
        2.1213794301586595867e+4, 3.9307895800092710610e+4, 2.8729085735721942674e+4, 5.2264952788528545610e+3,
    ];

    private static ReadOnlySpan<double> Intermediate =>
    [
        1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0, 3.64784832476320460504e0,
        1.27045825245236838258e0, 2.41780725177450611770e-1, 2.27238449892691845833e-2, 7.74545014278341407640e-4,
    ];

    private static ReadOnlySpan<double> IntermediateDenominator =>
    [
        1.0, 2.05319162663775882187e0, 1.67638483018380384940e0, 6.89767334985100004550e-1,
        1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4, 1.05075007164441684324e-9,
    ];

    private static ReadOnlySpan<double> Far =>
    [
        6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0, 2.96560571828504891230e-1,
        2.65321895265761230930e-2, 1.24266094738807843860e-3, 2.71155556874348757815e-5, 2.01033439929228813265e-7,
    ];

    private static ReadOnlySpan<double> FarDenominator =>
    [
        1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
        7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7, 2.04426310338993978564e-15,
    ];
}
