using System.Diagnostics;
using System.Globalization;

namespace Tickrunner.Cli;

/// <summary>A one-line progress bar on stderr (bars/s and time left); plain lines a few seconds apart when stderr is not a terminal.</summary>
internal sealed class ProgressBar(string label)
{
    private readonly Stopwatch _since = Stopwatch.StartNew();
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private long _lastPrinted = -10_000;
    private readonly Lock _gate = new();

    public void Report(long done, long total, double perSecond, string unit = "bars")
    {
        lock (_gate)
        {
            var now = _since.ElapsedMilliseconds;
            if (now - _lastPrinted < (_terminal ? 100 : 5_000) && done < total) return;
            _lastPrinted = now;
            var fraction = total == 0 ? 1 : Math.Clamp((double)done / total, 0, 1);
            var left = perSecond > 0 ? TimeSpan.FromSeconds((total - done) / perSecond) : TimeSpan.Zero;
            var filled = (int)(fraction * 30);
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{label} [{new string('#', filled)}{new string('.', 30 - filled)}] {fraction * 100,5:0.0} %  {perSecond:N0} {unit}/s  ETA {left:mm\\:ss}");
            if (_terminal) Console.Error.Write("\r" + line + (done >= total ? "\n" : ""));
            else Console.Error.WriteLine(line);
        }
    }
}
