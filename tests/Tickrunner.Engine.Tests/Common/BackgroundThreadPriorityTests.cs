using Tickrunner.Engine.Common;

namespace Tickrunner.Engine.Tests.Common;

public sealed class BackgroundThreadPriorityTests
{
    [Fact]
    public void On_Linux_the_calling_thread_goes_to_SCHED_IDLE_or_nice_19_and_no_other_thread_does()
    {
        if (!OperatingSystem.IsLinux()) return;
        string? before = null, after = null;
        var how = BackgroundThreadPriority.Lowering.None;
        // A thread of its own: a lowered thread stays lowered, so never the test runner's.
        var thread = new Thread(() =>
        {
            before = PolicyAndNice();
            how = BackgroundThreadPriority.LowerCurrentThreadHow();
            after = PolicyAndNice();
        });
        thread.Start();
        thread.Join();

        Assert.StartsWith("policy 0,", before); // SCHED_OTHER, as every new thread
        Assert.NotEqual(BackgroundThreadPriority.Lowering.None, how);
        if (how == BackgroundThreadPriority.Lowering.SchedIdle) Assert.StartsWith("policy 5,", after);
        else Assert.Equal("policy 0, nice 19", after);
        Assert.StartsWith("policy 0,", PolicyAndNice()); // this thread: untouched
    }

    [Fact]
    public void A_lowered_thread_still_gets_its_work_done()
    {
        var sum = 0L;
        var lowered = false;
        var thread = new Thread(() =>
        {
            lowered = BackgroundThreadPriority.LowerCurrentThread();
            for (var i = 1; i <= 1_000_000; i++) sum += i;
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)));
        Assert.True(lowered);
        Assert.Equal(500_000_500_000L, sum);
    }

    // The calling thread's scheduling policy (0 SCHED_OTHER, 5 SCHED_IDLE) and nice value, as the kernel reports them.
    internal static string PolicyAndNice(string task = "/proc/thread-self")
    {
        var policy = File.ReadLines($"{task}/sched").First(l => l.StartsWith("policy", StringComparison.Ordinal)).Split(':')[1].Trim();
        // stat: "pid (comm) state ..." with nice the 19th field; comm may hold spaces, so count from the closing parenthesis.
        var stat = File.ReadAllText($"{task}/stat");
        var nice = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16];
        return $"policy {policy}, nice {nice}";
    }
}
