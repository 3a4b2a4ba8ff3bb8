using BenchmarkDotNet.Attributes;
using Tickrunner.Engine;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Benchmarks;

/// <summary>One tick through the shipped ema_crossover strategy (window 100), and loading a strategy.</summary>
[MemoryDiagnoser]
public class LuaStrategyBenchmarks
{
    private BarTape _tape = null!;
    private MarketDataWindow _window = null!;
    private LuaStrategy _strategy = null!;
    private string _code = null!;

    [GlobalSetup]
    public void Setup()
    {
        _tape = new BarTape();
        _window = _tape.Window;
        _code = File.ReadAllText(Path.Combine(HarnessArgs.StrategiesDirectory(), "ema_crossover.lua"));
        _strategy = LuaStrategy.FromCode("ema_crossover", _code);
    }

    [GlobalCleanup]
    public void Cleanup() => _strategy.Dispose();

    /// <summary>Idle: detect_opportunity computes two EMAs over 100 bars and updates context.</summary>
    [Benchmark(Baseline = true)]
    public StrategyResult EmaCrossoverTick()
    {
        ref readonly var bar = ref _tape.Next();
        _window.Push(bar);
        return _strategy.OnTick(TradingState.Idle, bar, _window);
    }

    /// <summary>InPosition: manage_position, which also returns nil unless the EMAs cross down.</summary>
    [Benchmark]
    public StrategyResult EmaCrossoverManageTick()
    {
        ref readonly var bar = ref _tape.Next();
        _window.Push(bar);
        return _strategy.OnTick(TradingState.InPosition, bar, _window);
    }

    /// <summary>New Lua state, sandbox prelude, compile and run the chunk, check the entry points, close.</summary>
    [Benchmark]
    public void LoadStrategy()
    {
        using var strategy = LuaStrategy.FromCode("ema_crossover", _code);
    }
}
