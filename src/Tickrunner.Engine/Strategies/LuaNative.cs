using System.Runtime.InteropServices;

namespace Tickrunner.Engine.Strategies;

/// <summary>The few Lua C API calls KeraLua does not expose the way the host needs them.</summary>
/// <remarks>
/// The calls marked <c>SuppressGCTransition</c> are the host's per-bar ones that neither allocate in Lua (the
/// allocator is a managed callback: a callback without the GC transition would abort the process) nor call a metamethod,
/// a hook or any other code: they push, read or compare stack slots. Without the transition a call costs a few
/// nanoseconds instead of a few tens, and a bar makes dozens of them. Anything that can allocate (rawset, pushstring,
/// createtable, pcall) or run code stays with KeraLua's ordinary imports.
/// </remarks>
internal static partial class LuaNative
{
    private const string Library = "lua54";

    public const int MaskCount = 8;

    /// <summary>lua_sethook with a raw C hook pointer: re-arming the Lua-side budget hook without a managed delegate.</summary>
    [LibraryImport(Library, EntryPoint = "lua_sethook")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    public static partial void SetHook(IntPtr state, IntPtr hook, int mask, int count);

    /// <summary>lua_gethook: the C hook currently installed (debug.sethook's dispatcher once a Lua hook is set).</summary>
    [LibraryImport(Library, EntryPoint = "lua_gethook")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    public static partial IntPtr GetHook(IntPtr state);

    /// <summary>lua_tolstring: the bytes of a string (or number, converted in place) without copying them.</summary>
    [LibraryImport(Library, EntryPoint = "lua_tolstring")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    public static partial IntPtr ToLString(IntPtr state, int index, out nuint length);

    /// <summary>lua_getallocf: the allocator and its user data (the host's counters) of a state, from inside a hook.</summary>
    [LibraryImport(Library, EntryPoint = "lua_getallocf")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    public static partial IntPtr GetAllocF(IntPtr state, out IntPtr userData);

    /// <summary>lua_pushvalue: pushes a copy of a stack slot (no allocation: the host keeps stack room for its pushes).</summary>
    [LibraryImport(Library, EntryPoint = "lua_pushvalue")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    [SuppressGCTransition]
    public static partial void PushValue(IntPtr state, int index);

    /// <summary>lua_pushnumber.</summary>
    [LibraryImport(Library, EntryPoint = "lua_pushnumber")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    [SuppressGCTransition]
    public static partial void PushNumber(IntPtr state, double value);

    /// <summary>lua_pushinteger.</summary>
    [LibraryImport(Library, EntryPoint = "lua_pushinteger")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    [SuppressGCTransition]
    public static partial void PushInteger(IntPtr state, long value);

    /// <summary>lua_pushnil.</summary>
    [LibraryImport(Library, EntryPoint = "lua_pushnil")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    [SuppressGCTransition]
    public static partial void PushNil(IntPtr state);

    /// <summary>lua_type.</summary>
    [LibraryImport(Library, EntryPoint = "lua_type")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    [SuppressGCTransition]
    public static partial int Type(IntPtr state, int index);

    /// <summary>lua_tonumberx with no out flag: a number slot's value (callers check the type first: no string is converted).</summary>
    [LibraryImport(Library, EntryPoint = "lua_tonumberx")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    [SuppressGCTransition]
    public static partial double ToNumber(IntPtr state, int index, IntPtr isNumber = 0);

    /// <summary>lua_touserdata, for a callback's light-userdata upvalue on the hot path.</summary>
    [LibraryImport(Library, EntryPoint = "lua_touserdata")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    [SuppressGCTransition]
    public static partial IntPtr ToUserDataFast(IntPtr state, int index);

    /// <summary>lua_rawget: a raw table read (no metamethod, no allocation); returns the value's type.</summary>
    [LibraryImport(Library, EntryPoint = "lua_rawget")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    [SuppressGCTransition]
    public static partial int RawGet(IntPtr state, int index);
}
