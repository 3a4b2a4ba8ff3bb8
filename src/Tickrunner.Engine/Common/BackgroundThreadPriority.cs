using System.Runtime.InteropServices;

namespace Tickrunner.Engine.Common;

/// <summary>
/// Puts a thread that does background work (a backtest) below the live runners, for real: on Linux .NET ignores
/// <see cref="Thread.Priority"/>, so a "below normal" backtest thread took a whole core from the runners.
/// </summary>
/// <remarks>
/// On Linux the calling thread is moved to <c>SCHED_IDLE</c>, the scheduler class that runs only when no normal
/// thread wants the core, and which a waking normal thread preempts at once; an unprivileged process may always
/// move a thread there (sched(7)). Where that is refused (a seccomp filter), the thread's nice value is raised
/// to 19 instead, which gives it about 1.5 % of a core against a nice-0 thread. Both are per thread: Linux
/// schedules threads, and <c>PRIO_PROCESS</c> with a thread id changes that thread alone. On other systems
/// <see cref="Thread.Priority"/> is set to lowest, which Windows honours (other Unix systems may ignore it).
/// </remarks>
public static partial class BackgroundThreadPriority
{
    private const int SchedIdle = 5;
    private const int PrioProcess = 0;
    private const int LowestNice = 19;

    /// <summary>How the calling thread was lowered by the last <see cref="LowerCurrentThread"/> call on it.</summary>
    public enum Lowering
    {
        /// <summary>Nothing changed: the system refused both.</summary>
        None,
        /// <summary>Linux <c>SCHED_IDLE</c>.</summary>
        SchedIdle,
        /// <summary>Linux nice 19 (<c>SCHED_IDLE</c> was refused).</summary>
        Nice19,
        /// <summary><see cref="ThreadPriority.Lowest"/> (not Linux): what the system makes of it is its own.</summary>
        ThreadPriority,
    }

    /// <summary>Lowers the calling thread below every normal thread; true when the system took it.</summary>
    /// <remarks>Call it first thing on a thread of your own (never on a thread-pool thread, which other work reuses); it cannot be undone by an unprivileged process.</remarks>
    public static bool LowerCurrentThread() => LowerCurrentThreadHow() != Lowering.None;

    /// <summary>As <see cref="LowerCurrentThread"/>, saying how.</summary>
    public static Lowering LowerCurrentThreadHow()
    {
        if (!OperatingSystem.IsLinux())
        {
            Thread.CurrentThread.Priority = ThreadPriority.Lowest;
            return Lowering.ThreadPriority;
        }
        try
        {
            var tid = gettid();
            var param = new SchedParam { Priority = 0 }; // SCHED_IDLE takes no static priority
            if (sched_setscheduler(tid, SchedIdle, ref param) == 0) return Lowering.SchedIdle;
            return setpriority(PrioProcess, tid, LowestNice) == 0 ? Lowering.Nice19 : Lowering.None;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return Lowering.None; // a libc without these (glibc before 2.30 has no gettid wrapper)
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority;
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int gettid();

    [LibraryImport("libc", EntryPoint = "sched_setscheduler")]
    private static partial int sched_setscheduler(int pid, int policy, ref SchedParam param);

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int setpriority(int which, int who, int prio);
}
