using System.Text.RegularExpressions;

namespace Tickrunner.Engine.Strategies;

/// <summary>Turns Lua error messages ("name.lua:12: message") into diagnostics with a line and, where possible, a column.</summary>
internal static partial class LuaErrors
{
    [GeneratedRegex(@"^(?<source>[^\n]*?):(?<line>\d+): (?<message>.*)$", RegexOptions.Singleline)]
    private static partial Regex Located();

    [GeneratedRegex(@"near '(?<token>[^']+)'")]
    private static partial Regex Near();

    public static LuaDiagnostic ToDiagnostic(string error, string code)
    {
        var match = Located().Match(error);
        if (!match.Success) return new LuaDiagnostic(1, null, error, DiagnosticSeverity.Error);
        var line = int.Parse(match.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var message = match.Groups["message"].Value;
        return new LuaDiagnostic(line, ColumnOf(message, line, code), message, DiagnosticSeverity.Error);
    }

    // Lua reports no columns; a syntax error's "near 'token'" lets us find one on its line.
    private static int? ColumnOf(string message, int line, string code)
    {
        var near = Near().Match(message);
        if (!near.Success) return null;
        var lines = code.Split('\n');
        if (line < 1 || line > lines.Length) return null;
        var index = lines[line - 1].IndexOf(near.Groups["token"].Value, StringComparison.Ordinal);
        return index >= 0 ? index + 1 : null;
    }
}
