namespace Tickrunner.Engine.Common;

/// <summary>
/// The engine's one source of time: monotonic timestamps for latency, uptime and per-tick timing, and the Unix
/// milliseconds it stamps on events. Live runners use the wall clock (<see cref="EngineClock.System"/>); a
/// backtest stamps every event with the time of the bar that caused it (<see cref="BarTimeClock"/>).
/// </summary>
/// <remarks>Times that belong to a bar (transitions, position entry and exit) always come from the bar itself.</remarks>
public interface IEngineClock
{
    /// <summary>A monotonic timestamp, in ticks of <see cref="TimestampFrequency"/> per second.</summary>
    long GetTimestamp();

    /// <summary>Ticks per second of <see cref="GetTimestamp"/>.</summary>
    long TimestampFrequency { get; }

    /// <summary>The Unix milliseconds of an event caused by <paramref name="bar"/>, which reached the runner at <paramref name="receivedAt"/>.</summary>
    long StampOf(in MarketData bar, long receivedAt);

    /// <summary>The Unix milliseconds of an event no bar caused (a runner started or stopped).</summary>
    long NowUnixMs();
}

/// <summary>The clocks the engine ships with.</summary>
public static class EngineClock
{
    /// <summary>The wall clock of the machine.</summary>
    public static IEngineClock System { get; } = new TimeProviderClock(TimeProvider.System);

    /// <summary>Milliseconds between two timestamps of <paramref name="clock"/>.</summary>
    public static double ElapsedMs(this IEngineClock clock, long since, long until) => (until - since) * 1000.0 / clock.TimestampFrequency;
}

/// <summary>
/// Wall-clock time from a <see cref="TimeProvider"/> (the system's, or a test's fake): an event is stamped with
/// the moment its bar reached the runner.
/// </summary>
/// <remarks>
/// The Unix time is derived from the monotonic timestamp against one anchor taken at construction, so stamping
/// an event costs arithmetic, not a system call; over days it drifts from the system clock only by the
/// timestamp's frequency error (parts per million), far below what event timestamps need.
/// </remarks>
public sealed class TimeProviderClock : IEngineClock
{
    private readonly TimeProvider _time;
    private readonly long _anchorTicks;
    private readonly long _anchorUnixMs;
    private readonly double _msPerTick;

    /// <summary>A clock reading <paramref name="time"/>.</summary>
    public TimeProviderClock(TimeProvider time)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _anchorTicks = time.GetTimestamp();
        _anchorUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        _msPerTick = 1000.0 / time.TimestampFrequency;
    }

    /// <inheritdoc />
    public long GetTimestamp() => _time.GetTimestamp();

    /// <inheritdoc />
    public long TimestampFrequency => _time.TimestampFrequency;

    /// <inheritdoc />
    public long StampOf(in MarketData bar, long receivedAt) => UnixMs(receivedAt);

    /// <inheritdoc />
    public long NowUnixMs() => UnixMs(_time.GetTimestamp());

    /// <summary>The Unix milliseconds at the timestamp <paramref name="ticks"/>.</summary>
    public long UnixMs(long ticks) => _anchorUnixMs + (long)((ticks - _anchorTicks) * _msPerTick);
}

/// <summary>
/// Bar time, for backtests: an event is stamped with the time of the bar that caused it, and an event no bar
/// caused with the time of the last bar seen. Timestamps for measuring work stay real (<see cref="TimeProvider.System"/>).
/// </summary>
public sealed class BarTimeClock : IEngineClock
{
    private long _lastBar;

    /// <inheritdoc />
    public long GetTimestamp() => TimeProvider.System.GetTimestamp();

    /// <inheritdoc />
    public long TimestampFrequency => TimeProvider.System.TimestampFrequency;

    /// <inheritdoc />
    public long StampOf(in MarketData bar, long receivedAt) => _lastBar = bar.Timestamp;

    /// <inheritdoc />
    public long NowUnixMs() => _lastBar;
}
