using System.Globalization;

namespace Tickrunner.Cli;

/// <summary>A command's options: <c>--name value</c> pairs and <c>--flag</c> switches, with errors that name the option.</summary>
internal sealed class CliArgs
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

    public CliArgs(IEnumerable<string> args, params string[] flags)
    {
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var arg = list[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                Positional.Add(arg);
                continue;
            }
            if (flags.Contains(arg)) _options[arg] = null;
            else if (i + 1 < list.Count) _options[arg] = list[++i];
            else throw new CliException($"{arg} needs a value.");
        }
    }

    /// <summary>Arguments that are not options, in order.</summary>
    public List<string> Positional { get; } = [];

    public bool Has(string name) => _options.ContainsKey(name);

    public string? String(string name) => _options.GetValueOrDefault(name);

    public string Required(string name) => String(name) ?? throw new CliException($"{name} is required.");

    public double? Number(string name) => String(name) is { } text
        ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new CliException($"{name} must be a number, got '{text}'.")
        : null;

    public int? Integer(string name) => String(name) is { } text
        ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new CliException($"{name} must be a whole number, got '{text}'.")
        : null;

    /// <summary>A time: Unix milliseconds, or an ISO-8601 date or date-time (UTC unless it carries an offset).</summary>
    public long? Time(string name)
    {
        if (String(name) is not { } text) return null;
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)) return ms;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            return at.ToUnixTimeMilliseconds();
        throw new CliException($"{name} must be Unix milliseconds or a date such as 2024-01-31 or 2024-01-31T12:00:00Z, got '{text}'.");
    }

    /// <summary>The shipped strategies folder: ./strategies here or in a parent folder.</summary>
    public static string FindStrategies()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "strategies"))) return Path.Combine(dir.FullName, "strategies");
        return "strategies";
    }

    /// <summary>The server's data directory, <c>./data</c> unless given.</summary>
    public string DataDirectory => String("--data-dir") ?? "data";
}

/// <summary>A usage error: printed without a stack trace, exit code 2.</summary>
internal sealed class CliException(string message) : Exception(message);
