namespace Tickrunner.Engine.Runners;

/// <summary>A request a runner answers on its own loop, so it reads its state without locks.</summary>
internal abstract class RunnerCommand
{
    /// <summary>Position in the runner's command order; its wake item carries the same number.</summary>
    public long Number { get; set; }

    public abstract void Execute(SymbolRunner runner);

    public abstract void Fail(Exception error);
}

/// <summary>A command with a typed reply.</summary>
internal sealed class RunnerCommand<T>(Func<SymbolRunner, T> execute) : RunnerCommand
{
    private readonly TaskCompletionSource<T> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Reply => _reply.Task;

    public override void Execute(SymbolRunner runner)
    {
        try
        {
            _reply.TrySetResult(execute(runner));
        }
        catch (Exception e)
        {
            _reply.TrySetException(e);
        }
    }

    public override void Fail(Exception error) => _reply.TrySetException(error);
}
