using System.Globalization;

namespace Tickrunner.Server.Api;

/// <summary>
/// Integer query parameters read by hand: the framework's binding answers "since=abc" or an overflowing value
/// with a 400 that does not say which parameter is wrong.
/// </summary>
internal static class QueryNumber
{
    /// <summary>The value of <paramref name="name"/> (or <paramref name="fallback"/> when absent); a problem in <paramref name="errors"/> when it is not an integer in [min, max].</summary>
    public static long Read(string? text, string name, long min, long max, long fallback, Dictionary<string, string> errors)
    {
        if (text is null) return fallback;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            return value;
        errors[name] = max == long.MaxValue
            ? $"{name} must be an integer ≥ {min:N0}, got '{text}'."
            : $"{name} must be an integer between {min:N0} and {max:N0}, got '{text}'.";
        return fallback;
    }
}
