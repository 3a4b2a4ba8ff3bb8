namespace Tickrunner.Server.Api;

/// <summary>Boolean query parameters read by hand, so a bad value is a 400 naming the parameter.</summary>
internal static class QueryFlag
{
    /// <summary><c>true</c>/<c>false</c>/<c>1</c>/<c>0</c> (any case), <paramref name="fallback"/> when absent; else a problem in <paramref name="errors"/>.</summary>
    public static bool Read(string? text, string name, bool fallback, Dictionary<string, string> errors)
    {
        if (text is null) return fallback;
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase) || text == "1") return true;
        if (text.Equals("false", StringComparison.OrdinalIgnoreCase) || text == "0") return false;
        errors[name] = $"{name} must be true or false, got '{text}'.";
        return fallback;
    }
}
