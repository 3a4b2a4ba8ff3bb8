using KeraLua;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Strategies;

public sealed partial class LuaStrategy
{
    /// <summary>
    /// Calls the entry point of <paramref name="state"/> with the bar (already pushed into
    /// <paramref name="window"/>) and converts what it returns. Errors come back as
    /// <see cref="StrategySignal.Error"/>, never as exceptions; the state stays usable.
    /// </summary>
    public StrategyResult OnTick(TradingState state, in MarketData bar, MarketDataWindow window)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(window);
        var lua = _lua;
        _window = window;
        _calls++;
        _plotMask = 0; // what this call plots; the values stay in their slots
        WriteMarketData(bar);
        if (_windowPropertiesCached) ClearWindowProperties();

        var entry = state switch
        {
            TradingState.Idle => Key.DetectOpportunity,
            TradingState.Analyzing => Key.FilterCommitment,
            _ => Key.ManagePosition,
        };
        var l = _state;
        LuaNative.PushValue(l, SlotOf(entry));
        if ((LuaType)LuaNative.RawGet(l, GlobalsSlot) != LuaType.Function)
        {
            lua.SetTop(BaseTop);
            return StrategyResult.Failed($"{ChunkName[1..]}: {KeyNames[(int)entry]} is no longer a function");
        }
        LuaNative.PushValue(l, MarketDataSlot);
        LuaNative.PushValue(l, ContextSlot);
        LuaNative.PushValue(l, IndicatorsSlot);
        LuaNative.PushValue(l, AccountSlot);
        var status = CallProtected(4, 1);
        if (status != LuaStatus.OK)
        {
            var message = PopMessage(status);
            lua.SetTop(BaseTop);
            return StrategyResult.Failed($"{KeyNames[(int)entry]}: {message}");
        }
        var result = entry == Key.DetectOpportunity ? ConvertOpportunity() : ConvertAction(entry);
        lua.SetTop(BaseTop);
        return result;
    }

    /// <summary>
    /// Writes the paper account the next call sees as its fourth argument (<c>account.equity</c>, <c>account.cash</c>,
    /// <c>account.initial_capital</c>), so a strategy can size by equity.
    /// </summary>
    public void SetAccount(double equity, double cash, double initialCapital)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SetNumber(AccountSlot, Key.Equity, equity);
        SetNumber(AccountSlot, Key.Cash, cash);
        SetNumber(AccountSlot, Key.InitialCapital, initialCapital);
    }

    private void WriteMarketData(in MarketData bar)
    {
        var lua = _lua;
        var l = _state;
        if (!ReferenceEquals(bar.Symbol, _symbolValue))
        {
            _symbolValue = bar.Symbol;
            lua.PushString(bar.Symbol);
            lua.Replace(SlotOf(Key.SymbolValue));
        }
        LuaNative.PushValue(l, SlotOf(Key.Symbol));
        LuaNative.PushValue(l, SlotOf(Key.SymbolValue));
        lua.RawSet(MarketDataSlot);
        LuaNative.PushValue(l, SlotOf(Key.Timestamp));
        LuaNative.PushInteger(l, bar.Timestamp);
        lua.RawSet(MarketDataSlot);
        SetNumber(MarketDataSlot, Key.Open, bar.Open);
        SetNumber(MarketDataSlot, Key.High, bar.High);
        SetNumber(MarketDataSlot, Key.Low, bar.Low);
        SetNumber(MarketDataSlot, Key.Close, bar.Close);
        SetNumber(MarketDataSlot, Key.Volume, bar.Volume);
        SetNumber(MarketDataSlot, Key.Bid, bar.Bid);
        SetNumber(MarketDataSlot, Key.Ask, bar.Ask);
        SetNumber(MarketDataSlot, Key.MidPrice, bar.MidPrice);
    }

    private bool _windowPropertiesCached;

    // The window properties a call computed are for its bar: cleared so the next bar's first read computes them anew.
    private void ClearWindowProperties()
    {
        _windowPropertiesCached = false;
        SetNumber(IndicatorValuesSlot, Key.High, null);
        SetNumber(IndicatorValuesSlot, Key.Low, null);
        SetNumber(IndicatorValuesSlot, Key.Range, null);
        SetNumber(IndicatorValuesSlot, Key.AvgVolume, null);
    }

    // The key and the value are pushed without the GC transition (LuaNative); the set itself may allocate (a key the
    // strategy removed is a new key again), so it keeps KeraLua's ordinary import.
    private void SetNumber(int table, Key key, double? value)
    {
        var l = _state;
        LuaNative.PushValue(l, SlotOf(key));
        if (value is { } v) LuaNative.PushNumber(l, v); else LuaNative.PushNil(l);
        _lua.RawSet(table);
    }

    // detect_opportunity: nil → nothing; a table → its keys are merged into context and Idle → Analyzing.
    private StrategyResult ConvertOpportunity()
    {
        var lua = _lua;
        var type = (LuaType)LuaNative.Type(_state, -1);
        if (type == LuaType.Nil) return StrategyResult.None;
        if (type != LuaType.Table)
            return ReturnError(Key.DetectOpportunity, $"must return nil or a table, not a {LuaTypeName(type)}");
        var table = lua.GetTop();
        lua.PushNil();
        while (lua.Next(table))
        {
            lua.PushCopy(-2);
            lua.PushCopy(-2);
            lua.RawSet(ContextSlot);
            lua.Pop(1);
        }
        return StrategyResult.Opportunity;
    }

    // filter_commitment / manage_position: nil or a table without `action` → nothing; otherwise an action table.
    private StrategyResult ConvertAction(Key entry)
    {
        var lua = _lua;
        var type = (LuaType)LuaNative.Type(_state, -1);
        if (type == LuaType.Nil) return StrategyResult.None;
        if (type != LuaType.Table)
            return ReturnError(entry, $"must return nil or an action table, not a {LuaTypeName(type)}");
        var table = lua.GetTop();
        lua.PushCopy(SlotOf(Key.Action));
        var actionType = lua.RawGet(table);
        if (actionType == LuaType.Nil) return StrategyResult.None;
        if (actionType != LuaType.String)
            return ReturnError(entry, $"returned a table whose field 'action' must be a string, not a {LuaTypeName(actionType)}");
        var kind = (ActionKind)(-1);
        for (var k = Key.StartAnalyzing; k <= Key.UpdateTakeProfit; k++)
        {
            if (lua.RawEqual(-1, SlotOf(k)))
            {
                kind = (ActionKind)(k - Key.StartAnalyzing);
                break;
            }
        }
        if ((int)kind < 0)
            return ReturnError(entry, $"returned unknown action '{ReadString(-1, 64)}' (expected one of {string.Join(", ", ActionNames.All)})");
        lua.Pop(1);

        string? error = null;
        TradingAction action;
        switch (kind)
        {
            case ActionKind.EnterLong or ActionKind.EnterShort:
                var price = Required(table, Key.Price, kind, ref error);
                var quantity = Required(table, Key.Quantity, kind, ref error);
                var stop = Optional(table, Key.StopLoss, kind, ref error);
                var target = Optional(table, Key.TakeProfit, kind, ref error);
                action = new TradingAction(kind, price, quantity, stop, target);
                break;
            case ActionKind.Exit:
                action = new TradingAction(kind, Required(table, Key.Price, kind, ref error), Reason: Text(table, Key.Reason, kind, ref error));
                break;
            case ActionKind.UpdateStopLoss:
                action = new TradingAction(kind, StopLoss: Required(table, Key.NewStop, kind, ref error));
                break;
            case ActionKind.UpdateTakeProfit:
                action = new TradingAction(kind, TakeProfit: Required(table, Key.NewTarget, kind, ref error));
                break;
            default:
                action = new TradingAction(kind, Reason: Text(table, Key.Reason, kind, ref error));
                break;
        }
        return error is null ? new StrategyResult(StrategySignal.Action, action) : ReturnError(entry, error);
    }

    private double Required(int table, Key field, ActionKind kind, ref string? error)
    {
        var value = Optional(table, field, kind, ref error);
        if (value is null && error is null)
            error = $"returned a '{ActionNames.Of(kind)}' action without the number field '{KeyNames[(int)field]}'";
        return value ?? 0;
    }

    private double? Optional(int table, Key field, ActionKind kind, ref string? error)
    {
        var lua = _lua;
        lua.PushCopy(SlotOf(field));
        var type = lua.RawGet(table);
        double? value = type == LuaType.Number ? lua.ToNumber(-1) : null;
        lua.Pop(1);
        if (type is not (LuaType.Nil or LuaType.Number) && error is null)
            error = $"returned a '{ActionNames.Of(kind)}' action whose field '{KeyNames[(int)field]}' must be a number, not a {LuaTypeName(type)}";
        return value;
    }

    private string? Text(int table, Key field, ActionKind kind, ref string? error)
    {
        var lua = _lua;
        lua.PushCopy(SlotOf(field));
        var type = lua.RawGet(table);
        var value = type is LuaType.String or LuaType.Number ? ReadReason(-1) : null;
        lua.Pop(1);
        if (type is not (LuaType.Nil or LuaType.String or LuaType.Number) && error is null)
            error = $"returned a '{ActionNames.Of(kind)}' action whose field '{KeyNames[(int)field]}' must be a string, not a {LuaTypeName(type)}";
        return value;
    }

    /// <summary>An error about a return value, located like a Lua error: "name.lua:LINE: function …" (the function's line).</summary>
    private StrategyResult ReturnError(Key entry, string problem)
    {
        var lua = _lua;
        lua.PushCopy(SlotOf(entry));
        lua.RawGet(GlobalsSlot);
        var debug = new LuaDebug();
        var line = lua.GetInfo(">S", ref debug) ? debug.LineDefined : 0;
        return StrategyResult.Failed($"{Name}.lua:{line}: {KeyNames[(int)entry]} {problem}");
    }

    /// <summary>
    /// The scalar values (string, finite number, boolean) of the context table, as snapshots show them: at most
    /// <see cref="MaxContextEntries"/> entries, keys and strings cut to <see cref="MaxContextStringBytes"/>.
    /// </summary>
    public IReadOnlyDictionary<string, object> ContextScalars()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var lua = _lua;
        var result = new SortedDictionary<string, object>(StringComparer.Ordinal);
        lua.PushNil();
        while (result.Count < MaxContextEntries && lua.Next(ContextSlot))
        {
            if (lua.Type(-2) == LuaType.String)
            {
                object? value = lua.Type(-1) switch
                {
                    LuaType.Boolean => lua.ToBoolean(-1),
                    LuaType.Number when lua.IsInteger(-1) => lua.ToInteger(-1),
                    LuaType.Number when double.IsFinite(lua.ToNumber(-1)) => lua.ToNumber(-1),
                    LuaType.String => ReadString(-1, MaxContextStringBytes),
                    _ => null,
                };
                if (value is not null) result[ReadString(-2, MaxContextStringBytes)] = value;
            }
            lua.Pop(1);
        }
        lua.SetTop(BaseTop);
        return result;
    }

    /// <summary>Writes scalar values into the context table (restoring a runner after a restart).</summary>
    public void SetContext(IEnumerable<KeyValuePair<string, object>> values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(values);
        var lua = _lua;
        foreach (var (key, value) in values)
        {
            lua.PushString(key);
            switch (value)
            {
                case bool b: lua.PushBoolean(b); break;
                case long or int: lua.PushInteger(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)); break;
                case double or float or decimal: lua.PushNumber(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)); break;
                case string s: lua.PushString(s); break;
                default:
                    lua.SetTop(BaseTop);
                    throw new ArgumentException($"Context value '{key}' must be a string, number or boolean, not {value?.GetType().Name ?? "null"}.", nameof(values));
            }
            lua.RawSet(ContextSlot);
        }
    }
}
