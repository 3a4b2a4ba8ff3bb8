using Tickrunner.Cli;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Strategies;

// dotnet run --project src/Tickrunner.Cli -- COMMAND …   (no command: the console demo)
try
{
    return args.FirstOrDefault() switch
    {
        "backtest" => BacktestCommand.Run(args[1..]),
        "data" => await DataCommand.RunAsync(args[1..]),
        "demo" => await DemoCommand.RunAsync(args[1..]),
        "keys" => KeysCommand.Run(args[1..]),
        "optimize" => OptimizeCommand.Run(args[1..]),
        "help" or "--help" or "-h" => Help(),
        null => await DemoCommand.RunAsync(args),
        var first when first.StartsWith("--", StringComparison.Ordinal) => await DemoCommand.RunAsync(args),
        var other => throw new CliException($"Unknown command '{other}'."),
    };
}
catch (Exception e) when (e is CliException or ArgumentException or Tickrunner.Engine.Feeds.CsvFormatException or DatasetImportException
                           or InvalidOperationException or KeyNotFoundException or StrategyLoadException or IOException or BinanceDownloadException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    if (e is CliException) Console.Error.WriteLine("usage: see `dotnet run --project src/Tickrunner.Cli -- help`");
    return 2;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("cancelled (what was fetched or written so far is kept)");
    return 130;
}

static int Help()
{
    Console.WriteLine("Tickrunner command line: dotnet run --project src/Tickrunner.Cli -- COMMAND …\n");
    Console.WriteLine(BacktestCommand.Usage);
    Console.WriteLine(DataCommand.Usage);
    Console.WriteLine(DemoCommand.Usage);
    Console.WriteLine(KeysCommand.Usage);
    Console.WriteLine(OptimizeCommand.Usage);
    Console.WriteLine("\nTimes (--from, --to) are Unix milliseconds or dates like 2024-01-31 or 2024-01-31T12:00:00Z (UTC).");
    Console.WriteLine("DIR for --data-dir (--data for keys) is the server's DataDirectory (default ./data); datasets live in DIR/datasets, keys in DIR/tickrunner.db.");
    return 0;
}
