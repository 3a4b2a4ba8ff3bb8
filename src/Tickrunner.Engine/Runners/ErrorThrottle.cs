namespace Tickrunner.Engine.Runners;

/// <summary>
/// Keeps a strategy that fails the same way on every tick from flooding the log and the event history: an
/// error equal to the last one reported is reported again only after <see cref="Window"/>, with the number of
/// times it repeated meanwhile. A different error, or one that stops the runner, is always reported.
/// </summary>
internal struct ErrorThrottle
{
    /// <summary>How long an identical error stays quiet.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private static readonly long WindowMs = (long)Window.TotalMilliseconds;

    private string? _last;
    private long _reportedAt;
    private long _repeats;

    /// <summary>Whether to report <paramref name="error"/> seen at <paramref name="now"/> (the clock's Unix ms); <paramref name="text"/> is what to report.</summary>
    public bool ShouldReport(string error, long now, bool always, out string text)
    {
        if (!always && string.Equals(error, _last, StringComparison.Ordinal) && now - _reportedAt < WindowMs)
        {
            _repeats++;
            text = error;
            return false;
        }
        text = _repeats > 0 && string.Equals(error, _last, StringComparison.Ordinal)
            ? $"{error} (repeated {_repeats:N0} more times since it was last reported)"
            : error;
        _last = error;
        _reportedAt = now;
        _repeats = 0;
        return true;
    }
}
