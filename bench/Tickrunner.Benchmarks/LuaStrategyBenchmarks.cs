using BenchmarkDotNet.Attributes;
using Tickrunner.Engine;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Benchmarks;

/// <summary>One tick through the shipped ema_crossover strategy (window 100), and loading a strategy.</summary>
[MemoryDiagnoser]
public class LuaStrategyBenchmarks
{
    private const int WindowSize = 100;
    private readonly MarketData[] _bars = new MarketData[4096];
    private MarketDataWindow _window = null!;
    private LuaStrategy _strategy = null!;
    private string _code = null!;
    private int _i;

    internal static string StrategiesDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Tickrunner.slnx"))) return Path.Combine(dir.FullName, "strategies");
        throw new DirectoryNotFoundException("Run the benchmarks from inside the repository.");
    }

    [GlobalSetup]
    public void Setup()
    {
        var series = new SimulatedFeed().CreateSeries("BTCUSDT", 0);
        for (var i = 0; i < _bars.Length; i++) _bars[i] = series.Next();
        _window = new MarketDataWindow(WindowSize);
        for (var i = 0; i < WindowSize; i++) _window.Push(_bars[i]);
        _code = File.ReadAllText(Path.Combine(StrategiesDirectory(), "ema_crossover.lua"));
        _strategy = LuaStrategy.FromCode("ema_crossover", _code);
    }

    [GlobalCleanup]
    public void Cleanup() => _strategy.Dispose();

    /// <summary>Idle: detect_opportunity computes two EMAs over 100 bars and updates context.</summary>
    [Benchmark(Baseline = true)]
    public StrategyResult EmaCrossoverTick()
    {
        ref readonly var bar = ref _bars[_i = (_i + 1) & (_bars.Length - 1)];
        _window.Push(bar);
        return _strategy.OnTick(TradingState.Idle, bar, _window);
    }

    /// <summary>InPosition: manage_position, which also returns nil unless the EMAs cross down.</summary>
    [Benchmark]
    public StrategyResult EmaCrossoverManageTick()
    {
        ref readonly var bar = ref _bars[_i = (_i + 1) & (_bars.Length - 1)];
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
