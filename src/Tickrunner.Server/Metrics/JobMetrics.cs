using Prometheus;
using Tickrunner.Server.Backtests;
using Tickrunner.Server.Optimizations;

namespace Tickrunner.Server.Metrics;

/// <summary>
/// The job series: backtests and optimizations queued and running, finished by status, and the bars and trials they processed.
/// </summary>
/// <remarks>
/// Bars per second is <c>rate(tickrunner_backtest_bars_total[1m])</c>, trials per second <c>rate(tickrunner_optimization_trials_total[1m])</c>:
/// counters, which Prometheus turns into a rate over any window, rather than gauges of one moment's speed. An optimization's
/// trials are backtests too, but the optimizer reports them by the trial, not by the bar, so they count only as trials.
/// </remarks>
internal sealed class JobMetrics
{
    private static readonly string[] FinishedStatuses = ["done", "failed", "cancelled"];

    private readonly BacktestService _backtests;
    private readonly OptimizationService _optimizations;
    private readonly Gauge.Child _queued, _running, _optimizationsQueued, _optimizationsRunning;
    private readonly Counter.Child[] _finished, _optimizationsFinished;
    private readonly Counter _bars, _trials;

    public JobMetrics(IMetricFactory factory, BacktestService backtests, OptimizationService optimizations)
    {
        _backtests = backtests;
        _optimizations = optimizations;
        var active = factory.CreateGauge("tickrunner_backtests", "Backtest jobs waiting for a worker (queued) or running.", ["status"]);
        _queued = active.WithLabels("queued");
        _running = active.WithLabels("running");
        var finished = factory.CreateCounter("tickrunner_backtests_finished_total",
            "Backtest jobs that ended, by status: done, failed or cancelled.", ["status"]);
        _finished = Array.ConvertAll(FinishedStatuses, s => finished.WithLabels(s));
        _bars = factory.CreateCounter("tickrunner_backtest_bars_total",
            "Bars processed by backtest jobs, counted a few times a second as they run; rate() gives bars per second.");
        var optimizationsActive = factory.CreateGauge("tickrunner_optimizations",
            "Optimization jobs waiting for the running one (queued) or running.", ["status"]);
        _optimizationsQueued = optimizationsActive.WithLabels("queued");
        _optimizationsRunning = optimizationsActive.WithLabels("running");
        var optimizationsFinished = factory.CreateCounter("tickrunner_optimizations_finished_total",
            "Optimization jobs that ended, by status: done, failed or cancelled.", ["status"]);
        _optimizationsFinished = Array.ConvertAll(FinishedStatuses, s => optimizationsFinished.WithLabels(s));
        _trials = factory.CreateCounter("tickrunner_optimization_trials_total",
            "Trials evaluated by optimization jobs, counted as each ends; rate() gives trials per second.");
    }

    public void Update()
    {
        _queued.Set(_backtests.QueuedCount);
        _running.Set(_backtests.RunningCount);
        for (var i = 0; i < FinishedStatuses.Length; i++) _finished[i].IncTo(_backtests.FinishedCount(FinishedStatuses[i]));
        _bars.IncTo(_backtests.BarsProcessed);
        _optimizationsQueued.Set(_optimizations.QueuedCount);
        _optimizationsRunning.Set(_optimizations.RunningCount);
        for (var i = 0; i < FinishedStatuses.Length; i++) _optimizationsFinished[i].IncTo(_optimizations.FinishedCount(FinishedStatuses[i]));
        _trials.IncTo(_optimizations.TrialsDone);
    }
}
