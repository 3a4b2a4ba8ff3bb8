using System.Diagnostics;

namespace Tickrunner.Engine.Strategies;

/// <summary>
/// One thread per process that stops strategy calls running past their wall-clock limit
/// (<see cref="LuaSandboxOptions.WallClockLimitMs"/>).
/// </summary>
/// <remarks>
/// The instruction budget counts Lua instructions, and some instructions do unbounded work for their count
/// (concatenating a 16 MiB string in a loop, a library call on a large table). The watchdog looks at every
/// live strategy every <see cref="Interval"/> and flags a call past its limit; the host's count hook, on the
/// runner's own thread, fails it within a thousand instructions (this thread never calls into Lua), and the
/// strategy then reports the limit, like the budget. Strategies register for their whole life, so
/// runners, validations and loads are all covered; a look costs one volatile read per strategy.
/// </remarks>
internal static class LuaWatchdog
{
    /// <summary>How often the watchdog looks.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(25);

    private static readonly HashSet<LuaStrategy> Strategies = [];
    private static LuaStrategy[] _snapshot = [];
    private static Thread? _thread;

    public static void Register(LuaStrategy strategy)
    {
        lock (Strategies)
        {
            Strategies.Add(strategy);
            _snapshot = [.. Strategies];
            if (_thread is null)
            {
                _thread = new Thread(Watch) { IsBackground = true, Name = "Tickrunner strategy watchdog" };
                _thread.Start();
            }
        }
    }

    public static void Unregister(LuaStrategy strategy)
    {
        lock (Strategies)
        {
            if (Strategies.Remove(strategy)) _snapshot = [.. Strategies];
        }
    }

    private static void Watch()
    {
        while (true)
        {
            Thread.Sleep(Interval);
            var now = Stopwatch.GetTimestamp();
            foreach (var strategy in Volatile.Read(ref _snapshot))
            {
                try
                {
                    strategy.TryInterrupt(now);
                }
                catch
                {
                    // A strategy closed meanwhile; the others are still watched.
                }
            }
        }
    }
}
