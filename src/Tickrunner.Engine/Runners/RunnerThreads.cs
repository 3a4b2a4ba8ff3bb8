using System.Collections.Concurrent;

namespace Tickrunner.Engine.Runners;

/// <summary>
/// The threads the runners' loops run on: a fixed set (one per core by default) with one shared FIFO queue,
/// exposed as the synchronization context the loops resume on.
/// </summary>
/// <remarks>
/// On the thread pool, runner loops shared threads with everything else in the process, and the pool grows
/// past the core count when work queues up: a runner whose thread the OS preempted for another pool thread
/// waited a whole time slice (milliseconds) with its bars. Here there are never more runner threads than
/// cores, a loop that yields (after <see cref="EngineOptions.BatchSize"/> bars) goes to the back of the queue,
/// and the rest of the process keeps the thread pool to itself.
/// </remarks>
internal sealed class RunnerThreads : SynchronizationContext, IDisposable
{
    // A queue and a semaphore rather than a BlockingCollection: its timed take allocates a linked
    // CancellationTokenSource on every wait, and runner threads wait between most bursts.
    private readonly ConcurrentQueue<(SendOrPostCallback Callback, object? State)> _work = new();
    private readonly SemaphoreSlim _queued = new(0);
    private volatile bool _completed;
    private readonly List<Thread> _threads = [];
    private int _spares, _retiring;
    private const int RetireCheckMs = 100;

    public RunnerThreads(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        for (var i = 0; i < count; i++) StartThread($"Tickrunner runner {i + 1}");
    }

    /// <summary>Threads started beyond the fixed set and not yet retired.</summary>
    public int Spares => Volatile.Read(ref _spares);

    private void StartThread(string name)
    {
        var thread = new Thread(Work) { IsBackground = true, Name = name };
        lock (_threads) _threads.Add(thread);
        thread.Start();
    }

    /// <summary>
    /// Starts one more thread while a runner holds one of them for a long time (a slow strategy call), so the
    /// runners queued behind it are served meanwhile.
    /// </summary>
    public void AddSpare()
    {
        if (_completed) return;
        StartThread($"Tickrunner runner (spare {Interlocked.Increment(ref _spares)})");
    }

    /// <summary>Lets one thread end after its current work item, once the runner that needed a spare is done.</summary>
    public void RetireSpare() => Interlocked.Increment(ref _retiring);

    /// <summary>Queues a continuation of a runner loop.</summary>
    public override void Post(SendOrPostCallback d, object? state)
    {
        if (!_completed)
        {
            _work.Enqueue((d, state));
            _queued.Release();
            if (!_completed) return;
            // Completed meanwhile: the threads may be gone; whatever is left is run below by the pool.
            if (!_work.TryDequeue(out var left)) return;
            (d, state) = left;
        }
        // After disposal (an engine shut down while a late continuation arrives) the thread pool runs it.
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.d(s.state), (d, state), preferLocal: false);
    }

    /// <summary>Runs synchronously on the calling thread (nothing in the engine sends).</summary>
    public override void Send(SendOrPostCallback d, object? state) => d(state);

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Starts <paramref name="loop"/> on one of these threads; the task completes when the loop does.</summary>
    public Task Run(Func<Task> loop)
    {
        var started = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(static s =>
        {
            var (start, result) = ((Func<Task>, TaskCompletionSource<Task>))s!;
            result.SetResult(start());
        }, (loop, started));
        return started.Task.Unwrap();
    }

    private void Work()
    {
        SetSynchronizationContext(this);
        // A timed wait, so a thread asked to retire does so even while no work arrives.
        while (true)
        {
            if (_queued.Wait(RetireCheckMs) && _work.TryDequeue(out var item)) item.Callback(item.State);
            else if (_completed && _work.IsEmpty) break;
            if (Volatile.Read(ref _retiring) > 0 && TryRetire()) break;
        }
        lock (_threads) _threads.Remove(Thread.CurrentThread);
    }

    // Whichever thread gets here first retires: the thread count is what matters, not which one ends.
    private bool TryRetire()
    {
        int retiring;
        while ((retiring = Volatile.Read(ref _retiring)) > 0)
        {
            if (Interlocked.CompareExchange(ref _retiring, retiring - 1, retiring) == retiring)
            {
                Interlocked.Decrement(ref _spares);
                return true;
            }
        }
        return false;
    }

    /// <summary>Lets the threads finish what is queued and end.</summary>
    /// <remarks>
    /// May run on one of these threads (an engine's shutdown can resume on the thread its last runner ended
    /// on): that one is not joined, and the queue is not disposed under it. A thread stuck in a strategy call
    /// that never returns is given up on after ten seconds.
    /// </remarks>
    public void Dispose() => Dispose(TimeSpan.FromSeconds(10));

    /// <summary>As <see cref="Dispose()"/>, giving up on threads that have not ended after <paramref name="joinTimeout"/> in all.</summary>
    public void Dispose(TimeSpan joinTimeout)
    {
        _completed = true;
        lock (_threads)
        {
            if (_threads.Count > 0) _queued.Release(_threads.Count); // wakes every waiting thread to see it
        }
        Thread[] threads;
        lock (_threads) threads = [.. _threads];
        var waited = System.Diagnostics.Stopwatch.StartNew();
        foreach (var thread in threads)
        {
            if (thread == Thread.CurrentThread) continue;
            var left = joinTimeout - waited.Elapsed;
            thread.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
    }
}
