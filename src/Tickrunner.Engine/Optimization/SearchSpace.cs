using System.Globalization;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Engine.Optimization;

/// <summary>One searched parameter: a stepped or continuous numeric range, or a list of choices.</summary>
public sealed record SearchDimension
{
    /// <summary>The parameter's name.</summary>
    public required string Name { get; init; }

    /// <summary>Number, Integer or Choice.</summary>
    public required ParameterKind Kind { get; init; }

    /// <summary>Smallest value (numbers).</summary>
    public double Min { get; init; }

    /// <summary>Largest value (numbers).</summary>
    public double Max { get; init; }

    /// <summary>The grid step (numbers); null for a continuous range.</summary>
    public double? Step { get; init; }

    /// <summary>The values of a choice.</summary>
    public IReadOnlyList<object> Choices { get; init; } = [];

    /// <summary>How many values the dimension has; null for a continuous range.</summary>
    public long? Count => Kind == ParameterKind.Choice ? Choices.Count
        : Step is { } step ? (long)Math.Floor((Max - Min) / step + 1e-9) + 1
        : Min == Max ? 1 : null;

    /// <summary>The k-th value (0-based) of a stepped range or a choice list.</summary>
    public object ValueAt(long k) => Kind == ParameterKind.Choice ? Choices[(int)k] : Number(Min + k * (Step ?? 0));

    /// <summary>A numeric coordinate as this parameter's value: snapped to the grid and clamped, an integer for an Integer.</summary>
    public object Number(double x)
    {
        x = Math.Clamp(x, Min, Max);
        if (Step is { } step)
        {
            var k = Math.Clamp(Math.Round((x - Min) / step), 0, Count!.Value - 1);
            // 15 significant digits drop the noise of min + k·step (0.1 + 2·0.1 is 0.30000000000000004).
            x = double.Parse((Min + k * step).ToString("G15", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        }
        return Kind == ParameterKind.Integer ? (object)(long)Math.Round(x) : x;
    }
}

/// <summary>The parameters an optimization searches, built from a strategy's declarations and the ranges asked for.</summary>
public sealed class SearchSpace
{
    private SearchSpace(IReadOnlyList<SearchDimension> dimensions) => Dimensions = dimensions;

    /// <summary>The searched parameters, in name order.</summary>
    public IReadOnlyList<SearchDimension> Dimensions { get; }

    /// <summary>Points of the full grid; null when a dimension is continuous; saturates at long.MaxValue.</summary>
    public long? GridSize
    {
        get
        {
            long size = 1;
            foreach (var d in Dimensions)
            {
                if (d.Count is not { } count) return null;
                size = size > long.MaxValue / Math.Max(count, 1) ? long.MaxValue : size * count;
            }
            return size;
        }
    }

    /// <summary>A space over <paramref name="dimensions"/> as given (tests, synthetic objectives).</summary>
    public static SearchSpace Of(params SearchDimension[] dimensions) =>
        new([.. dimensions.OrderBy(d => d.Name, StringComparer.Ordinal)]);

    /// <summary>
    /// The space over <paramref name="declared"/> restricted by <paramref name="ranges"/> (every declared parameter when
    /// null), less the parameters <paramref name="fixedValues"/> sets. Problems are keyed <c>space.NAME</c>.
    /// </summary>
    public static (SearchSpace? Space, Dictionary<string, string> Problems) From(IReadOnlyList<StrategyParameter> declared,
        IReadOnlyDictionary<string, ParameterRange>? ranges, IReadOnlyDictionary<string, object>? fixedValues)
    {
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        if (declared.Count == 0)
        {
            problems["space"] = "The strategy declares no parameters (a global params table), so there is nothing to optimize.";
            return (null, problems);
        }
        var byName = declared.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var dimensions = new List<SearchDimension>();
        if (ranges is not null)
        {
            foreach (var name in ranges.Keys.Where(n => !byName.ContainsKey(n)))
                problems[$"space.{name}"] = $"The strategy has no parameter '{name}'; it declares {string.Join(", ", declared.Select(p => p.Name))}.";
            foreach (var name in ranges.Keys.Where(n => fixedValues?.ContainsKey(n) == true))
                problems[$"space.{name}"] = $"'{name}' is both searched and given a fixed value in params; choose one.";
        }
        var searched = ranges is null
            ? declared.Where(p => fixedValues?.ContainsKey(p.Name) != true)
            : declared.Where(p => ranges.ContainsKey(p.Name));
        foreach (var parameter in searched.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var range = ranges?.GetValueOrDefault(parameter.Name) ?? new ParameterRange();
            var (dimension, problem) = Dimension(parameter, range);
            if (problem is not null) problems[$"space.{parameter.Name}"] = problem;
            else dimensions.Add(dimension!);
        }
        if (problems.Count == 0 && dimensions.Count == 0)
            problems["space"] = ranges is { Count: 0 }
                ? "space names no parameter: name at least one, or leave space out to search every declared one."
                : "No parameter is left to search: every declared one has a fixed value in params.";
        return problems.Count > 0 ? (null, problems) : (new SearchSpace(dimensions), problems);
    }

    private static (SearchDimension? Dimension, string? Problem) Dimension(StrategyParameter p, ParameterRange range)
    {
        if (p.Kind == ParameterKind.Choice)
        {
            if (range.Min is not null || range.Max is not null || range.Step is not null)
                return (null, $"{p.Name} is a choice: give choices, not min, max or step.");
            var choices = new List<object>();
            foreach (var value in range.Choices ?? p.Choices!)
            {
                var (ok, problem) = p.Check(StrategyParameter.Plain(value));
                if (problem is not null) return (null, problem);
                if (!choices.Contains(ok!)) choices.Add(ok!);
            }
            if (choices.Count == 0) return (null, $"{p.Name} needs at least one choice.");
            return (new SearchDimension { Name = p.Name, Kind = p.Kind, Choices = choices }, null);
        }
        if (range.Choices is not null) return (null, $"{p.Name} is a number: give min, max and step, not choices.");
        var min = range.Min ?? p.Min!.Value;
        var max = range.Max ?? p.Max!.Value;
        var step = range.Step ?? p.Step;
        if (min > max) return (null, $"{p.Name}: min ({StrategyParameter.Show(min)}) is above max ({StrategyParameter.Show(max)}).");
        if (step is { } s)
        {
            if (!double.IsFinite(s) || s <= 0) return (null, $"{p.Name}: step must be a positive number, got {StrategyParameter.Show(s)}.");
            if (p.Step is { } declaredStep && !StrategyParameter.OnGrid(s, 0, declaredStep))
                return (null, $"{p.Name}: step must be a multiple of the declared step {StrategyParameter.Show(declaredStep)}, got {StrategyParameter.Show(s)}.");
        }
        foreach (var end in new[] { min, max })
            if (p.Check(p.Kind == ParameterKind.Integer && Math.Floor(end) == end ? (object)(long)end : end).Problem is { } problem)
                return (null, problem);
        return (new SearchDimension { Name = p.Name, Kind = p.Kind, Min = min, Max = max, Step = step }, null);
    }

    /// <summary>Grid point <paramref name="index"/>: the last dimension varies fastest.</summary>
    public Dictionary<string, object> GridPoint(long index)
    {
        var point = new Dictionary<string, object>(StringComparer.Ordinal);
        for (var d = Dimensions.Count - 1; d >= 0; d--)
        {
            var count = Dimensions[d].Count!.Value;
            point[Dimensions[d].Name] = Dimensions[d].ValueAt(index % count);
            index /= count;
        }
        return point;
    }

    /// <summary>A point drawn uniformly.</summary>
    internal Dictionary<string, object> RandomPoint(ref SeededRandom random)
    {
        var point = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var d in Dimensions)
            point[d.Name] = d.Count is { } count ? d.ValueAt(random.Next(count)) : d.Number(d.Min + random.NextDouble() * (d.Max - d.Min));
        return point;
    }
}
