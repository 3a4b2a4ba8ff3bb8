using System.Runtime.InteropServices;
using KeraLua;

namespace Tickrunner.Engine.Strategies;

/// <summary>A Lua allocator that refuses to grow a state past its limit while strategy code runs.</summary>
/// <remarks>
/// The counters live in native memory passed to Lua as the allocator's user data, so the allocator never
/// touches a managed object. The limit is enforced only while strategy code runs (<see cref="Enforce"/>):
/// a refused allocation during a host API call outside a protected call would abort the process, so host
/// work is never refused, and Lua code that hits the limit gets the ordinary "not enough memory" error.
/// </remarks>
internal sealed unsafe class LuaMemoryLimit : IDisposable
{
    [StructLayout(LayoutKind.Sequential)]
    internal struct Counters
    {
        public long Used;
        public long Limit;
        public int Enforce;
        public int Refused;
        // The instruction budget of the call in progress, counted by the host's count hook (see LuaStrategy.CountHook).
        public long InstructionsLeft;
        public int Armed;        // the count the hook is armed with now
        public int Interrupt;    // set by the watchdog's thread; read by the hook on the runner's thread
        public IntPtr BudgetHook; // the Lua-side hook that raises the budget error (debug.sethook's dispatcher)
    }

    // Static so the delegate outlives every state that uses it; KeraLua does not keep it alive.
    public static readonly LuaAlloc Allocator = Allocate;

    private Counters* _counters;

    public LuaMemoryLimit(long limitBytes)
    {
        _counters = (Counters*)NativeMemory.AllocZeroed((nuint)sizeof(Counters));
        _counters->Limit = limitBytes;
    }

    /// <summary>The shared counters (native memory: the hook reads them without touching a managed object).</summary>
    internal Counters* State => _counters;

    /// <summary>The allocator's user-data pointer.</summary>
    public IntPtr UserData => (IntPtr)_counters;

    /// <summary>Bytes the state holds now.</summary>
    public long Used => _counters->Used;

    /// <summary>The limit in bytes.</summary>
    public long Limit => _counters->Limit;

    /// <summary>Whether growth past the limit is refused now.</summary>
    public bool Enforce
    {
        get => _counters->Enforce != 0;
        set => _counters->Enforce = value ? 1 : 0;
    }

    /// <summary>Reads and clears whether an allocation was refused since the last call.</summary>
    public bool TakeRefused()
    {
        var refused = _counters->Refused != 0;
        _counters->Refused = 0;
        return refused;
    }

    private static IntPtr Allocate(IntPtr ud, IntPtr ptr, UIntPtr osize, UIntPtr nsize)
    {
        var c = (Counters*)ud;
        // With ptr == NULL, osize is a type tag, not a size (Lua 5.4 manual §4.6).
        var oldSize = ptr == IntPtr.Zero ? 0 : (long)(ulong)osize;
        var newSize = (long)(ulong)nsize;
        if (newSize == 0)
        {
            NativeMemory.Free((void*)ptr);
            c->Used -= oldSize;
            return IntPtr.Zero;
        }
        var growth = newSize - oldSize;
        if (growth > 0 && c->Enforce != 0 && c->Used + growth > c->Limit)
        {
            c->Refused = 1;
            return IntPtr.Zero; // Lua collects garbage, retries once, then raises "not enough memory"
        }
        var block = NativeMemory.Realloc((void*)ptr, (nuint)newSize);
        if (block == null) return IntPtr.Zero;
        c->Used += growth;
        return (IntPtr)block;
    }

    public void Dispose()
    {
        if (_counters == null) return;
        NativeMemory.Free(_counters);
        _counters = null;
    }
}
