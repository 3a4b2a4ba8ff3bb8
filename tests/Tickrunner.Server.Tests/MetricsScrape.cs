using System.Diagnostics;
using System.Globalization;

namespace Tickrunner.Server.Tests;

/// <summary>
/// One scrape of <c>/metrics</c>: the text as served, its samples by series (<c>name{labels}</c>, as written), and a check
/// of the whole text by promtool, Prometheus's own parser and linter.
/// </summary>
internal sealed class MetricsScrape
{
    private MetricsScrape(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#')) continue;
            // "name{a="x",b="y"} 12" or "name 12": the value is after the last space (label values here hold none).
            var space = line.LastIndexOf(' ');
            Samples[line[..space]] = ParseValue(line[(space + 1)..]);
        }
    }

    public string Text { get; }

    public Dictionary<string, double> Samples { get; } = new(StringComparer.Ordinal);

    public static async Task<MetricsScrape> TakeAsync(RunningServer server)
    {
        var response = await server.Http.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /metrics: {(int)response.StatusCode} {text}");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return new MetricsScrape(text);
    }

    /// <summary>The value of one series, e.g. <c>tickrunner_runners{status="running"}</c>; fails naming the series when absent.</summary>
    public double this[string series] =>
        Samples.TryGetValue(series, out var value) ? value : throw new KeyNotFoundException($"/metrics has no series {series}:\n{Text}");

    /// <summary>The metric families declared (<c># TYPE name type</c>), by name.</summary>
    public Dictionary<string, string> Types() => Text.Split('\n')
        .Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal))
        .Select(l => l.Split(' '))
        .ToDictionary(p => p[2], p => p[3], StringComparer.Ordinal);

    /// <summary>Runs <c>promtool check metrics</c> on the text; fails with promtool's complaints unless it accepts it silently.</summary>
    public async Task CheckWithPromtoolAsync()
    {
        var start = new ProcessStartInfo(LocatePromtool())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("check");
        start.ArgumentList.Add("metrics");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(Text);
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var complaints = (await output + await error).Trim();
        // Exit 0 and nothing said: parsed, and no lint problem (counters end in _total, base units, help texts, ...).
        Assert.True(process.ExitCode == 0 && complaints.Length == 0, $"promtool check metrics (exit {process.ExitCode}):\n{complaints}\n--- the text:\n{Text}");
    }

    // TICKRUNNER_PROMTOOL, then PATH, then where Debian puts it.
    private static string LocatePromtool()
    {
        var configured = Environment.GetEnvironmentVariable("TICKRUNNER_PROMTOOL");
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(configured)) candidates.Add(configured);
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            candidates.Add(Path.Combine(folder, "promtool"));
        candidates.Add("/usr/bin/promtool");
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "promtool is not installed: run scripts/test.sh (it installs Debian's prometheus package, which ships promtool), " +
                "or apt-get install prometheus, or set TICKRUNNER_PROMTOOL to its path.");
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
