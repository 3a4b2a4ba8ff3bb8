using Tickrunner.Engine.Events;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Engine.Tests;

/// <summary>Collects events synchronously, in emission order.</summary>
internal sealed class CollectingSink : IEventSink
{
    private readonly List<RunnerEvent> _events = [];

    public void Emit(in RunnerEvent runnerEvent)
    {
        lock (_events) _events.Add(runnerEvent);
    }

    public List<RunnerEvent> Snapshot()
    {
        lock (_events) return [.. _events];
    }

    public List<RunnerEvent> For(string runnerId) => Snapshot().Where(e => e.RunnerId == runnerId).ToList();
}

internal static class EngineTestKit
{
    /// <summary>An engine whose strategies come from Lua code keyed by strategy name.</summary>
    public static TradingEngine NewEngine(IEventSink? sink, IReadOnlyDictionary<string, string> strategies, EngineOptions? options = null,
        LuaSandboxOptions? sandbox = null, Trading.GlobalRisk? risk = null) =>
        new((definition, log) => LuaStrategy.FromCode(definition.StrategyName,
            strategies.TryGetValue(definition.StrategyName, out var code) ? code : throw new StrategyNotFoundException(definition.StrategyName),
            sandbox, log), sink, options, risk: risk);

    public static RunnerDefinition Definition(string id, string symbol = "BTCUSDT", string strategy = "scripted", bool stopOnError = false, int window = 100) =>
        new() { RunnerId = id, Symbol = symbol, StrategyName = strategy, WindowSize = window, Config = new RunnerConfig { StopOnError = stopOnError } };

    public static MarketData Bar(string symbol, long t, double close) =>
        new(symbol, t, close, close + 1, close - 1, close, 10, close - 0.1, close + 0.1);

    public static string Describe(RunnerEvent e) => e.Kind switch
    {
        RunnerEventKind.TickReceived => $"TickReceived {e.Data.Close}",
        RunnerEventKind.StateTransition => $"StateTransition {e.From}->{e.To} {e.Text}",
        RunnerEventKind.ActionExecuted => $"ActionExecuted {e.Action.Name}",
        RunnerEventKind.PositionOpened => $"PositionOpened {e.Position!.Side} {e.Position.EntryPrice}",
        RunnerEventKind.PositionUpdated => $"PositionUpdated {e.Price} {Math.Round(e.Pnl, 9)}",
        RunnerEventKind.PositionClosed => $"PositionClosed {e.Price} {Math.Round(e.Pnl, 9)} {e.Text}",
        RunnerEventKind.Error => $"Error {e.Severity} {e.Text}",
        _ => $"{e.Kind} {e.Text}",
    };
}
