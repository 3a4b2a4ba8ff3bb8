using Microsoft.Extensions.Options;
using Tickrunner.Cluster.Runners;
using Tickrunner.Cluster.Storage;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Strategies;
using Tickrunner.Server.Hosting;
using Tickrunner.Server.Runners;

namespace Tickrunner.Server.Clustering;

/// <summary>
/// A cluster node's start: on a cluster that has no runner yet, the demo runners (as the single-process server makes them on
/// its first start) and the sample dataset. Restoring runners is the silos' keep-alive's, and each silo reads its own feed.
/// </summary>
public sealed partial class ClusterNodeService(IRunnerService runners, SqliteGrainStorage storage, IMarketDataFeed feed, StrategyCatalog catalog,
    DatasetStore datasets, IOptions<TickrunnerOptions> options, ILogger<ClusterNodeService> logger) : IHostedService
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Demo.Enabled) return;
        if ((await storage.ListKeysAsync(RunnerGrain.GrainTypeName, cancellationToken)).Count > 0) return;
        foreach (var definition in EngineHostedService.DemoRunners)
        {
            if (!feed.Symbols.Contains(definition.Symbol) || !catalog.Exists(definition.StrategyName)) continue;
            try
            {
                await runners.CreateAsync(definition, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Another node starting at the same moment made it first, or the cluster is not ready: the others still come.
                LogDemoFailed(e, definition.RunnerId);
            }
        }
        try
        {
            SampleDataset.Ensure(datasets);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogSampleFailed(e, datasets.Directory);
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo runner {RunnerId} was not created on the cluster")]
    private partial void LogDemoFailed(Exception e, string runnerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The sample dataset could not be written to {Directory}")]
    private partial void LogSampleFailed(Exception e, string directory);
}
