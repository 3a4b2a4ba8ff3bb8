using System.Collections.Immutable;
using KeraLua;

namespace Tickrunner.Engine.Strategies;

/// <summary>One series a strategy plots: its name, where it is drawn, its colour and its horizontal lines (e.g. RSI's 30 and 70).</summary>
/// <param name="Name">1 to <see cref="PlotLimits.MaxNameLength"/> letters, digits or <c>_</c>.</param>
/// <param name="Pane"><c>overlay</c> (on the price candles) or the name of a pane below them; series naming the same pane share it.</param>
/// <param name="Color"><c>#rrggbb</c>.</param>
/// <param name="Lines">Up to <see cref="PlotLimits.MaxLines"/> horizontal lines drawn in the series' pane.</param>
public sealed record PlotSeries(string Name, string Pane, string Color, ImmutableArray<double> Lines)
{
    /// <summary>The pane of the price candles.</summary>
    public const string Overlay = "overlay";
}

/// <summary>
/// The series a strategy has plotted so far, in the order they first appeared: value <c>i</c> of a Plot event belongs to
/// <c>Series[i]</c>. Immutable: a new layout replaces the old one only when a new series name appears, so an event can keep it.
/// </summary>
public sealed class PlotLayout
{
    internal PlotLayout(ImmutableArray<PlotSeries> series) => Series = series;

    /// <summary>A layout of these series (as read back from elsewhere: another process's Plot event).</summary>
    /// <exception cref="ArgumentException">More than <see cref="PlotLimits.MaxSeries"/> series.</exception>
    public static PlotLayout Of(IEnumerable<PlotSeries> series)
    {
        var all = series.ToImmutableArray();
        if (all.Length > PlotLimits.MaxSeries) throw new ArgumentException($"A plot has at most {PlotLimits.MaxSeries} series.", nameof(series));
        return new PlotLayout(all);
    }

    /// <summary>The series, at most <see cref="PlotLimits.MaxSeries"/>.</summary>
    public ImmutableArray<PlotSeries> Series { get; }

    /// <summary>The wire form's pre-encoded parts (EventJson makes them on first use; a race only makes them twice).</summary>
    internal object? WireCache { get; set; }
}

/// <summary>The bounds of <c>plot()</c>.</summary>
public static class PlotLimits
{
    /// <summary>Series one strategy (one runner) may plot.</summary>
    public const int MaxSeries = 7;

    /// <summary>The longest series or pane name.</summary>
    public const int MaxNameLength = 32;

    /// <summary>Horizontal lines one series may ask for.</summary>
    public const int MaxLines = 4;

    /// <summary>The colours series get when they name none, by the order they appeared in (readable on both themes).</summary>
    public static IReadOnlyList<string> Palette { get; } = ["#f59e0b", "#38bdf8", "#a78bfa", "#f472b6", "#34d399", "#fb923c", "#94a3b8"];
}

public sealed partial class LuaStrategy
{
    // The values of the call in progress: slot i belongs to _plotLayout.Series[i]; bit i of _plotMask says it was plotted.
    // Fixed arrays, cleared by the mask at the start of every call: plotting allocates nothing once each series exists.
    private readonly double[] _plotValues = new double[PlotLimits.MaxSeries];
    private readonly byte[][] _plotNames = new byte[PlotLimits.MaxSeries][];
    private int _plotMask;
    private PlotLayout? _plotLayout;

    /// <summary>The series plotted so far (null before the first <c>plot()</c>).</summary>
    public PlotLayout? PlotLayout => _plotLayout;

    /// <summary>Which series the last call plotted: bit <c>i</c> for <c>PlotLayout.Series[i]</c> (0: none).</summary>
    public int PlotMask => _plotMask;

    /// <summary>The value the last call plotted for series <paramref name="index"/> (meaningful when its bit is in <see cref="PlotMask"/>).</summary>
    public double PlotValue(int index) => _plotValues[index];

    /// <summary>The values slot by slot (those whose bit is not in <see cref="PlotMask"/> are stale).</summary>
    internal ReadOnlySpan<double> PlotValues => _plotValues;

    private static int PlotCallback(IntPtr state)
    {
        var self = FromUpvalue(state);
        try
        {
            return self.Plot(state) is { } error ? self.Fail(error) : 0;
        }
        catch (Exception e)
        {
            return self.Fail(e.Message);
        }
    }

    // plot(name, value[, opts]): name a short identifier, value a finite number or nil (no point on this bar), opts read when
    // the name first appears. The error text is raised by the prelude's wrapper at the caller's line.
    private unsafe string? Plot(IntPtr state)
    {
        var nameType = (LuaType)LuaNative.Type(state, 1);
        if (nameType != LuaType.String) return $"plot: the name must be a string of 1 to {PlotLimits.MaxNameLength} letters, digits or _, got {LuaTypeName(nameType)}";
        var bytes = LuaNative.ToLString(state, 1, out var length);
        if (length == 0 || length > PlotLimits.MaxNameLength || !IsIdentifier(new ReadOnlySpan<byte>((void*)bytes, (int)length)))
            return $"plot: the name must be 1 to {PlotLimits.MaxNameLength} letters, digits or _, got '{ReadString(1, PlotLimits.MaxNameLength + 8)}'";
        var name = new ReadOnlySpan<byte>((void*)bytes, (int)length);

        var valueType = (LuaType)LuaNative.Type(state, 2);
        var value = 0.0;
        if (valueType == LuaType.Number)
        {
            value = LuaNative.ToNumber(state, 2);
            if (!double.IsFinite(value))
                return $"plot: the value of '{AsciiText(name)}' must be a finite number or nil, got {(double.IsNaN(value) ? "nan" : value > 0 ? "inf" : "-inf")}";
        }
        else if (valueType is not (LuaType.Nil or LuaType.None))
        {
            return $"plot: the value of '{AsciiText(name)}' must be a number or nil, got {LuaTypeName(valueType)}";
        }
        var optsType = (LuaType)LuaNative.Type(state, 3);
        if (optsType is not (LuaType.Nil or LuaType.None or LuaType.Table))
            return $"plot: the options of '{AsciiText(name)}' must be a table or nil, got {LuaTypeName(optsType)}";

        var count = _plotLayout?.Series.Length ?? 0;
        var index = -1;
        for (var i = 0; i < count; i++)
        {
            if (name.SequenceEqual(_plotNames[i]))
            {
                index = i;
                break;
            }
        }
        if (index < 0)
        {
            if (count == PlotLimits.MaxSeries)
                return $"plot: at most {PlotLimits.MaxSeries} series per strategy; '{AsciiText(name)}' would be an 8th (it has {string.Join(", ", _plotLayout!.Series.Select(s => s.Name))})";
            var text = AsciiText(name);
            if (ReadPlotOptions(text, count, optsType == LuaType.Table, out var series) is { } problem) return problem;
            _plotNames[count] = name.ToArray();
            _plotLayout = new PlotLayout((_plotLayout?.Series ?? []).Add(series!));
            index = count;
        }
        if (valueType == LuaType.Number)
        {
            _plotValues[index] = value;
            _plotMask |= 1 << index;
        }
        return null;
    }

    private static string AsciiText(ReadOnlySpan<byte> ascii) => System.Text.Encoding.ASCII.GetString(ascii);

    private static bool IsIdentifier(ReadOnlySpan<byte> name)
    {
        foreach (var c in name)
            if (!(c is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'_')) return false;
        return true;
    }

    private static bool IsIdentifier(string name) => name.Length is > 0 and <= PlotLimits.MaxNameLength && name.All(c => c < 128 && IsIdentifier([(byte)c]));

    // The options table (argument 3) of a new series: pane, color and lines; anything else is an error, so a typo is not ignored.
    private string? ReadPlotOptions(string name, int position, bool hasTable, out PlotSeries? series)
    {
        series = null;
        var pane = PlotSeries.Overlay;
        var color = PlotLimits.Palette[position];
        var lines = ImmutableArray<double>.Empty;
        if (hasTable)
        {
            var lua = _lua;
            lua.PushNil();
            while (lua.Next(3))
            {
                // Key at -2, value at -1; only string keys are read as strings (lua_tolstring on a number key would break next).
                if (lua.Type(-2) is var keyType && keyType != LuaType.String)
                {
                    lua.Pop(2);
                    return $"plot: the options of '{name}' take pane, color and lines, not a {LuaTypeName(keyType)} key";
                }
                var key = ReadString(-2, 40);
                var type = lua.Type(-1);
                string? problem = null;
                switch (key)
                {
                    case "pane":
                        var p = type == LuaType.String ? ReadString(-1, PlotLimits.MaxNameLength + 8) : null;
                        if (p == "overlay") pane = PlotSeries.Overlay;
                        else if (p == "own") pane = name;
                        else if (p is not null && IsIdentifier(p)) pane = p;
                        else problem = $"plot: pane of '{name}' must be \"overlay\", \"own\" or a pane name of 1 to {PlotLimits.MaxNameLength} letters, digits or _, got {(p is null ? LuaTypeName(type) : $"'{p}'")}";
                        if (problem is null && pane == PlotSeries.Overlay && p == "own")
                            problem = $"plot: a series named 'overlay' cannot have a pane of its own; pick another name";
                        break;
                    case "color":
                        var c = type == LuaType.String ? ReadString(-1, 16) : null;
                        if (c is { Length: 7 } && c[0] == '#' && c.Skip(1).All(char.IsAsciiHexDigit)) color = c.ToLowerInvariant();
                        else problem = $"plot: color of '{name}' must be \"#rrggbb\", got {(c is null ? LuaTypeName(type) : $"'{c}'")}";
                        break;
                    case "lines":
                        problem = ReadLines(name, type, out lines);
                        break;
                    default:
                        problem = $"plot: unknown option '{key}' for '{name}' (options: pane, color, lines)";
                        break;
                }
                lua.Pop(1);
                if (problem is not null)
                {
                    lua.Pop(1);
                    return problem;
                }
            }
        }
        series = new PlotSeries(name, pane, color, lines);
        return null;
    }

    // lines = {30, 70}: a sequence of 1 to MaxLines finite numbers, at the top of the stack.
    private string? ReadLines(string name, LuaType type, out ImmutableArray<double> lines)
    {
        lines = [];
        var wrong = $"plot: lines of '{name}' must be a list of 1 to {PlotLimits.MaxLines} finite numbers";
        if (type != LuaType.Table) return $"{wrong}, got {LuaTypeName(type)}";
        var lua = _lua;
        var table = lua.GetTop();
        var n = lua.RawLen(table);
        if (n < 1 || n > PlotLimits.MaxLines) return $"{wrong}, got {n} values";
        var values = ImmutableArray.CreateBuilder<double>((int)n);
        for (var i = 1; i <= n; i++)
        {
            var t = lua.RawGetInteger(table, i);
            var v = t == LuaType.Number ? lua.ToNumber(-1) : double.NaN;
            lua.Pop(1);
            if (!double.IsFinite(v)) return $"{wrong}, and value {i} is {(t == LuaType.Number ? "not finite" : $"a {LuaTypeName(t)}")}";
            values.Add(v);
        }
        // Pairs beyond the sequence (lines = {30, 70, x = 1}) would be ignored silently: refused like an unknown option.
        var entries = 0;
        lua.PushNil();
        while (lua.Next(table))
        {
            entries++;
            lua.Pop(1);
        }
        if (entries != n) return $"{wrong}, with no other keys";
        lines = values.MoveToImmutable();
        return null;
    }
}
