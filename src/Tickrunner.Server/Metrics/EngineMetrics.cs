using Prometheus;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Server.Metrics;

/// <summary>
/// The engine's series: runners by status, ticks processed and dropped, actions, errors by severity, bars from the
/// feed, events published, the tick → hub latency, and the kill switch with the open positions across runners. Read from the engine's totals when scraped, never per tick.
/// </summary>
/// <remarks>
/// Every labelled child is made here, once: a scrape sets a fixed number of values (the totals are summed over the
/// runners by the engine into one reused <see cref="EngineTotals"/>), so it costs the same with ten runners or ten
/// thousand, and no runner id ever becomes a label.
/// </remarks>
internal sealed class EngineMetrics
{
    private static readonly ActionKind[] Kinds = Enum.GetValues<ActionKind>();
    private static readonly ErrorSeverity[] Severities = Enum.GetValues<ErrorSeverity>();

    private readonly TradingEngine _engine;
    private readonly EventHub _hub;
    private readonly IMarketDataFeed _feed;
    private readonly EngineTotals _totals = new();
    private readonly Gauge.Child _running, _paused, _stopped;
    private readonly Gauge _halted, _openPositions, _openNotional;
    private readonly Counter _ticksProcessed, _ticksDropped, _barsReceived, _barsRejected, _eventsPublished;
    private readonly Counter.Child[] _executed, _rejected, _errors;
    private readonly TickLatencyMetric _latency;

    public EngineMetrics(IMetricFactory factory, TradingEngine engine, EventHub hub, IMarketDataFeed feed, IReadOnlyList<double> latencyBuckets)
    {
        _engine = engine;
        _hub = hub;
        _feed = feed;
        var runners = factory.CreateGauge("tickrunner_runners", "Runners listed, by status (running, paused or stopped).", ["status"]);
        _running = runners.WithLabels("running");
        _paused = runners.WithLabels("paused");
        _stopped = runners.WithLabels("stopped");
        _ticksProcessed = factory.CreateCounter("tickrunner_ticks_processed_total",
            "Bars processed by runners; a bar that reaches three runners counts three times.");
        _ticksDropped = factory.CreateCounter("tickrunner_ticks_dropped_total",
            "Bars dropped by runners whose inbox was full (Tickrunner:Engine:InboxCapacity).");
        var actions = factory.CreateCounter("tickrunner_actions_total",
            "Strategy actions, by kind and by result: executed, or rejected (each rejection also counts as a warning in tickrunner_errors_total).",
            ["kind", "result"]);
        _executed = Array.ConvertAll(Kinds, k => actions.WithLabels(ActionNames.Of(k), "executed"));
        _rejected = Array.ConvertAll(Kinds, k => actions.WithLabels(ActionNames.Of(k), "rejected"));
        var errors = factory.CreateCounter("tickrunner_errors_total",
            "Runner errors by severity: warning (an action rejected), error (a strategy error; the tick is skipped), critical (the runner stopped).",
            ["severity"]);
        _errors = Array.ConvertAll(Severities, s => errors.WithLabels(s.ToString().ToLowerInvariant()));
        _barsReceived = factory.CreateCounter("tickrunner_bars_received_total", "Bars the engine received from the feed.");
        _barsRejected = factory.CreateCounter("tickrunner_bars_rejected_total",
            "Bars refused as invalid: rows or messages the feed could not read or that broke the bar rules, and bars the engine refused.");
        _eventsPublished = factory.CreateCounter("tickrunner_events_published_total", "Events published on the event hub (its newest seq).");
        _latency = new TickLatencyMetric(factory, hub.TickLatency, latencyBuckets);
        _halted = factory.CreateGauge("tickrunner_engine_halted", "1 while the engine's kill switch is on (POST /api/engine/halt), else 0.");
        _openPositions = factory.CreateGauge("tickrunner_open_positions", "Positions open across runners (what Tickrunner:Risk:MaxOpenPositions limits).");
        _openNotional = factory.CreateGauge("tickrunner_open_notional",
            "Notional at entry of the positions open across runners (what Tickrunner:Risk:MaxTotalNotional limits).");
    }

    public void Update()
    {
        _engine.ReadTotals(_totals);
        _running.Set(_totals.Running);
        _paused.Set(_totals.Paused);
        _stopped.Set(_totals.Stopped);
        _ticksProcessed.IncTo(_totals.TicksProcessed);
        _ticksDropped.IncTo(_totals.TicksDropped);
        for (var i = 0; i < Kinds.Length; i++)
        {
            _executed[i].IncTo(_totals.ActionsExecuted(Kinds[i]));
            _rejected[i].IncTo(_totals.ActionsRejected(Kinds[i]));
        }
        for (var i = 0; i < Severities.Length; i++) _errors[i].IncTo(_totals.Errors(Severities[i]));
        _barsReceived.IncTo(_totals.BarsReceived);
        // The feeds check bars before they reach the engine, so nearly every refusal is the feed's.
        _barsRejected.IncTo(_totals.BarsRejected + _feed.BarsRejected);
        _eventsPublished.IncTo(_hub.LastSeq);
        _latency.Update();
        var risk = _engine.Risk;
        _halted.Set(risk.Halted ? 1 : 0);
        _openPositions.Set(risk.OpenPositions);
        _openNotional.Set(Math.Max(0, risk.TotalNotional));
    }
}
