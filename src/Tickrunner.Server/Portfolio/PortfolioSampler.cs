using Microsoft.Extensions.Options;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Runners;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Portfolio;

/// <summary>
/// Samples the portfolio every <see cref="PortfolioOptions.SampleIntervalMs"/> into SQLite for its curve, and keeps the newest
/// <see cref="PortfolioOptions.MaxSamples"/>. It reads snapshots like any client, so the runners' ticks never wait for it.
/// </summary>
public sealed partial class PortfolioSampler(Runners.IRunnerService runners, PortfolioRepository samples, IEngineClock clock,
    IOptions<TickrunnerOptions> options, ILogger<PortfolioSampler> logger) : BackgroundService
{
    private const int PruneEvery = 100;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Portfolio;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(100, settings.SampleIntervalMs)));
        var taken = 0;
        try
        {
            do
            {
                try
                {
                    await SampleAsync(stoppingToken);
                    if (++taken % PruneEvery == 1) samples.Prune(Math.Max(1, settings.MaxSamples));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A busy or failing disk costs a point of the curve, not the server.
                    LogSampleFailed(e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Takes one sample now.</summary>
    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        var snapshots = await runners.ListAsync(cancellationToken);
        samples.Append(PortfolioService.Sum(snapshots, clock.NowUnixMs()));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A portfolio sample could not be stored")]
    private partial void LogSampleFailed(Exception e);
}
