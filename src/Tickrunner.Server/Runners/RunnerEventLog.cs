using Tickrunner.Engine.Events;

namespace Tickrunner.Server.Runners;

/// <summary>A runner's log as <c>GET /api/runners/{id}/events</c> answers it: its own events from the hub's history.</summary>
internal static class RunnerEventLog
{
    // A backtest or optimization may carry the same id as a runner (its events match a runner_id filter by id); a runner's log
    // is its own events only.
    private static readonly RunnerEventKind[] RunnerKinds =
        [.. Enum.GetValues<RunnerEventKind>().Where(k => k is not (RunnerEventKind.BacktestProgress or RunnerEventKind.BacktestFinished
            or RunnerEventKind.OptimizationProgress or RunnerEventKind.OptimizationFinished or RunnerEventKind.EngineHalted
            or RunnerEventKind.EngineResumed))];

    /// <summary>With <paramref name="since"/> the first <paramref name="limit"/> events after it (to resume), without it the newest <paramref name="limit"/>.</summary>
    public static IReadOnlyList<EventFrame> Read(EventHub hub, string id, long? since, int limit)
    {
        var filter = new EventFilter([id], [], RunnerKinds);
        return since is { } seq ? hub.Recent(seq, filter, limit) : hub.Recent(0, filter).TakeLast(limit).ToList();
    }
}
