using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tickrunner.Engine.Optimization;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Cli;

/// <summary><c>optimize</c>: searches a strategy's declared parameters by backtests, optionally walk-forward, with a results table.</summary>
internal static class OptimizeCommand
{
    public const string Usage = """
        optimize --strategy NAME|FILE --data DATASET|FILE|sample [--method grid|random|tpe] [--trials N] [--seed K]
                 [--objective sharpe|sortino|calmar|total_return_pct|profit_factor] [--min-trades N] [--max-drawdown PCT]
                 [--space NAME=MIN:MAX[:STEP]|NAME=A|B|…[,…]] [--patience N] [--top N] [--parallel N]
                 [--walk-forward train=BARS,test=BARS[,windows=N][,anchored]] [--json OUT]
                 and the backtest options: [--symbol S] [--from T] [--to T] [--window N] [--capital X] [--fee-bps F]
                 [--slippage-bps S] [--fill close|next_open] [--stops close|intrabar] [--params NAME=VALUE[,…]] [--keep-going]
                 [--max-position-notional X] [--max-quantity Q] [--max-entries-per-hour N] [--daily-loss-limit X]
                 [--flatten-on-daily-loss] [--max-drawdown-pct P]
        """;

    public static int Run(string[] argv)
    {
        var args = new CliArgs(argv, BacktestCommand.Flags);
        var settings = new OptimizationSettings
        {
            Method = Method(args.String("--method")),
            Trials = args.Integer("--trials") ?? 100,
            Seed = args.Integer("--seed") ?? 1,
            Objective = Objective(args.String("--objective")),
            MinTrades = args.Integer("--min-trades"),
            MaxDrawdownPct = args.Number("--max-drawdown"),
            Patience = args.Integer("--patience"),
            TopK = args.Integer("--top") ?? 10,
            Parallelism = args.Integer("--parallel") ?? Environment.ProcessorCount,
            Space = Space(args.String("--space")),
            WalkForward = WalkForward(args.String("--walk-forward")),
            Backtest = BacktestCommand.Settings(args),
        };
        var (name, code) = BacktestCommand.LoadStrategy(args.Required("--strategy"), args.String("--strategies") ?? CliArgs.FindStrategies());
        var (_, problems) = Optimizer.Space(name, code, settings);
        if (problems.Count > 0) throw new CliException(string.Join(" ", problems.Select(p => $"{Option(p.Key)}: {p.Value}")));
        var store = new Engine.Datasets.DatasetStore(Path.Combine(args.DataDirectory, "datasets"));
        var (dataName, bars) = BacktestCommand.LoadData(args.Required("--data"), args.String("--symbol"), store);

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        var bar = new ProgressBar("optimize");
        var clock = Stopwatch.StartNew();
        var result = Optimizer.Run(name, code, bars, settings, progress: p =>
        {
            var done = p.Window * (long)p.TrialsPlanned + p.TrialsDone;
            bar.Report(done, (long)p.TrialsPlanned * p.Windows, done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), "trials");
        }, cancellationToken: cancel.Token);
        var elapsed = clock.Elapsed.TotalSeconds;

        Console.WriteLine($"== {name} on {dataName}: {settings.Method.ToString().ToLowerInvariant()}, {result.Trials.Count:N0} trials"
            + (result.StoppedEarly ? $" (stopped early after {settings.Patience} without improvement)" : "")
            + $", objective {Optimizer.Name(settings.Objective)}" + (settings.WalkForward is null ? "" : ", trials of the last walk-forward window"));
        Console.Write(Table(result, settings.TopK));
        Console.Write(Guards(result));
        if (result.WalkForward is { } walkForward) Console.Write(WalkForwardTable(walkForward, settings.Objective));
        var trials = result.WalkForward?.Windows.Sum(w => w.Trials) ?? result.Trials.Count;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{trials:N0} trials in {elapsed:0.0} s: {trials / Math.Max(elapsed, 1e-9):0.0} trials/s over {settings.Parallelism} thread(s)"));

        if (args.String("--json") is { } output)
        {
            using (var file = File.Create(output)) JsonSerializer.Serialize(file, result, OptimizationJson.Default.OptimizationResult);
            Console.Error.WriteLine($"wrote {output}");
        }
        return result.Best is null ? 1 : 0;
    }

    /// <summary>The best trials, best first: rank, trial, each parameter, the objective and the headline metrics.</summary>
    internal static string Table(OptimizationResult result, int rows)
    {
        var names = result.Space.Select(d => d.Name).ToList();
        var header = new List<string> { "rank", "trial" };
        header.AddRange(names);
        header.AddRange(["objective", "return %", "sharpe", "max dd %", "trades"]);
        var lines = new List<List<string>> { header };
        var rank = 0;
        foreach (var row in result.Top.Take(rows))
        {
            var line = new List<string> { (++rank).ToString(CultureInfo.InvariantCulture), row.Trial.ToString(CultureInfo.InvariantCulture) };
            line.AddRange(names.Select(n => Value(row.Params[n])));
            line.AddRange([Number(row.Objective), Number(row.Report?.TotalReturnPct), Number(row.Report?.Sharpe), Number(row.Report?.MaxDrawdownPct),
                (row.Report?.Trades ?? 0).ToString(CultureInfo.InvariantCulture)]);
            lines.Add(line);
        }
        if (rank == 0) return "no trial met the constraints (see --json for every trial's reason)\n";
        return Align(lines);
    }

    private static string Guards(OptimizationResult result)
    {
        var text = new StringBuilder();
        if (result.DeflatedSharpe is { } dsr)
            text.Append(CultureInfo.InvariantCulture, $"deflated sharpe  {dsr.Probability:0.000}  (the chance the best trial's Sharpe ratio is above zero after allowing for having tried {dsr.Trials:N0} trials; below 0.95 it may be luck)\n");
        if (result.Overfitting is { } pbo)
            text.Append(CultureInfo.InvariantCulture, $"overfitting      {pbo.Probability:0.000}  (the probability of backtest overfitting: how often the best trial on half the data is below the median on the other half, over {pbo.Combinations:N0} splits)\n");
        return text.ToString();
    }

    private static string WalkForwardTable(WalkForwardResult walkForward, OptimizationObjective objective)
    {
        var lines = new List<List<string>> { new() { "window", "train", "test", "best", $"in-sample {Optimizer.Name(objective)}", "out-of-sample", "oos return %" } };
        foreach (var w in walkForward.Windows)
            lines.Add([w.Window.ToString(CultureInfo.InvariantCulture), $"{Date(w.TrainFrom)} → {Date(w.TrainTo)}", $"{Date(w.TestFrom)} → {Date(w.TestTo)}",
                w.Best is null ? "—" : string.Join(" ", w.Best.Params.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={Value(p.Value)}")),
                Number(w.InSampleObjective), Number(w.OutOfSampleObjective), Number(w.OutOfSample?.TotalReturnPct)]);
        var text = new StringBuilder("\nwalk-forward\n").Append(Align(lines));
        if (walkForward.OutOfSample is { } oos)
            text.Append(CultureInfo.InvariantCulture, $"stitched out-of-sample: return {Number(oos.TotalReturnPct)} %, sharpe {Number(oos.Sharpe)}, max drawdown {Number(oos.MaxDrawdownPct)} %, {oos.Trades} trades\n");
        return text.ToString();
    }

    private static string Align(List<List<string>> lines)
    {
        var widths = Enumerable.Range(0, lines[0].Count).Select(c => lines.Max(l => l[c].Length) + 2).ToArray();
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            for (var c = 0; c < line.Count; c++) text.Append(line[c].PadRight(widths[c]));
            text.Append('\n');
        }
        return text.ToString();
    }

    private static string Date(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
    private static string Number(double? v) => v is { } x ? x.ToString("0.000", CultureInfo.InvariantCulture) : "—";
    private static string Value(object value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";

    private static string Option(string field) => field switch
    {
        "max_drawdown_pct" => "--max-drawdown",
        "top_k" => "--top",
        "parallelism" => "--parallel",
        var f when f.StartsWith("space", StringComparison.Ordinal) => "--space",
        var f when f.StartsWith("walk_forward", StringComparison.Ordinal) => "--walk-forward",
        var f when f.StartsWith("params", StringComparison.Ordinal) => "--params",
        _ => BacktestCommand.Option(field),
    };

    private static OptimizationMethod Method(string? text) => text switch
    {
        null or "tpe" => OptimizationMethod.Tpe,
        "grid" => OptimizationMethod.Grid,
        "random" => OptimizationMethod.Random,
        _ => throw new CliException($"--method must be grid, random or tpe, got '{text}'."),
    };

    private static OptimizationObjective Objective(string? text) => text switch
    {
        null or "sharpe" => OptimizationObjective.Sharpe,
        "sortino" => OptimizationObjective.Sortino,
        "calmar" => OptimizationObjective.Calmar,
        "total_return_pct" => OptimizationObjective.TotalReturnPct,
        "profit_factor" => OptimizationObjective.ProfitFactor,
        _ => throw new CliException($"--objective must be sharpe, sortino, calmar, total_return_pct or profit_factor, got '{text}'."),
    };

    // "fast=5:30:1,slow=20:100:5,side=long|short,weight=0:1"
    private static Dictionary<string, ParameterRange>? Space(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var space = new Dictionary<string, ParameterRange>(StringComparer.Ordinal);
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var at = item.IndexOf('=');
            if (at <= 0) throw new CliException($"--space takes NAME=MIN:MAX[:STEP] or NAME=A|B|… separated by commas, got '{item}'.");
            var name = item[..at].Trim();
            var value = item[(at + 1)..].Trim();
            if (value.Contains('|', StringComparison.Ordinal) || !value.Contains(':', StringComparison.Ordinal) && !IsNumber(value))
            {
                space[name] = new ParameterRange { Choices = [.. value.Split('|', StringSplitOptions.TrimEntries).Select(Plain)] };
                continue;
            }
            var parts = value.Split(':');
            if (parts.Length is < 2 or > 3 || !parts.All(IsNumber))
                throw new CliException($"--space {name}: give MIN:MAX or MIN:MAX:STEP with numbers, got '{value}'.");
            var numbers = parts.Select(p => double.Parse(p, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
            space[name] = new ParameterRange { Min = numbers[0], Max = numbers[1], Step = numbers.Length == 3 ? numbers[2] : null };
        }
        return space;
    }

    // "train=5000,test=1000,windows=5,anchored"
    private static WalkForwardSettings? WalkForward(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        int? train = null, test = null, windows = null;
        var anchored = false;
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = item.Split('=', 2, StringSplitOptions.TrimEntries);
            int Count() => pair.Length == 2 && int.TryParse(pair[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
                : throw new CliException($"--walk-forward {pair[0]} needs a whole number, got '{item}'.");
            switch (pair[0])
            {
                case "train": train = Count(); break;
                case "test": test = Count(); break;
                case "windows": windows = Count(); break;
                case "anchored": anchored = true; break;
                case "rolling": anchored = false; break;
                default: throw new CliException($"--walk-forward takes train=BARS,test=BARS[,windows=N][,anchored|rolling], got '{item}'.");
            }
        }
        if (train is null || test is null) throw new CliException("--walk-forward needs train=BARS and test=BARS.");
        return new WalkForwardSettings { TrainBars = train.Value, TestBars = test.Value, Windows = windows, Anchored = anchored };
    }

    private static bool IsNumber(string text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static object Plain(string text) => IsNumber(text) ? double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)
        : text is "true" or "false" ? text == "true" : text;
}
