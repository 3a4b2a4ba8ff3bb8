using System.Globalization;
using Tickrunner.Engine.Datasets;

namespace Tickrunner.Cli;

/// <summary><c>data import|download|list|sample</c>: the dataset store under the server's data directory.</summary>
internal static class DataCommand
{
    public const string Usage = """
        data import FILE [--symbol S] [--interval I] [--id ID] [--overwrite] [--drop-duplicates] [--data-dir DIR]
        data download --symbol S --interval I --from T [--to T] [--id ID] [--base-url URL] [--data-dir DIR]
        data list [--data-dir DIR]
        data sample [--data-dir DIR]
        """;

    public static async Task<int> RunAsync(string[] argv)
    {
        var args = new CliArgs(argv.Skip(1), "--overwrite", "--drop-duplicates");
        var store = new DatasetStore(Path.Combine(args.DataDirectory, "datasets"));
        switch (argv.FirstOrDefault())
        {
            case "import":
                var file = args.Positional.FirstOrDefault() ?? throw new CliException("data import needs a CSV file.");
                var imported = store.Import(file, new DatasetImportOptions
                {
                    Symbol = args.String("--symbol"),
                    Interval = args.String("--interval"),
                    Id = args.String("--id"),
                    Overwrite = args.Has("--overwrite"),
                    DropExactDuplicates = args.Has("--drop-duplicates"),
                });
                var report = imported.Report;
                Console.WriteLine($"imported {report.Bars:N0} bars of {report.Symbol} {report.Interval} ({report.Format}, interval {report.IntervalSource}) as '{imported.Dataset.Id}'");
                if (report.GapCount > 0)
                {
                    Console.WriteLine($"{report.GapCount:N0} gap(s), {report.MissingBars:N0} missing bar(s):");
                    foreach (var gap in report.Gaps.Take(10)) Console.WriteLine($"  line {gap.Line}: {Time(gap.From)} → {Time(gap.To)} ({gap.Missing:N0} missing)");
                }
                if (report.DroppedDuplicates > 0) Console.WriteLine($"{report.DroppedDuplicates:N0} exact duplicate row(s) dropped");
                foreach (var warning in report.Warnings) Console.WriteLine($"warning: {warning}");
                return 0;
            case "download":
                var symbol = args.Required("--symbol");
                var interval = args.Required("--interval");
                var from = args.Time("--from") ?? throw new CliException("--from is required.");
                var to = args.Time("--to") ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var options = new BinanceDownloadOptions();
                if (args.String("--base-url") is { } url) options.BaseUrl = url;
                using (var downloader = new BinanceKlineDownloader(store, options))
                {
                    var bar = new ProgressBar($"{symbol} {interval}");
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    using var cancel = new CancellationTokenSource();
                    Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
                    var result = await downloader.DownloadAsync(symbol, interval, from, to, args.String("--id"),
                        new InlineProgress<DownloadProgress>(p => bar.Report(p.Fetched, Math.Max(p.Expected, p.Fetched), p.Fetched / Math.Max(clock.Elapsed.TotalSeconds, 1e-9))),
                        cancel.Token);
                    Console.WriteLine(result.Dataset is { } d
                        ? $"'{d.Id}': {d.Bars:N0} bars from {Time(d.First)} to {Time(d.Last)} ({result.Fetched:N0} fetched in {result.Requests} request(s), {result.Retries} retries)"
                        : "nothing to fetch");
                }
                return 0;
            case "list":
                var datasets = store.List();
                if (datasets.Count == 0) Console.WriteLine($"no datasets in {store.Directory} (data import, data download or data sample make one)");
                foreach (var d in datasets)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{d.Id,-24} {d.Symbol,-10} {d.Interval,-4} {d.Bars,12:N0} bars  {Time(d.First)} → {Time(d.Last)}  {d.Gaps:N0} gap(s)"));
                return 0;
            case "sample":
                var sample = SampleDataset.Load(store, Console.WriteLine);
                Console.WriteLine($"'{SampleDataset.Id}': {sample.Count:N0} bars of {sample.Symbol} {sample.Interval}");
                return 0;
            default:
                throw new CliException("data needs a subcommand: import, download, list or sample.");
        }
    }

    private static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    // Progress<T> posts to the thread pool; this reports on the caller's thread, in order.
    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
