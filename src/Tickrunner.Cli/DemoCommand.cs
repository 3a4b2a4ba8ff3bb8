using System.Text;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Cli;

/// <summary>The engine without a server: N runners on the simulated feed, events printed as they happen.</summary>
internal static class DemoCommand
{
    public const string Usage = "demo [--runners 6] [--seconds 20] [--interval-ms 100] [--ticks] [--strategies DIR] [--strategy NAME]";

    public static async Task<int> RunAsync(string[] args)
    {
        var runners = IntArg("--runners", 6);
        var seconds = IntArg("--seconds", 20);
        var intervalMs = IntArg("--interval-ms", 100);
        var showTicks = args.Contains("--ticks");
        var strategiesDirectory = StringArg("--strategies", CliArgs.FindStrategies());
        var onlyStrategy = StringArg("--strategy", "");

        var uploads = Directory.CreateTempSubdirectory("tickrunner-cli-").FullName;
        var catalog = new StrategyCatalog(strategiesDirectory, new DirectoryStrategyStore(uploads));
        var strategies = onlyStrategy.Length > 0 ? [onlyStrategy] : catalog.List().Select(s => s.Name).ToArray();
        if (strategies.Length == 0)
        {
            Console.Error.WriteLine($"No strategies found in {strategiesDirectory}; pass --strategies DIR.");
            return 2;
        }

        var feed = new SimulatedFeed(new SimulatedFeedOptions { TickInterval = TimeSpan.FromMilliseconds(intervalMs) });
        await using var hub = new EventHub();
        using var subscription = hub.Subscribe(showTicks ? EventFilter.All
            : new EventFilter([], [], Enum.GetValues<RunnerEventKind>().Where(k => k is not (RunnerEventKind.TickReceived or RunnerEventKind.PositionUpdated))));
        await using var engine = new TradingEngine(catalog, hub);
        for (var i = 0; i < runners; i++)
        {
            var symbol = feed.Symbols[i % feed.Symbols.Count];
            var strategy = strategies[i % strategies.Length];
            engine.AddRunner(new RunnerDefinition { RunnerId = $"{symbol.ToLowerInvariant()}_{strategy}_{i}", Symbol = symbol, StrategyName = strategy });
        }
        Console.WriteLine($"{runners} runners on {string.Join(", ", engine.Symbols)} with {string.Join(", ", strategies)}; {seconds} s of simulated bars every {intervalMs} ms. Ctrl+C stops.");

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        var printer = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in subscription.ReadAllAsync(stop.Token))
                    Console.WriteLine(Encoding.UTF8.GetString(message.Json));
            }
            catch (OperationCanceledException)
            {
            }
        });
        try
        {
            await engine.RunFeedAsync(feed, engine.Symbols, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        await printer;

        Console.WriteLine();
        Console.WriteLine($"{"runner",-34} {"state",-10} {"ticks",6} {"actions",7} {"errors",6} {"position",-22}");
        foreach (var s in await engine.GetAllSnapshotsAsync())
        {
            var position = s.Position is { } p ? $"{p.Side} {p.Quantity} @ {p.EntryPrice} ({p.UnrealizedPnl:+0.00;-0.00})" : "-";
            Console.WriteLine($"{s.RunnerId,-34} {s.State,-10} {s.Stats.TicksProcessed,6} {s.Stats.ActionsExecuted,7} {s.Stats.Errors,6} {position,-22}");
        }
        Directory.Delete(uploads, recursive: true);
        return 0;

        int IntArg(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
        }

        string StringArg(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
    }
}
