using Tickrunner.Engine.Events;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Wire;

/// <summary>
/// Writes events in the wire format of docs/engine-contract.md §6: externally tagged, snake_case, enums by name, every payload
/// with <c>timestamp</c> and <c>seq</c>. Hand-written over pre-encoded fragments: no reflection, one pass.
/// </summary>
public static class EventJson
{
    [ThreadStatic] private static JsonBuffer? _buffer;

    /// <summary>The event's JSON as a new UTF-8 array.</summary>
    public static byte[] Serialize(in RunnerEvent e, long seq)
    {
        var b = _buffer ??= new JsonBuffer();
        b.Clear();
        Write(b, e, seq);
        return b.ToArray();
    }

    private static void Write(JsonBuffer b, in RunnerEvent e, long seq)
    {
        if (e.Kind is RunnerEventKind.EngineHalted or RunnerEventKind.EngineResumed)
        {
            // Of the engine, not of a runner: no runner_id.
            b.Raw(e.Kind == RunnerEventKind.EngineResumed ? "{\"EngineResumed\":{\"timestamp\":"u8
                : e.Price != 0 ? "{\"EngineHalted\":{\"flatten\":true,\"timestamp\":"u8 : "{\"EngineHalted\":{\"flatten\":false,\"timestamp\":"u8);
            b.Number(e.Timestamp);
            b.Raw(",\"seq\":"u8);
            b.Number(seq);
            b.Raw("}}"u8);
            return;
        }
        b.Raw(Open(e.Kind));
        if (e.Kind is RunnerEventKind.BacktestProgress or RunnerEventKind.BacktestFinished
            or RunnerEventKind.OptimizationProgress or RunnerEventKind.OptimizationFinished) b.String(e.RunnerId); // ids that do not recur per tick
        else b.RecurringString(e.RunnerId);
        switch (e.Kind)
        {
            case RunnerEventKind.BacktestProgress:
                b.Raw(",\"progress\":"u8);
                b.Number(e.Price);
                b.Raw(",\"bars_done\":"u8);
                b.Number(e.BarsDone);
                b.Raw(",\"bars_per_second\":"u8);
                b.Number(e.Pnl);
                break;
            case RunnerEventKind.BacktestFinished or RunnerEventKind.OptimizationFinished:
                b.Raw(",\"status\":"u8);
                b.String(e.Text);
                break;
            case RunnerEventKind.OptimizationProgress:
                var optimization = e.Optimization!;
                b.Raw(",\"progress\":"u8);
                b.Number(e.Price);
                b.Raw(",\"trials_done\":"u8);
                b.Number(optimization.TrialsDone);
                b.Raw(",\"trials_planned\":"u8);
                b.Number(optimization.TrialsPlanned);
                b.Raw(",\"window\":"u8);
                b.Number(optimization.Window);
                b.Raw(",\"windows\":"u8);
                b.Number(optimization.Windows);
                b.Raw(",\"best_objective\":"u8);
                b.NullableNumber(optimization.BestObjective);
                b.Raw(",\"best_trial\":"u8);
                if (optimization.BestTrial is { } bestTrial) b.Number(bestTrial);
                else b.Raw("null"u8);
                break;
            case RunnerEventKind.TickReceived:
                b.Raw(",\"symbol\":"u8);
                b.RecurringString(e.Symbol);
                b.Raw(",\"data\":"u8);
                WriteMarketData(b, e.Data);
                break;
            case RunnerEventKind.StateTransition:
                b.Raw(",\"from\":"u8);
                b.Raw(StateLiteral(e.From));
                b.Raw(",\"to\":"u8);
                b.Raw(StateLiteral(e.To));
                b.Raw(",\"reason\":"u8);
                b.String(e.Text);
                break;
            case RunnerEventKind.ActionExecuted:
                b.Raw(",\"action\":"u8);
                WriteAction(b, e.Action);
                break;
            case RunnerEventKind.PositionOpened:
                b.Raw(",\"position\":"u8);
                WritePosition(b, e.Position!);
                break;
            case RunnerEventKind.PositionUpdated:
                b.Raw(",\"current_price\":"u8);
                b.Number(e.Price);
                b.Raw(",\"unrealized_pnl\":"u8);
                b.Number(e.Pnl);
                break;
            case RunnerEventKind.PositionClosed:
                b.Raw(",\"exit_price\":"u8);
                b.Number(e.Price);
                b.Raw(",\"realized_pnl\":"u8);
                b.Number(e.Pnl);
                b.Raw(",\"reason\":"u8);
                b.String(e.Text);
                if (e.Trade is { } trade)
                {
                    b.Raw(",\"fees\":"u8);
                    b.Number(trade.Position.Fees);
                    b.Raw(",\"equity\":"u8);
                    b.Number(trade.Equity);
                    b.Raw(",\"cash\":"u8);
                    b.Number(trade.Cash);
                }
                break;
            case RunnerEventKind.Error:
                b.Raw(",\"error\":"u8);
                b.String(e.Text);
                b.Raw(e.Severity switch
                {
                    ErrorSeverity.Warning => ",\"severity\":\"Warning\""u8,
                    ErrorSeverity.Error => ",\"severity\":\"Error\""u8,
                    _ => ",\"severity\":\"Critical\""u8,
                });
                break;
            case RunnerEventKind.RunnerStarted:
                b.Raw(",\"symbol\":"u8);
                b.String(e.Symbol);
                break;
            case RunnerEventKind.RunnerStopped:
                b.Raw(",\"reason\":"u8);
                b.String(e.Text);
                break;
            case RunnerEventKind.RunnerStatusChanged:
                b.Raw(",\"status\":"u8);
                b.String(e.Text);
                break;
            case RunnerEventKind.Plot:
                WritePlot(b, e);
                break;
            case RunnerEventKind.RiskLimitHit:
                var hit = e.Risk!.Value;
                b.Raw(",\"limit\":"u8);
                b.RecurringString(hit.LimitName);
                b.Raw(",\"value\":"u8);
                b.Number(hit.Value);
                b.Raw(",\"threshold\":"u8);
                b.Number(hit.Threshold);
                b.Raw(",\"action\":"u8);
                b.RecurringString(hit.ActionName);
                break;
        }
        b.Raw(",\"timestamp\":"u8);
        b.Number(e.Timestamp);
        b.Raw(",\"seq\":"u8);
        b.Number(seq);
        b.Raw("}}"u8);
    }

    private static ReadOnlySpan<byte> Open(RunnerEventKind kind) => kind switch
    {
        RunnerEventKind.TickReceived => "{\"TickReceived\":{\"runner_id\":"u8,
        RunnerEventKind.StateTransition => "{\"StateTransition\":{\"runner_id\":"u8,
        RunnerEventKind.ActionExecuted => "{\"ActionExecuted\":{\"runner_id\":"u8,
        RunnerEventKind.PositionOpened => "{\"PositionOpened\":{\"runner_id\":"u8,
        RunnerEventKind.PositionUpdated => "{\"PositionUpdated\":{\"runner_id\":"u8,
        RunnerEventKind.PositionClosed => "{\"PositionClosed\":{\"runner_id\":"u8,
        RunnerEventKind.Error => "{\"Error\":{\"runner_id\":"u8,
        RunnerEventKind.RunnerStarted => "{\"RunnerStarted\":{\"runner_id\":"u8,
        RunnerEventKind.BacktestProgress => "{\"BacktestProgress\":{\"backtest_id\":"u8,
        RunnerEventKind.BacktestFinished => "{\"BacktestFinished\":{\"backtest_id\":"u8,
        RunnerEventKind.RunnerStatusChanged => "{\"RunnerStatusChanged\":{\"runner_id\":"u8,
        RunnerEventKind.OptimizationProgress => "{\"OptimizationProgress\":{\"optimization_id\":"u8,
        RunnerEventKind.OptimizationFinished => "{\"OptimizationFinished\":{\"optimization_id\":"u8,
        RunnerEventKind.RiskLimitHit => "{\"RiskLimitHit\":{\"runner_id\":"u8,
        RunnerEventKind.Plot => "{\"Plot\":{\"runner_id\":"u8,
        _ => "{\"RunnerStopped\":{\"runner_id\":"u8,
    };

    // ,"symbol":…,"bar_timestamp":…,"values":{"ema_fast":101.2,…},"series":[{"name":"ema_fast","pane":"overlay","color":"#f59e0b","lines":[]},…]
    // Only the values the bar plotted are in "values"; "series" lists every series so far, in the order they appeared.
    private static void WritePlot(JsonBuffer b, in RunnerEvent e)
    {
        var layout = e.PlotLayout!;
        var wire = layout.WireCache as PlotWire ?? (PlotWire)(layout.WireCache = PlotWire.Of(layout));
        b.Raw(",\"symbol\":"u8);
        b.RecurringString(e.Symbol);
        b.Raw(",\"bar_timestamp\":"u8);
        b.Number(e.PlotBarTime);
        b.Raw(",\"values\":{"u8);
        var mask = e.PlotMask;
        var first = true;
        for (var i = 0; i < wire.Keys.Length; i++)
        {
            if ((mask & (1 << i)) == 0) continue;
            if (!first) b.Raw(","u8);
            first = false;
            b.Raw(wire.Keys[i]);
            b.Number(e.PlotValue(i));
        }
        b.Raw("},\"series\":"u8);
        b.Raw(wire.Series);
    }

    // A layout's parts, encoded once: each series' "name": key and the whole series array.
    private sealed class PlotWire(byte[][] keys, byte[] series)
    {
        public byte[][] Keys { get; } = keys;
        public byte[] Series { get; } = series;

        public static PlotWire Of(Strategies.PlotLayout layout)
        {
            var b = new JsonBuffer();
            var keys = new byte[layout.Series.Length][];
            for (var i = 0; i < keys.Length; i++)
            {
                b.Clear();
                b.String(layout.Series[i].Name);
                b.Raw(":"u8);
                keys[i] = b.ToArray();
            }
            b.Clear();
            b.Raw("["u8);
            for (var i = 0; i < layout.Series.Length; i++)
            {
                var s = layout.Series[i];
                b.Raw(i == 0 ? "{\"name\":"u8 : ",{\"name\":"u8);
                b.String(s.Name);
                b.Raw(",\"pane\":"u8);
                b.String(s.Pane);
                b.Raw(",\"color\":"u8);
                b.String(s.Color);
                b.Raw(",\"lines\":["u8);
                for (var j = 0; j < s.Lines.Length; j++)
                {
                    if (j > 0) b.Raw(","u8);
                    b.Number(s.Lines[j]);
                }
                b.Raw("]}"u8);
            }
            b.Raw("]"u8);
            return new PlotWire(keys, b.ToArray());
        }
    }

    private static ReadOnlySpan<byte> StateLiteral(TradingState state) => state switch
    {
        TradingState.Idle => "\"Idle\""u8,
        TradingState.Analyzing => "\"Analyzing\""u8,
        _ => "\"InPosition\""u8,
    };

    // A bar in the field order of docs/engine-contract.md §1.1.
    private static void WriteMarketData(JsonBuffer b, in MarketData bar)
    {
        b.Raw("{\"symbol\":"u8);
        b.RecurringString(bar.Symbol);
        b.Raw(",\"timestamp\":"u8);
        b.Number(bar.Timestamp);
        b.Raw(",\"open\":"u8);
        b.Number(bar.Open);
        b.Raw(",\"high\":"u8);
        b.Number(bar.High);
        b.Raw(",\"low\":"u8);
        b.Number(bar.Low);
        b.Raw(",\"close\":"u8);
        b.Number(bar.Close);
        b.Raw(",\"volume\":"u8);
        b.Number(bar.Volume);
        b.Raw(",\"bid\":"u8);
        b.Number(bar.Bid);
        b.Raw(",\"ask\":"u8);
        b.Number(bar.Ask);
        b.Raw("}"u8);
    }

    // An action in the shape a strategy returns it: {"type": "enter_long", "price": …, …}.
    private static void WriteAction(JsonBuffer b, in TradingAction a)
    {
        b.Raw("{\"type\":"u8);
        b.String(a.Name);
        switch (a.Kind)
        {
            case ActionKind.EnterLong or ActionKind.EnterShort:
                b.Raw(",\"price\":"u8);
                b.Number(a.Price);
                b.Raw(",\"quantity\":"u8);
                b.Number(a.Quantity);
                if (a.StopLoss is { } stop)
                {
                    b.Raw(",\"stop_loss\":"u8);
                    b.Number(stop);
                }
                if (a.TakeProfit is { } target)
                {
                    b.Raw(",\"take_profit\":"u8);
                    b.Number(target);
                }
                break;
            case ActionKind.Exit:
                b.Raw(",\"price\":"u8);
                b.Number(a.Price);
                break;
            case ActionKind.UpdateStopLoss:
                b.Raw(",\"new_stop\":"u8);
                b.NullableNumber(a.StopLoss);
                break;
            case ActionKind.UpdateTakeProfit:
                b.Raw(",\"new_target\":"u8);
                b.NullableNumber(a.TakeProfit);
                break;
        }
        if (a.Reason is { } reason)
        {
            b.Raw(",\"reason\":"u8);
            b.String(reason);
        }
        b.Raw("}"u8);
    }

    // A position: side, prices, quantity, stop/target (null when unset), P&L; exit fields once closed.
    private static void WritePosition(JsonBuffer b, Position p)
    {
        b.Raw(p.Side == PositionSide.Long ? "{\"side\":\"Long\""u8 : "{\"side\":\"Short\""u8);
        b.Raw(",\"entry_price\":"u8);
        b.Number(p.EntryPrice);
        b.Raw(",\"quantity\":"u8);
        b.Number(p.Quantity);
        b.Raw(",\"entry_timestamp\":"u8);
        b.Number(p.EntryTimestamp);
        b.Raw(",\"current_price\":"u8);
        b.Number(p.CurrentPrice);
        b.Raw(",\"stop_loss\":"u8);
        b.NullableNumber(p.StopLoss);
        b.Raw(",\"take_profit\":"u8);
        b.NullableNumber(p.TakeProfit);
        b.Raw(",\"unrealized_pnl\":"u8);
        b.Number(p.IsClosed ? 0 : p.UnrealizedPnl);
        b.Raw(",\"entry_fee\":"u8);
        b.Number(p.EntryFee);
        if (p.IsClosed)
        {
            b.Raw(",\"exit_price\":"u8);
            b.Number(p.ExitPrice!.Value);
            b.Raw(",\"exit_timestamp\":"u8);
            b.Number(p.ExitTimestamp!.Value);
            b.Raw(",\"realized_pnl\":"u8);
            b.Number(p.RealizedPnl!.Value);
        }
        b.Raw("}"u8);
    }

    /// <summary>The wire tag of a kind.</summary>
    public static string KindName(RunnerEventKind kind) => KindNames[(int)kind];

    private static readonly string[] KindNames = Enum.GetNames<RunnerEventKind>();

    /// <summary>Parses a wire tag (case-sensitive, as on the wire).</summary>
    public static bool TryParseKind(string name, out RunnerEventKind kind)
    {
        var i = Array.IndexOf(KindNames, name);
        kind = i >= 0 ? (RunnerEventKind)i : default;
        return i >= 0;
    }
}
