using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Tickrunner.Cluster;

/// <summary>
/// A silo's background work in rounds: the first at once, then one every <see cref="Interval"/>; a round that fails is logged
/// and the next one tries again (the storage may be busy, or the silo not fully started), until the silo stops.
/// </summary>
public abstract partial class PeriodicSiloService(ILogger logger) : BackgroundService
{
    /// <summary>Time between the starts of two rounds.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>How loud a failed round is logged.</summary>
    protected virtual LogLevel FailureLevel => LogLevel.Warning;

    /// <summary>One round.</summary>
    protected abstract Task RoundAsync(CancellationToken cancellationToken);

    /// <inheritdoc />
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            do
            {
                try
                {
                    await RoundAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogRoundFailed(FailureLevel, e, GetType().Name);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }

    [LoggerMessage(Message = "A round of {Service} failed; the next one tries again")]
    private partial void LogRoundFailed(LogLevel level, Exception e, string service);
}
