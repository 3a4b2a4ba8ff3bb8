using System.Runtime.InteropServices;

namespace Tickrunner.Engine.Strategies;

/// <summary>The few Lua C API calls KeraLua does not expose the way the host needs them.</summary>
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

    /// <summary>lua_touserdata, callable before a KeraLua wrapper for the state is at hand.</summary>
    [LibraryImport(Library, EntryPoint = "lua_touserdata")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    public static partial IntPtr ToUserData(IntPtr state, int index);

    /// <summary>lua_tolstring: the bytes of a string (or number, converted in place) without copying them.</summary>
    [LibraryImport(Library, EntryPoint = "lua_tolstring")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    public static partial IntPtr ToLString(IntPtr state, int index, out nuint length);

    /// <summary>lua_getallocf: the allocator and its user data (the host's counters) of a state, from inside a hook.</summary>
    [LibraryImport(Library, EntryPoint = "lua_getallocf")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    public static partial IntPtr GetAllocF(IntPtr state, out IntPtr userData);
}
