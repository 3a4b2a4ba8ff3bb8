using Prometheus;
using Tickrunner.Server.Candles;

namespace Tickrunner.Server.Metrics;

/// <summary>The candle recorder's series: bars it dropped or ignored and candles it could not write.</summary>
internal sealed class CandleMetrics
{
    private readonly CandleStore _candles;
    private readonly Counter _dropped, _ignored, _unwritten;

    public CandleMetrics(IMetricFactory factory, CandleStore candles)
    {
        _candles = candles;
        _dropped = factory.CreateCounter("tickrunner_candle_bars_dropped_total",
            "Bars the candle recorder dropped because its queue was full (it fell behind the feed).");
        _ignored = factory.CreateCounter("tickrunner_candle_bars_ignored_total",
            "Bars the candle recorder ignored because they were older than their symbol's open candle.");
        _unwritten = factory.CreateCounter("tickrunner_candles_unwritten_total",
            "Closed candles not written to SQLite because Candles:MaxPending were already waiting (the database was unavailable).");
    }

    public void Update()
    {
        _dropped.IncTo(_candles.Dropped);
        _ignored.IncTo(_candles.Ignored);
        _unwritten.IncTo(_candles.Unwritten);
    }
}
