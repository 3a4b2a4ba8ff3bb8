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
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _work =
        new(new ConcurrentQueue<(SendOrPostCallback, object?)>());
    private readonly Thread[] _threads;

    public RunnerThreads(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _threads = new Thread[count];
        for (var i = 0; i < count; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"Tickrunner runner {i + 1}" };
            _threads[i].Start();
        }
    }

    /// <summary>Queues a continuation of a runner loop.</summary>
    public override void Post(SendOrPostCallback d, object? state)
    {
        if (!_work.IsAddingCompleted)
        {
            try
            {
                _work.Add((d, state));
                return;
            }
            catch (InvalidOperationException)
            {
                // Completed meanwhile: fall through.
            }
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
        foreach (var (callback, state) in _work.GetConsumingEnumerable()) callback(state);
    }

    /// <summary>Lets the threads finish what is queued and end.</summary>
    /// <remarks>
    /// May run on one of these threads (an engine's shutdown can resume on the thread its last runner ended
    /// on): that one is not joined, and the queue is not disposed under it.
    /// </remarks>
    public void Dispose()
    {
        _work.CompleteAdding();
        foreach (var thread in _threads)
            if (thread != Thread.CurrentThread) thread.Join();
    }
}
