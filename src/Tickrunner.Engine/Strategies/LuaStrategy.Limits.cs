using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using KeraLua;

namespace Tickrunner.Engine.Strategies;

public sealed partial class LuaStrategy
{
    /// <summary>Bytes of an error message that reach the host; the rest is cut off with a marker.</summary>
    public const int MaxErrorBytes = 2048;

    /// <summary>Bytes of an action's <c>reason</c> that reach the host.</summary>
    public const int MaxReasonBytes = 256;

    /// <summary>Bytes of one printed line that reach the log.</summary>
    public const int MaxPrintBytes = 1024;

    /// <summary>Printed lines per second that reach the log; the rest are counted and reported with the next line.</summary>
    public const int MaxPrintsPerSecond = 20;

    /// <summary>Bytes of a context key or string value shown in snapshots and kept across restarts.</summary>
    public const int MaxContextStringBytes = 1024;

    /// <summary>Context entries shown in snapshots and kept across restarts.</summary>
    public const int MaxContextEntries = 256;

    private const string TruncationMarker = "… (truncated from {0:N0} bytes)";

    private static readonly LuaFunction MessageHandlerFunction = RelocateError;

    private long _printWindowStart;
    private int _printsInWindow;
    private long _printsDropped;

    /// <summary>
    /// Reads the string (or number) at <paramref name="index"/>, decoding at most <paramref name="maxBytes"/> of
    /// it: a strategy's 12 MiB string must not become a 24 MB .NET string, an event and a log line on every tick.
    /// </summary>
    private unsafe string ReadString(int index, int maxBytes)
    {
        var bytes = LuaNative.ToLString(_lua.Handle, index, out var length);
        if (bytes == IntPtr.Zero) return "";
        if (length <= (nuint)maxBytes) return Encoding.UTF8.GetString((byte*)bytes, (int)length);
        var cut = maxBytes;
        // Cut at a character boundary: never in the middle of a UTF-8 sequence.
        while (cut > 0 && (((byte*)bytes)[cut] & 0xC0) == 0x80) cut--;
        return Encoding.UTF8.GetString((byte*)bytes, cut) + string.Format(System.Globalization.CultureInfo.InvariantCulture, TruncationMarker, (ulong)length);
    }

    // Reasons a strategy returns are mostly the same few literals bar after bar: the last few are kept with their bytes,
    // so a repeated reason costs a comparison instead of a new string on every action.
    private readonly (byte[] Bytes, string Text)[] _reasons = new (byte[], string)[8];
    private int _nextReason;

    private unsafe string ReadReason(int index)
    {
        var pointer = LuaNative.ToLString(_lua.Handle, index, out var length);
        if (pointer == IntPtr.Zero) return "";
        if (length > (nuint)MaxReasonBytes) return ReadString(index, MaxReasonBytes);
        var bytes = new ReadOnlySpan<byte>((void*)pointer, (int)length);
        foreach (var (known, text) in _reasons)
            if (known is not null && bytes.SequenceEqual(known)) return text;
        var decoded = Encoding.UTF8.GetString(bytes);
        _reasons[_nextReason] = (bytes.ToArray(), decoded);
        _nextReason = (_nextReason + 1) % _reasons.Length;
        return decoded;
    }

    // The message handler of every protected call the host makes. It runs while the failed call's stack still
    // stands, so an error raised inside the sandbox's own Lua code (the pattern matcher, the library bounds, the
    // budget hook firing there) can be reported at the line of the strategy that called into it.
    private static unsafe int RelocateError(IntPtr state)
    {
        var self = FromUpvalue(state);
        try
        {
            var lua = self._lua;
            if (lua.Type(1) != LuaType.String) return 1;
            var bytes = (byte*)LuaNative.ToLString(state, 1, out var length);
            var prefix = "tickrunner:"u8;
            if (length < (nuint)prefix.Length || !new ReadOnlySpan<byte>(bytes, prefix.Length).SequenceEqual(prefix)) return 1;
            var message = self.ReadString(1, MaxErrorBytes);
            var rest = message.IndexOf(": ", prefix.Length, StringComparison.Ordinal);
            var text = rest >= 0 ? message[(rest + 2)..] : message;
            // The strategy's innermost frame; after a tail call into the library there is none, and then the
            // strategy's file is named without a line (Lua's own library errors carry no line there either).
            var location = $"{self.Name}.lua";
            var debug = new LuaDebug();
            for (var level = 0; lua.GetStack(level, ref debug) != 0; level++)
            {
                if (!lua.GetInfo("Sl", ref debug) || debug.CurrentLine <= 0 || debug.ShortSource == "tickrunner") continue;
                location = $"{debug.ShortSource}:{debug.CurrentLine}";
                break;
            }
            var enforce = self._memory.Enforce;
            self._memory.Enforce = false; // host work is never refused (see LuaMemoryLimit)
            lua.PushString($"{location}: {text}");
            self._memory.Enforce = enforce;
            return 1;
        }
        catch
        {
            // The original message stands.
        }
        return 1;
    }

    // print: at most MaxPrintsPerSecond lines a second, each cut to MaxPrintBytes.
    private void Print(int index)
    {
        if (Log is not { } log) return;
        var now = Stopwatch.GetTimestamp();
        if (now - _printWindowStart >= Stopwatch.Frequency)
        {
            _printWindowStart = now;
            _printsInWindow = 0;
        }
        if (++_printsInWindow > MaxPrintsPerSecond)
        {
            _printsDropped++;
            return;
        }
        var line = ReadString(index, MaxPrintBytes);
        if (_printsDropped > 0)
        {
            line = $"({_printsDropped:N0} printed lines dropped: more than {MaxPrintsPerSecond} a second) {line}";
            _printsDropped = 0;
        }
        log(line);
    }
}
