using System.Globalization;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Engine.Optimization;

/// <summary>
/// The tree-structured Parzen estimator of Bergstra, Bardenet, Bengio and Kégl (2011), one dimension at a time: the trials
/// seen so far are split into the best few ("below", density l) and the rest ("above", density g); each dimension's next
/// value is the one of a few candidates drawn from l that maximizes l(x) / g(x), which maximizes the expected improvement.
/// Numbers use adaptive Parzen windows (a truncated Gaussian per observation plus one wide prior); choices use counts
/// plus one. The first trials, and any with nothing to learn from, are drawn uniformly.
/// </summary>
internal sealed class TpeSampler(SearchSpace space, long seed)
{
    /// <summary>Trials drawn uniformly before the model is used.</summary>
    public const int StartupTrials = 10;

    /// <summary>Candidates drawn from l per dimension.</summary>
    public const int Candidates = 24;

    /// <summary>The size of the "below" group for n observations: 10 % of them, at least 1, at most 25.</summary>
    public static int BelowCount(int n) => Math.Clamp((int)Math.Ceiling(0.1 * n), 1, 25);

    /// <summary>Draws per trial before a point already tried is accepted again.</summary>
    public const int Retries = 8;

    /// <summary>
    /// The point for trial <paramref name="trial"/>, given the trials it may learn from (in trial order). On a grid the model
    /// often lands on a point already tried (the same backtest again): it then draws again, up to <see cref="Retries"/> times.
    /// </summary>
    public Dictionary<string, object> Suggest(int trial, IReadOnlyList<TrialRow> history)
    {
        HashSet<string>? tried = null;
        Dictionary<string, object> point = null!;
        for (var attempt = 0; attempt < Retries; attempt++)
        {
            point = Suggest(trial, attempt, history);
            if (trial < StartupTrials || history.Count == 0) return point;
            tried ??= [.. history.Select(r => TrialRow.KeyOf(r.Params))];
            if (!tried.Contains(TrialRow.KeyOf(point))) return point;
        }
        return point;
    }

    private Dictionary<string, object> Suggest(int trial, int attempt, IReadOnlyList<TrialRow> history)
    {
        var random = new SeededRandom(seed, attempt == 0 ? trial : trial ^ ((long)attempt << 40));
        var counted = 0;
        foreach (var row in history) if (row.Counts) counted++;
        if (trial < StartupTrials || counted == 0) return space.RandomPoint(ref random);

        // Best first; trials that do not count are the worst; ties keep trial order, so the split is deterministic.
        var ordered = history.OrderByDescending(r => r.Counts ? r.Objective!.Value : double.NegativeInfinity).ThenBy(r => r.Trial).ToList();
        var below = ordered.Take(Math.Min(BelowCount(counted), counted)).ToList();
        var above = ordered.Skip(below.Count).ToList();

        var point = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var d in space.Dimensions)
            point[d.Name] = d.Kind == ParameterKind.Choice ? SuggestChoice(d, below, above, ref random) : SuggestNumber(d, below, above, ref random);
        return point;
    }

    private static object SuggestChoice(SearchDimension d, List<TrialRow> below, List<TrialRow> above, ref SeededRandom random)
    {
        var l = ChoiceWeights(d, below);
        var g = ChoiceWeights(d, above);
        var best = 0;
        var bestScore = double.NegativeInfinity;
        for (var c = 0; c < Candidates; c++)
        {
            var k = Draw(l, ref random);
            var score = Math.Log(l[k]) - Math.Log(g[k]);
            if (score > bestScore) { bestScore = score; best = k; }
        }
        return d.Choices[best];
    }

    // P(choice) = (observations of it + 1) / (observations + choices): the +1 is the prior that keeps every choice possible.
    private static double[] ChoiceWeights(SearchDimension d, List<TrialRow> rows)
    {
        var weights = new double[d.Choices.Count];
        Array.Fill(weights, 1.0);
        foreach (var row in rows)
        {
            var value = row.Params[d.Name];
            for (var k = 0; k < weights.Length; k++)
                if (Equals(d.Choices[k], value)) { weights[k]++; break; }
        }
        var total = weights.Sum();
        for (var k = 0; k < weights.Length; k++) weights[k] /= total;
        return weights;
    }

    private static int Draw(double[] probabilities, ref SeededRandom random)
    {
        var u = random.NextDouble();
        for (var k = 0; k < probabilities.Length - 1; k++)
        {
            u -= probabilities[k];
            if (u < 0) return k;
        }
        return probabilities.Length - 1;
    }

    private static object SuggestNumber(SearchDimension d, List<TrialRow> below, List<TrialRow> above, ref SeededRandom random)
    {
        if (d.Min == d.Max) return d.Number(d.Min);
        // A stepped range owns half a step beyond each end, so its end values are as likely as the inner ones.
        var half = d.Step is { } step ? step / 2 : 0;
        var low = d.Min - half;
        var high = d.Max + half;
        var l = Parzen.Fit(Values(d, below), low, high);
        var g = Parzen.Fit(Values(d, above), low, high);
        var best = d.Number(l.Sample(ref random));
        var bestScore = double.NegativeInfinity;
        for (var c = 0; c < Candidates; c++)
        {
            var candidate = d.Number(l.Sample(ref random));
            var x = Convert.ToDouble(candidate, CultureInfo.InvariantCulture);
            var score = l.LogDensity(x) - g.LogDensity(x);
            if (score > bestScore) { bestScore = score; best = candidate; }
        }
        return best;
    }

    private static List<double> Values(SearchDimension d, List<TrialRow> rows)
    {
        var values = new List<double>(rows.Count);
        foreach (var row in rows) values.Add(Convert.ToDouble(row.Params[d.Name], CultureInfo.InvariantCulture));
        return values;
    }

    /// <summary>A mixture of equally weighted Gaussians truncated to [low, high]: one per observation and a wide prior.</summary>
    internal sealed class Parzen
    {
        private readonly double[] _mu, _sigma, _mass;
        private readonly double _low, _high;

        private Parzen(double[] mu, double[] sigma, double low, double high)
        {
            _mu = mu;
            _sigma = sigma;
            _low = low;
            _high = high;
            _mass = new double[mu.Length];
            for (var i = 0; i < mu.Length; i++)
                _mass[i] = Math.Max(NormalDistribution.Cdf((high - mu[i]) / sigma[i]) - NormalDistribution.Cdf((low - mu[i]) / sigma[i]), 1e-300);
        }

        /// <summary>
        /// The adaptive Parzen estimator: each observation's width is the larger distance to its neighbours (the prior at the
        /// middle of the range counts as one), clipped to [range / min(100, n + 1), range]; the prior is as wide as the range.
        /// </summary>
        public static Parzen Fit(List<double> observations, double low, double high)
        {
            var range = high - low;
            var prior = (low + high) / 2;
            var mu = new List<double>(observations) { prior };
            mu.Sort();
            var n = mu.Count;
            var sigma = new double[n];
            var minimum = range / Math.Min(100, n);
            var priorPlaced = false;
            for (var i = 0; i < n; i++)
            {
                if (!priorPlaced && mu[i] == prior)
                {
                    sigma[i] = range; // the prior
                    priorPlaced = true;
                    continue;
                }
                var left = i > 0 ? mu[i] - mu[i - 1] : mu[i] - low;
                var right = i < n - 1 ? mu[i + 1] - mu[i] : high - mu[i];
                sigma[i] = Math.Clamp(Math.Max(left, right), minimum, range);
            }
            return new Parzen([.. mu], sigma, low, high);
        }

        public double Sample(ref SeededRandom random)
        {
            var i = (int)random.Next(_mu.Length);
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var x = _mu[i] + _sigma[i] * random.NextGaussian();
                if (x >= _low && x <= _high) return x;
            }
            return Math.Clamp(_mu[i], _low, _high);
        }

        public double LogDensity(double x)
        {
            double sum = 0;
            for (var i = 0; i < _mu.Length; i++)
            {
                var z = (x - _mu[i]) / _sigma[i];
                sum += Math.Exp(-0.5 * z * z) / (_sigma[i] * Math.Sqrt(2 * Math.PI) * _mass[i]);
            }
            return Math.Log(Math.Max(sum / _mu.Length, 1e-300));
        }
    }
}
