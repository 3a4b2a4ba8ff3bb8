using BenchmarkDotNet.Attributes;
using Tickrunner.Engine;
using Tickrunner.Engine.Indicators;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Benchmarks;

/// <summary>The engine's per-tick work without Lua: window push, EMA(20) + RSI(14) over 100 bars, one state-machine step.</summary>
[MemoryDiagnoser]
public class PerTickBenchmarks
{
    private BarTape _tape = null!;
    private MarketDataWindow _window = null!;
    private StateMachine _machine = null!;
    private RiskGuard _risk = null!, _live = null!;

    [GlobalSetup]
    public void Setup()
    {
        _tape = new BarTape();
        _window = _tape.Window;
        _machine = new StateMachine();
        // Stops far away, so every step marks to market and checks both exits without closing.
        _machine.Apply(TradingAction.EnterLong(_tape.First.Close, 0.1, 1, 1e12), 0);
        // Every limit set, none of them reached: the guard's steady-state work on each bar.
        _risk = new RiskGuard(new RiskLimits
        {
            MaxPositionNotional = 1e12, MaxQuantity = 1e9, MaxEntriesPerHour = 60, DailyLossLimit = 1e12, FlattenOnDailyLoss = true, MaxDrawdownPct = 100,
        }, 10_000);
        // What every live runner pays: the engine's kill switch and limits across runners, here with every runner limit too.
        _live = new RiskGuard(new RiskLimits
        {
            MaxPositionNotional = 1e12, MaxQuantity = 1e9, MaxEntriesPerHour = 60, DailyLossLimit = 1e12, FlattenOnDailyLoss = true, MaxDrawdownPct = 100,
        }, 10_000, new GlobalRisk(maxTotalNotional: 1e12, maxOpenPositions: 100));
    }

    private ref readonly MarketData NextBar() => ref _tape.Next();

    [Benchmark]
    public void PushBar() => _window.Push(NextBar());

    [Benchmark]
    public double Ema20AndRsi14()
    {
        var closes = _window.Closes();
        return Ema.Last(closes, 20)!.Value + Rsi.Last(closes, 14)!.Value;
    }

    [Benchmark]
    public ActionResult StateMachineStep()
    {
        ref readonly var bar = ref NextBar();
        _machine.Apply(TradingAction.UpdateStopLoss(1), bar.Timestamp);
        return _machine.MarkToMarket(bar.Close, bar.Timestamp);
    }

    [Benchmark(Baseline = true)]
    public ActionResult WholeTick()
    {
        ref readonly var bar = ref NextBar();
        _window.Push(bar);
        var closes = _window.Closes();
        var signal = Ema.Last(closes, 20)!.Value + Rsi.Last(closes, 14)!.Value;
        _machine.Apply(TradingAction.UpdateStopLoss(signal > 0 ? 1 : 2), bar.Timestamp);
        return _machine.MarkToMarket(bar.Close, bar.Timestamp);
    }

    /// <summary><see cref="WholeTick"/> with every risk limit set: the day's check at the start, one entry check, the close's checks.</summary>
    [Benchmark]
    public ActionResult WholeTickWithRisk() => WholeTickGuardedBy(_risk);

    /// <summary><see cref="WholeTickWithRisk"/> in a live engine: also the kill switch's checks at the entry and the close.</summary>
    [Benchmark]
    public ActionResult WholeTickWithLiveRisk() => WholeTickGuardedBy(_live);

    private ActionResult WholeTickGuardedBy(RiskGuard guard)
    {
        ref readonly var bar = ref NextBar();
        guard.BeginBar(bar.Timestamp, 10_000);
        _window.Push(bar);
        var closes = _window.Closes();
        var signal = Ema.Last(closes, 20)!.Value + Rsi.Last(closes, 14)!.Value;
        guard.CheckEntry(TradingAction.EnterLong(bar.Close, 0.1), bar.Close, bar.Timestamp, 10_000, detailed: false);
        _machine.Apply(TradingAction.UpdateStopLoss(signal > 0 ? 1 : 2), bar.Timestamp);
        var result = _machine.MarkToMarket(bar.Close, bar.Timestamp);
        guard.AtClose(10_000 + signal * 1e-9, bar.Timestamp, hasPosition: true);
        return result;
    }
}
