using System.Diagnostics;

namespace Tickrunner.Engine.Common;

/// <summary>Unix milliseconds derived from <see cref="Stopwatch"/> ticks: no system call on the per-tick path.</summary>
/// <remarks>
/// Anchored once at start-up; over days it may drift from the system clock by the stopwatch's frequency error
/// (parts per million), which is far below what event timestamps need.
/// </remarks>
public static class WallClock
{
    private static readonly long AnchorTicks = Stopwatch.GetTimestamp();
    private static readonly long AnchorUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private static readonly double MsPerTick = 1000.0 / Stopwatch.Frequency;

    /// <summary>Unix milliseconds at the <see cref="Stopwatch"/> timestamp <paramref name="ticks"/>.</summary>
    public static long UnixMs(long ticks) => AnchorUnixMs + (long)((ticks - AnchorTicks) * MsPerTick);

    /// <summary>Unix milliseconds now.</summary>
    public static long NowUnixMs() => UnixMs(Stopwatch.GetTimestamp());
}
