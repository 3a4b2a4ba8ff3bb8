using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tickrunner.Engine;
using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Cli;

/// <summary><c>backtest</c>: strategies × datasets, in parallel over the cores, with a report table and optional JSON.</summary>
internal static class BacktestCommand
{
    public const string Usage = """
        backtest --strategy NAME|FILE[,…] --data DATASET|FILE|sample[,…] [--symbol S] [--from T] [--to T] [--window N]
                 [--capital X] [--fee-bps F] [--slippage-bps S] [--fill close|next_open] [--stops close|intrabar]
                 [--params NAME=VALUE[,…]] [--max-position-notional X] [--max-quantity Q] [--max-entries-per-hour N]
                 [--daily-loss-limit X] [--flatten-on-daily-loss] [--max-drawdown-pct P]
                 [--keep-going] [--json OUT] [--parallel N] [--data-dir DIR] [--strategies DIR]
        """;

    /// <summary>The switches (options without a value) of the commands that run backtests.</summary>
    internal static readonly string[] Flags = ["--keep-going", "--flatten-on-daily-loss"];

    private sealed record Job(string StrategyName, string Code, string DataName, IReadOnlyList<MarketData> Bars);

    public static int Run(string[] argv)
    {
        var args = new CliArgs(argv, Flags);
        var settings = Settings(args);
        if (settings.Problems() is { Count: > 0 } problems)
            throw new CliException(string.Join(" ", problems.Select(p => $"{Option(p.Key)}: {p.Value}")));

        var strategies = Split(args.Required("--strategy")).Select(s => LoadStrategy(s, args.String("--strategies") ?? CliArgs.FindStrategies())).ToList();
        var store = new DatasetStore(Path.Combine(args.DataDirectory, "datasets"));
        var data = Split(args.Required("--data")).Select(d => LoadData(d, args.String("--symbol"), store)).ToList();
        var jobs = (from s in strategies from d in data select new Job(s.Name, s.Code, d.Name, d.Bars)).ToList();
        var parallel = Math.Clamp(args.Integer("--parallel") ?? 1, 1, Environment.ProcessorCount * 4);

        var bar = new ProgressBar(jobs.Count == 1 ? "backtest" : $"{jobs.Count} backtests");
        var totalBars = jobs.Sum(j => (long)j.Bars.Count);
        var doneBars = new long[jobs.Count];
        var clock = Stopwatch.StartNew();
        var results = new (BacktestResult? Result, string? Error)[jobs.Count];
        Parallel.For(0, jobs.Count, new ParallelOptions { MaxDegreeOfParallelism = parallel }, i =>
        {
            var job = jobs[i];
            try
            {
                results[i] = (Backtest.Run(job.StrategyName, job.Code, job.Bars, settings, progress: p =>
                {
                    Interlocked.Exchange(ref doneBars[i], p.BarsDone);
                    var done = doneBars.Sum();
                    bar.Report(done, totalBars, done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
                }), null);
            }
            catch (Exception e) when (e is StrategyLoadException or StrategyParameterException)
            {
                results[i] = (null, e.Message);
            }
        });
        var elapsed = clock.Elapsed.TotalSeconds;
        var processed = results.Sum(r => (long)(r.Result?.BarsDone ?? 0));
        bar.Report(totalBars, totalBars, processed / Math.Max(elapsed, 1e-9));

        var failed = false;
        for (var i = 0; i < jobs.Count; i++)
        {
            var (result, error) = results[i];
            Console.WriteLine($"== {jobs[i].StrategyName} on {jobs[i].DataName}");
            if (result is null)
            {
                failed = true;
                Console.WriteLine($"   did not load: {error}");
                continue;
            }
            if (result.Failed)
            {
                failed = true;
                Console.WriteLine($"   failed after {result.BarsDone:N0} bars: {result.Error}");
            }
            Console.Write(result.Report.ToTable());
            if (result.Report.RiskRejections is { } refused)
                Console.WriteLine("   risk refusals: " + (refused.Count == 0 ? "none" : string.Join(", ", refused.Select(r => $"{r.Key} {r.Value:N0}"))));
            if (result.RiskStop is { } stop) Console.WriteLine($"   stopped by the risk limits: {stop}");
            Console.WriteLine();
        }
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{processed:N0} bars in {elapsed:0.000} s: {processed / Math.Max(elapsed, 1e-9):N0} bars/s over {Math.Min(parallel, jobs.Count)} thread(s)"));

        if (args.String("--json") is { } output)
        {
            using var file = File.Create(output);
            using var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = false });
            json.WriteStartArray();
            for (var i = 0; i < jobs.Count; i++)
            {
                if (results[i].Result is not { } r) continue;
                json.WriteStartObject();
                json.WriteString("strategy", jobs[i].StrategyName);
                json.WriteString("data", jobs[i].DataName);
                json.WriteString("status", r.Failed ? "failed" : "done");
                if (r.Error is not null) json.WriteString("error", r.Error);
                json.WritePropertyName("settings");
                JsonSerializer.Serialize(json, settings, BacktestJson.Default.BacktestSettings);
                json.WritePropertyName("report");
                JsonSerializer.Serialize(json, r.Report, BacktestJson.Default.BacktestReport);
                json.WritePropertyName("trades");
                JsonSerializer.Serialize(json, r.Trades, BacktestJson.Default.IReadOnlyListBacktestTrade);
                json.WriteStartArray("equity");
                for (var k = 0; k < r.Equity.Count; k++)
                {
                    json.WriteStartArray();
                    json.WriteNumberValue(r.Times[k]);
                    json.WriteNumberValue(r.Equity[k]);
                    json.WriteEndArray();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            Console.Error.WriteLine($"wrote {output}");
        }
        return failed ? 1 : 0;
    }

    /// <summary>The backtest options every command that runs backtests takes (--capital … --params, --keep-going).</summary>
    internal static BacktestSettings Settings(CliArgs args) => new()
    {
        Account = AccountSettings.With(args.Number("--capital"), args.Number("--fee-bps"), args.Number("--slippage-bps"), Fill(args), Stops(args)),
        WindowSize = args.Integer("--window") ?? Engine.Runners.RunnerDefinition.DefaultWindowSize,
        From = args.Time("--from"),
        To = args.Time("--to"),
        StopOnError = !args.Has("--keep-going"),
        Params = Parameters(args.String("--params")),
        Risk = Risk(args),
    };

    // --max-quantity … --max-drawdown-pct, as the risk object of the API names them; null when none is given.
    private static RiskLimits? Risk(CliArgs args)
    {
        var limits = new RiskLimits
        {
            MaxPositionNotional = args.Number("--max-position-notional"),
            MaxQuantity = args.Number("--max-quantity"),
            MaxEntriesPerHour = args.Integer("--max-entries-per-hour"),
            DailyLossLimit = args.Number("--daily-loss-limit"),
            FlattenOnDailyLoss = args.Has("--flatten-on-daily-loss"),
            MaxDrawdownPct = args.Number("--max-drawdown-pct"),
        };
        return limits.Any ? limits : null;
    }

    // "fast=12,slow=30,mode=trend": numbers (invariant), true/false, or text.
    private static IReadOnlyDictionary<string, object>? Parameters(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var values = new SortedDictionary<string, object>(StringComparer.Ordinal); // in name order, as the server keeps them (the digest hashes them)
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var at = pair.IndexOf('=');
            if (at <= 0) throw new CliException($"--params takes NAME=VALUE pairs separated by commas, got '{pair}'.");
            var name = pair[..at].Trim();
            var value = pair[(at + 1)..].Trim();
            values[name] = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number
                : value is "true" or "false" ? value == "true"
                : value;
        }
        return values;
    }

    private static FillTiming? Fill(CliArgs args) => args.String("--fill") switch
    {
        null => null,
        "close" => FillTiming.Close,
        "next_open" => FillTiming.NextOpen,
        var other => throw new CliException($"--fill must be close or next_open, got '{other}'."),
    };

    private static StopTiming? Stops(CliArgs args) => args.String("--stops") switch
    {
        null => null,
        "close" => StopTiming.Close,
        "intrabar" => StopTiming.Intrabar,
        var other => throw new CliException($"--stops must be close or intrabar, got '{other}'."),
    };

    internal static string Option(string field) => field switch
    {
        "initial_capital" => "--capital",
        "window_size" => "--window",
        _ => "--" + field.Replace('_', '-'),
    };

    private static IEnumerable<string> Split(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // A .lua file, or a shipped strategy by name.
    internal static (string Name, string Code) LoadStrategy(string nameOrFile, string strategiesDirectory)
    {
        if (File.Exists(nameOrFile)) return (Path.GetFileNameWithoutExtension(nameOrFile), File.ReadAllText(nameOrFile));
        var shipped = Path.Combine(strategiesDirectory, nameOrFile + ".lua");
        if (StrategyName.IsValid(nameOrFile) && File.Exists(shipped)) return (nameOrFile, File.ReadAllText(shipped));
        throw new CliException($"There is no strategy '{nameOrFile}': give a .lua file or the name of one in {strategiesDirectory}.");
    }

    // "sample", a dataset id of the store, or a CSV file (imported on the fly, not stored).
    internal static (string Name, IReadOnlyList<MarketData> Bars) LoadData(string name, string? symbol, DatasetStore store)
    {
        if (name == SampleDataset.Id) return (name, SampleDataset.Load(store, Console.Error.WriteLine));
        if (DatasetStore.IsValidId(name) && store.Find(name) is not null) return (name, store.Load(name));
        if (File.Exists(name))
        {
            var csv = BarCsvReader.Read(name, new DatasetImportOptions { Symbol = symbol });
            if (!csv.Report.Accepted) throw new CliException($"{name} cannot be used: {string.Join("; ", csv.Report.Warnings)}");
            return (Path.GetFileName(name), csv.Series);
        }
        throw new CliException($"There is no dataset or file '{name}'; `data list` shows the datasets in {store.Directory}.");
    }
}
