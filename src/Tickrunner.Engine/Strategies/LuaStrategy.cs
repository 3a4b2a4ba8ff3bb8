using System.Runtime.InteropServices;
using System.Text;
using KeraLua;

namespace Tickrunner.Engine.Strategies;

/// <summary>A Lua 5.4 strategy in its own sandboxed state: the three-function contract of docs/engine-contract.md §4.</summary>
/// <remarks>
/// The state's tables (market_data, context, indicators) and the constant strings the host needs are created
/// once and kept on the bottom of the Lua stack, so a tick only overwrites numbers in place: no Lua table,
/// no chunk and no managed object is created per tick. One instance serves one runner; it is not thread-safe.
/// </remarks>
public sealed unsafe partial class LuaStrategy : IDisposable
{
    // Fixed stack slots, filled at load and kept for the state's life.
    private const int MarketDataSlot = 1, ContextSlot = 2, IndicatorsSlot = 3, IndicatorValuesSlot = 4, GlobalsSlot = 5, AccountSlot = 6;
    private const int KeySlotBase = 7;

    private enum Key
    {
        Symbol, Timestamp, Open, High, Low, Close, Volume, Bid, Ask, MidPrice, Range, AvgVolume,
        Action, Price, Quantity, StopLoss, TakeProfit, Reason, NewStop, NewTarget,
        DetectOpportunity, FilterCommitment, ManagePosition,
        StartAnalyzing, CancelAnalysis, EnterLong, EnterShort, Exit, UpdateStopLoss, UpdateTakeProfit,
        Equity, Cash, InitialCapital,
        SymbolValue, // the symbol string last written to market_data, pushed again only when it changes
    }

    private static readonly string[] KeyNames =
    [
        "symbol", "timestamp", "open", "high", "low", "close", "volume", "bid", "ask", "mid_price", "range", "avg_volume",
        "action", "price", "quantity", "stop_loss", "take_profit", "reason", "new_stop", "new_target",
        "detect_opportunity", "filter_commitment", "manage_position",
        "start_analyzing", "cancel_analysis", "enter_long", "enter_short", "exit", "update_stop_loss", "update_take_profit",
        "equity", "cash", "initial_capital",
        "",
    ];

    /// <summary>The three entry points, in the order of the states that call them.</summary>
    public static IReadOnlyList<string> EntryPoints { get; } = ["detect_opportunity", "filter_commitment", "manage_position"];

    private static int SlotOf(Key key) => KeySlotBase + (int)key;
    private static readonly int MessageHandlerSlot = SlotOf(Key.SymbolValue) + 1;
    private static readonly int BaseTop = MessageHandlerSlot;

    private readonly Lua _lua;
    private readonly IntPtr _state; // _lua.Handle, for the per-bar calls of LuaNative
    private readonly LuaMemoryLimit _memory;
    private readonly LuaSandboxOptions _options;
    private GCHandle _self;
    private IntPtr _budgetHook;
    private MarketDataWindow? _window;
    private long _indicatorWork;
    private string? _symbolValue;
    private bool _disposed; // written under _interruptGate, so the watchdog never touches a closed state

    // The watchdog's view of the call in progress: its Stopwatch start, 0 when no call runs, -1 while the
    // watchdog is interrupting it (the call's end then waits on _interruptGate, so the interrupt can never
    // land in the next call).
    private long _callStarted;
    private long _interruptedCall;
    private readonly Lock _interruptGate = new();

    private LuaStrategy(string name, string code, string? path, LuaSandboxOptions options, Action<string>? log)
    {
        options.Validate();
        Log = log;
        Name = name;
        Code = code;
        FilePath = path;
        _options = options;
        _memory = new LuaMemoryLimit(options.MemoryLimitBytes);
        // The limit is not enforced until strategy code runs: refusing the very first allocation would crash KeraLua.
        _lua = new Lua(LuaMemoryLimit.Allocator, _memory.UserData) { Encoding = Encoding.UTF8 };
        _state = _lua.Handle;
        _self = GCHandle.Alloc(this, GCHandleType.Weak);
        try
        {
            LuaWatchdog.Register(this); // before the chunk runs: top-level code is under the watchdog too
            Initialise();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The strategy's name (the file stem for files).</summary>
    public string Name { get; }

    /// <summary>The Lua source.</summary>
    public string Code { get; }

    /// <summary>Where the code was read from, if it came from a file.</summary>
    public string? FilePath { get; }

    /// <summary>Receives what the strategy prints.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Bytes the Lua state holds now.</summary>
    public long MemoryUsedBytes => _memory.Used;

    /// <summary>Loads a strategy from a .lua file; its name is the file stem.</summary>
    /// <exception cref="StrategyLoadException">Syntax error, error at load, or a missing entry point.</exception>
    public static LuaStrategy FromFile(string path, LuaSandboxOptions? options = null, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Strategy file '{path}' does not exist.", path);
        return new LuaStrategy(Path.GetFileNameWithoutExtension(path), File.ReadAllText(path), Path.GetFullPath(path), options ?? LuaSandboxOptions.Default, log);
    }

    /// <summary>Loads a strategy from source code.</summary>
    /// <exception cref="StrategyLoadException">Syntax error, error at load, or a missing entry point.</exception>
    /// <param name="name">The name; errors show it as <c>name.lua</c>.</param>
    /// <param name="code">The Lua source.</param>
    /// <param name="options">Sandbox limits; <see cref="LuaSandboxOptions.Default"/> when null.</param>
    /// <param name="log">Receives what the strategy prints, from its top-level code on.</param>
    public static LuaStrategy FromCode(string name, string code, LuaSandboxOptions? options = null, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(code);
        return new LuaStrategy(name, code, null, options ?? LuaSandboxOptions.Default, log);
    }

    private string ChunkName => "@" + Name + ".lua";

    private void Initialise()
    {
        var lua = _lua;
        lua.OpenLibs();
        if (!lua.CheckStack(BaseTop + 16)) throw new InvalidOperationException("Lua stack could not grow.");
        lua.NewTable();                                  // 1 market_data
        lua.NewTable();                                  // 2 context
        RunPrelude();                                    // 3 indicators proxy, 4 the values behind it
        lua.PushGlobalTable();                           // 5 globals
        lua.NewTable();                                  // 6 account
        foreach (var key in KeyNames) lua.PushString(key); // key slots
        lua.PushLightUserData(GCHandle.ToIntPtr(_self));
        lua.PushCClosure(MessageHandlerFunction, 1);     // the message handler of every protected call
        _budgetHook = LuaNative.GetHook(lua.Handle);
        _memory.State->BudgetHook = _budgetHook;

        var diagnostics = new List<LuaDiagnostic>();
        var load = lua.LoadBuffer(Encoding.UTF8.GetBytes(Code), ChunkName, "t");
        if (load != LuaStatus.OK)
        {
            diagnostics.Add(LuaErrors.ToDiagnostic(PopMessage(load), Code));
            throw new StrategyLoadException(Name, diagnostics);
        }
        var status = CallProtected(0, 0);
        if (status != LuaStatus.OK)
        {
            diagnostics.Add(LuaErrors.ToDiagnostic(PopMessage(status), Code));
            throw new StrategyLoadException(Name, diagnostics);
        }
        ReadParameters(diagnostics);
        foreach (var entry in EntryPoints)
        {
            // Raw: outside a protected call, a metamethod the strategy put on _G could raise an error
            // that nothing catches, and Lua would abort the process.
            lua.PushString(entry);
            var type = lua.RawGet(GlobalsSlot);
            lua.Pop(1);
            if (type != LuaType.Function)
                diagnostics.Add(new LuaDiagnostic(1, null,
                    type == LuaType.Nil ? $"missing function '{entry}' (a strategy defines detect_opportunity, filter_commitment and manage_position)"
                                        : $"'{entry}' must be a function, not a {LuaTypeName(type)}", DiagnosticSeverity.Error));
        }
        if (diagnostics.Count > 0) throw new StrategyLoadException(Name, diagnostics);
        lua.SetTop(BaseTop);
    }

    private void RunPrelude()
    {
        var lua = _lua;
        if (lua.LoadBuffer(Encoding.UTF8.GetBytes(LuaPrelude.Code), "=tickrunner", "t") != LuaStatus.OK)
            throw new InvalidOperationException("Sandbox prelude failed to compile: " + lua.ToString(-1, false));
        lua.PushInteger(_options.InstructionBudget);
        lua.PushInteger(_options.RandomSeed);
        lua.PushInteger(_options.MemoryLimitBytes);
        var self = GCHandle.ToIntPtr(_self);
        foreach (var function in HostFunctions)
        {
            lua.PushLightUserData(self);
            lua.PushCClosure(function, 1);
        }
        if (lua.PCall(3 + HostFunctions.Length, 2, 0) != LuaStatus.OK)
            throw new InvalidOperationException("Sandbox prelude failed: " + lua.ToString(-1, false));
    }

    /// <summary>
    /// Runs the function below <paramref name="arguments"/> under the instruction budget, the memory limit and
    /// the wall-clock watchdog.
    /// </summary>
    private LuaStatus CallProtected(int arguments, int results)
    {
        var counters = _memory.State;
        counters->InstructionsLeft = _options.InstructionBudget;
        counters->Armed = Math.Min(_options.InstructionBudget, HookStep);
        Volatile.Write(ref counters->Interrupt, 0);
        LuaNative.SetHook(_lua.Handle, CountHookPointer, LuaNative.MaskCount, counters->Armed);
        _memory.TakeRefused(); // a refusal that the strategy's own pcall absorbed earlier must not colour this call
        _indicatorWork = 0;
        _interrupted = false;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Volatile.Write(ref _callStarted, started);
        _memory.Enforce = true;
        var status = _lua.PCall(arguments, results, MessageHandlerSlot);
        _memory.Enforce = false;
        if (Interlocked.CompareExchange(ref _callStarted, 0, started) != started)
        {
            // The watchdog claimed this call: wait until it has set its hook, which the next call then replaces.
            lock (_interruptGate) Volatile.Write(ref _callStarted, 0);
        }
        _interrupted = Volatile.Read(ref _interruptedCall) == started;
        if (_interrupted && status == LuaStatus.OK)
        {
            // It ran past the limit (stuck in a host function, where no hook runs) and then finished before the hook
            // looked again: it still overran, so it fails like a call the hook stopped.
            _lua.Pop(results);
            _lua.PushString(LuaPrelude.BudgetSentinel);
            status = LuaStatus.ErrRun;
        }
        return status;
    }

    private bool _interrupted;

    /// <summary>How long the call in progress has run, in Stopwatch ticks (0 when none runs).</summary>
    internal long CallRunningTicks(long now)
    {
        var started = Volatile.Read(ref _callStarted);
        return started == 0 ? 0 : started < 0 ? now - Volatile.Read(ref _interruptedCall) : now - started;
    }

    /// <summary>The wall-clock limit per call, in Stopwatch ticks.</summary>
    internal long WallClockLimitTicks => _options.WallClockLimitMs * System.Diagnostics.Stopwatch.Frequency / 1000;

    /// <summary>
    /// Called by the watchdog's thread: flags a call that has run past the wall-clock limit, which the count hook
    /// on the runner's thread then fails within <see cref="HookStep"/> instructions.
    /// </summary>
    internal bool TryInterrupt(long now)
    {
        var started = Volatile.Read(ref _callStarted);
        if (started <= 0 || now - started < WallClockLimitTicks) return false;
        lock (_interruptGate)
        {
            if (_disposed || Interlocked.CompareExchange(ref _callStarted, -1, started) != started) return false;
            Volatile.Write(ref _interruptedCall, started);
            // Only a flag: calling into Lua from this thread (lua_sethook walks the running thread's call frames)
            // could race with the runner returning from them. The count hook on the runner's thread acts on it.
            Volatile.Write(ref _memory.State->Interrupt, 1);
        }
        return true;
    }

    /// <summary>Instructions between two looks of the count hook: the watchdog's flag is acted on within this many.</summary>
    private const int HookStep = 1000;

    private static readonly unsafe IntPtr CountHookPointer = (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, void>)&CountHook;

    // The host's count hook, every HookStep instructions on the runner's own thread: counts the call's budget down,
    // and when it is spent or the watchdog asked, arms the Lua-side budget hook to raise the error at the next
    // instruction (a C hook cannot raise a Lua error across managed frames; the Lua hook does it in Lua).
    [System.Runtime.InteropServices.UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static void CountHook(IntPtr state, IntPtr debug)
    {
        LuaNative.GetAllocF(state, out var userData);
        var c = (LuaMemoryLimit.Counters*)userData;
        c->InstructionsLeft -= c->Armed;
        if (c->InstructionsLeft <= 0 || Volatile.Read(ref c->Interrupt) != 0)
        {
            LuaNative.SetHook(state, c->BudgetHook, LuaNative.MaskCount, 1);
            return;
        }
        var next = (int)Math.Min(c->InstructionsLeft, HookStep);
        if (next != c->Armed)
        {
            c->Armed = next;
            LuaNative.SetHook(state, CountHookPointer, LuaNative.MaskCount, next);
        }
    }

    /// <summary>True when the last call failed because the watchdog stopped it.</summary>
    public bool LastCallTimedOut => _interrupted;

    /// <summary>Pops the error of a failed call and turns sandbox-limit errors into messages a person can act on.</summary>
    private string PopMessage(LuaStatus status)
    {
        var message = _lua.Type(-1) is LuaType.String or LuaType.Number
            ? ReadString(-1, MaxErrorBytes)
            : $"(error object is a {LuaTypeName(_lua.Type(-1))} value)";
        _lua.Pop(1);
        if ((int)status == 4 /* LUA_ERRMEM; KeraLua's enum names differ from 5.4 */ || _memory.TakeRefused())
            return $"{Name}.lua: memory limit of {_options.MemoryLimitBytes / (1024 * 1024.0):0.#} MiB exceeded ({message})";
        var sentinel = message.IndexOf(LuaPrelude.BudgetSentinel, StringComparison.Ordinal);
        if (sentinel >= 0)
            return message[..sentinel] + (_interrupted
                ? $"ran longer than the wall-clock limit of {_options.WallClockLimitMs:N0} ms per call"
                : $"instruction budget of {_options.InstructionBudget:N0} instructions per call exceeded");
        return message;
    }

    private static string LuaTypeName(LuaType type) => type switch
    {
        LuaType.None or LuaType.Nil => "nil",
        LuaType.Boolean => "boolean",
        LuaType.LightUserData or LuaType.UserData => "userdata",
        LuaType.Number => "number",
        LuaType.String => "string",
        LuaType.Table => "table",
        LuaType.Function => "function",
        LuaType.Thread => "thread",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>Closes the Lua state.</summary>
    public void Dispose()
    {
        lock (_interruptGate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        LuaWatchdog.Unregister(this);
        _lua.Dispose();
        _memory.Dispose();
        if (_self.IsAllocated) _self.Free();
    }
}
