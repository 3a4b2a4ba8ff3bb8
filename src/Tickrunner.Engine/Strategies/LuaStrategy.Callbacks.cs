using System.Runtime.InteropServices;
using KeraLua;
using Tickrunner.Engine.Indicators;

namespace Tickrunner.Engine.Strategies;

public sealed partial class LuaStrategy
{
    /// <summary>Most bars an indicator period may name; larger values are certainly a mistake.</summary>
    public const int MaxIndicatorPeriod = 100_000;

    // Static delegates: KeraLua keeps no reference to them, and they must outlive every state.
    private static readonly LuaFunction SmaFunction = L => Single(L, IndicatorKind.Sma);
    private static readonly LuaFunction EmaFunction = L => Single(L, IndicatorKind.Ema);
    private static readonly LuaFunction RsiFunction = L => Single(L, IndicatorKind.Rsi);
    private static readonly LuaFunction MacdFunction = MacdCallback;
    private static readonly LuaFunction BollingerFunction = BollingerCallback;
    private static readonly LuaFunction PrintFunction = PrintCallback;
    private static readonly LuaFunction WindowFunction = WindowCallback;
    private static readonly LuaFunction PlotFunction = PlotCallback; // LuaStrategy.Plot.cs; here, so it is set before HostFunctions reads it

    /// <summary>In the order the prelude takes them.</summary>
    private static readonly LuaFunction[] HostFunctions =
        [SmaFunction, EmaFunction, RsiFunction, MacdFunction, BollingerFunction, PrintFunction, WindowFunction, PlotFunction];

    // indicators.high / low / range / avg_volume over the whole window, computed on first read in a call; the host clears
    // the cached values before the next call (see OnTick). Any other key is nil.
    private static int WindowCallback(IntPtr state)
    {
        var self = FromUpvalue(state);
        try
        {
            var lua = self._lua;
            double? value = null;
            if (self._window is { } w && lua.Type(1) == LuaType.String)
            {
                var all = w.Count;
                var key = KeyBytes(state, 1); // compared as bytes: no string per read
                value = key.SequenceEqual("high"u8) ? w.High(all)
                    : key.SequenceEqual("low"u8) ? w.Low(all)
                    : key.SequenceEqual("range"u8) ? w.Range(all)
                    : key.SequenceEqual("avg_volume"u8) ? w.AvgVolume(all)
                    : null;
                if (value is not null) self._windowPropertiesCached = true;
            }
            if (value is { } v) lua.PushNumber(v); else lua.PushNil();
            return 1;
        }
        catch (Exception e)
        {
            return self.Fail(e.Message);
        }
    }

    private enum IndicatorKind { Sma, Ema, Rsi }

    // The EMAs of the call in progress (two windowed EMAs were a third of a backtest's time); _calls stamps each call.
    private readonly EmaCache _emas = new();
    private long _calls;

    // Every callback catches everything: an exception escaping into Lua's C frames would kill the process,
    // and raising a Lua error from here would unwind through .NET frames. Errors go back as (false, message).
    private static int Single(IntPtr state, IndicatorKind kind)
    {
        var self = FromUpvalue(state);
        try
        {
            var lua = self._lua;
            var name = kind switch { IndicatorKind.Sma => "sma", IndicatorKind.Ema => "ema", _ => "rsi" };
            if (!self.Period(1, name, "p", kind == IndicatorKind.Rsi ? 14 : null, out var period, out var error))
                return self.Fail(error);
            if (!self.TryCloses(out var closes, out var workError)) return self.Fail(workError!);
            double? value = kind switch
            {
                IndicatorKind.Sma => Sma.Last(closes, period),
                IndicatorKind.Ema => self._emas.Last(self._window, period, self._calls),
                _ => Rsi.Last(closes, period),
            };
            if (value is { } v) LuaNative.PushNumber(state, v); else LuaNative.PushNil(state);
            return 1;
        }
        catch (Exception e)
        {
            return self.Fail(e.Message);
        }
    }

    private static int MacdCallback(IntPtr state)
    {
        var self = FromUpvalue(state);
        try
        {
            if (!self.Period(1, "macd", "fast", Macd.DefaultFast, out var fast, out var error)
                || !self.Period(2, "macd", "slow", Macd.DefaultSlow, out var slow, out error)
                || !self.Period(3, "macd", "signal", Macd.DefaultSignal, out var signal, out error))
                return self.Fail(error);
            if (!self.TryCloses(out var closes, out var workError)) return self.Fail(workError!);
            if (Macd.Last(closes, fast, slow, signal) is not { } m) return self.PushNil();
            self._lua.PushNumber(m.Line);
            self._lua.PushNumber(m.Signal);
            self._lua.PushNumber(m.Histogram);
            return 3;
        }
        catch (Exception e)
        {
            return self.Fail(e.Message);
        }
    }

    private static int BollingerCallback(IntPtr state)
    {
        var self = FromUpvalue(state);
        try
        {
            if (!self.Period(1, "bollinger", "p", Bollinger.DefaultPeriod, out var period, out var error))
                return self.Fail(error);
            var lua = self._lua;
            var k = Bollinger.DefaultK;
            if (lua.Type(2) is not (LuaType.None or LuaType.Nil))
            {
                if (lua.Type(2) != LuaType.Number || !double.IsFinite(lua.ToNumber(2)) || lua.ToNumber(2) < 0)
                    return self.Fail("bollinger(p, k): k must be a finite number ≥ 0");
                k = lua.ToNumber(2);
            }
            if (!self.TryCloses(out var closes, out var workError)) return self.Fail(workError!);
            if (Bollinger.Last(closes, period, k) is not { } b) return self.PushNil();
            lua.PushNumber(b.Upper);
            lua.PushNumber(b.Middle);
            lua.PushNumber(b.Lower);
            return 3;
        }
        catch (Exception e)
        {
            return self.Fail(e.Message);
        }
    }

    private static int PrintCallback(IntPtr state)
    {
        var self = FromUpvalue(state);
        try
        {
            self.Print(1);
        }
        catch
        {
            // A failing log sink must not break the strategy.
        }
        return 0;
    }

    private static unsafe ReadOnlySpan<byte> KeyBytes(IntPtr state, int index)
    {
        var bytes = LuaNative.ToLString(state, index, out var length);
        return bytes == IntPtr.Zero || length > 64 ? default : new ReadOnlySpan<byte>((void*)bytes, (int)length);
    }

    private static LuaStrategy FromUpvalue(IntPtr state) =>
        (LuaStrategy)GCHandle.FromIntPtr(LuaNative.ToUserDataFast(state, Lua.UpValueIndex(1))).Target!;

    /// <summary>Values indicator calls may read in one strategy call, as a multiple of the instruction budget.</summary>
    /// <remarks>
    /// The instruction budget counts Lua instructions only, and an indicator call is one instruction that loops
    /// over the whole window in C#: without this, a Lua loop of cheap-looking ema() calls could run for minutes.
    /// </remarks>
    public const int IndicatorWorkPerInstruction = 10;

    // The closes an indicator reads, charged against the call's indicator work; null once the work is spent.
    private bool TryCloses(out ReadOnlySpan<double> closes, out string? error)
    {
        closes = _window is { } w ? w.Closes() : [];
        _indicatorWork += Math.Max(1, closes.Length);
        error = _indicatorWork > (long)_options.InstructionBudget * IndicatorWorkPerInstruction
            ? $"indicator work budget exceeded: this call read more than {(long)_options.InstructionBudget * IndicatorWorkPerInstruction:N0} values (compute each indicator once per tick)"
            : null;
        return error is null;
    }

    private int PushNil()
    {
        _lua.PushNil();
        return 1;
    }

    private int Fail(string message)
    {
        // Pushing the message allocates inside Lua; refused at the memory cap, that would raise a Lua error
        // across this .NET frame. Host work is never refused (see LuaMemoryLimit).
        var enforce = _memory.Enforce;
        _memory.Enforce = false;
        _lua.PushBoolean(false);
        _lua.PushString(message);
        _memory.Enforce = enforce;
        return 2;
    }

    private bool Period(int index, string function, string parameter, int? fallback, out int period, out string error)
    {
        period = 0;
        error = "";
        var type = (LuaType)LuaNative.Type(_state, index);
        if (type is LuaType.None or LuaType.Nil && fallback is { } f)
        {
            period = f;
            return true;
        }
        var number = type == LuaType.Number ? LuaNative.ToNumber(_state, index) : double.NaN;
        if (number >= 1 && number <= MaxIndicatorPeriod && number == Math.Floor(number))
        {
            period = (int)number;
            return true;
        }
        error = type == LuaType.Number
            ? $"{function}: {parameter} must be a whole number from 1 to {MaxIndicatorPeriod}, got {number.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
            : $"{function}: {parameter} must be a whole number from 1 to {MaxIndicatorPeriod}, got {LuaTypeName(type)}";
        return false;
    }
}
