namespace Tickrunner.Server.Candles;

/// <summary>The candle history the chart reads (<c>Tickrunner:Candles</c>): how much is kept per symbol, how it is stored and served.</summary>
public sealed class CandleOptions
{
    /// <summary>
    /// One-second candles kept per symbol, in memory and in SQLite (the oldest go first). The default, two days, takes about
    /// 9.3 MB of memory per symbol when full (48 bytes a candle, and room for an eighth more) and about 5.5 MB of SQLite.
    /// </summary>
    public int MaxPerSymbol { get; set; } = 172_800;

    /// <summary>Bars buffered between the feed and the recorder; when the recorder falls behind, the oldest are dropped, the feed never waits.</summary>
    public int QueueCapacity { get; set; } = 8192;

    /// <summary>Whether candles are written to SQLite (and read back at start).</summary>
    public bool Persist { get; set; } = true;

    /// <summary>How often closed candles (and each symbol's open one) are written, in one transaction.</summary>
    public int FlushSeconds { get; set; } = 5;

    /// <summary>Closed candles waiting to be written at most (while the database is unavailable); beyond, new ones are not written.</summary>
    public int MaxPending { get; set; } = 100_000;

    /// <summary>Candles a request returns when it gives no <c>limit</c>.</summary>
    public int DefaultLimit { get; set; } = 500;

    /// <summary>The largest <c>limit</c> a request may ask for.</summary>
    public int MaxLimit { get; set; } = 5000;
}
