using Prometheus;
using Tickrunner.Server.Backtests;

namespace Tickrunner.Server.Metrics;

/// <summary>The job series: backtests queued and running, backtests finished by status, and the bars they processed.</summary>
/// <remarks>
/// Bars per second is <c>rate(tickrunner_backtest_bars_total[1m])</c>: a counter, which Prometheus turns into a rate
/// over any window, rather than a gauge of one moment's speed. Parameter optimizations, once they exist, get the same
/// three series here (<c>tickrunner_optimizations{status}</c>, <c>tickrunner_optimizations_finished_total{status}</c> and
/// their trials), their backtests counting in <c>tickrunner_backtest_bars_total</c>.
/// </remarks>
internal sealed class JobMetrics
{
    private static readonly string[] FinishedStatuses = ["done", "failed", "cancelled"];

    private readonly BacktestService _backtests;
    private readonly Gauge.Child _queued, _running;
    private readonly Counter.Child[] _finished;
    private readonly Counter _bars;

    public JobMetrics(IMetricFactory factory, BacktestService backtests)
    {
        _backtests = backtests;
        var active = factory.CreateGauge("tickrunner_backtests", "Backtest jobs waiting for a worker (queued) or running.", ["status"]);
        _queued = active.WithLabels("queued");
        _running = active.WithLabels("running");
        var finished = factory.CreateCounter("tickrunner_backtests_finished_total",
            "Backtest jobs that ended, by status: done, failed or cancelled.", ["status"]);
        _finished = Array.ConvertAll(FinishedStatuses, s => finished.WithLabels(s));
        _bars = factory.CreateCounter("tickrunner_backtest_bars_total",
            "Bars processed by backtest jobs, counted a few times a second as they run; rate() gives bars per second.");
    }

    public void Update()
    {
        _queued.Set(_backtests.QueuedCount);
        _running.Set(_backtests.RunningCount);
        for (var i = 0; i < FinishedStatuses.Length; i++) _finished[i].IncTo(_backtests.FinishedCount(FinishedStatuses[i]));
        _bars.IncTo(_backtests.BarsProcessed);
    }
}
