namespace Tickrunner.Engine.Strategies;

/// <summary>
/// Finds uses of globals the sandbox does not offer (io, os.execute, require, debug, …) without running the
/// code, so the editor can mark them where they are, even inside functions that have not run yet.
/// </summary>
/// <remarks>
/// A small Lua tokenizer (strings, long strings and comments skipped) that looks at names used as globals:
/// not after '.', ':' or '::', not a table-constructor key, and not declared local anywhere in the file.
/// </remarks>
internal static class LuaSourceScanner
{
    private static readonly Dictionary<string, string> Forbidden = new(StringComparer.Ordinal)
    {
        ["io"] = "the io library is not available to strategies",
        ["require"] = "require is not available to strategies (a strategy is one file)",
        ["package"] = "the package library is not available to strategies",
        ["dofile"] = "dofile is not available to strategies",
        ["loadfile"] = "loadfile is not available to strategies",
        ["debug"] = "the debug library is not available to strategies",
        ["coroutine"] = "coroutines are not available to strategies (they would escape the instruction budget)",
    };

    private static readonly HashSet<string> AllowedOs = new(StringComparer.Ordinal) { "time", "clock", "date" };

    private readonly record struct Token(string Text, bool IsName, int Line, int Column);

    public static List<LuaDiagnostic> FindForbiddenGlobals(string code)
    {
        var tokens = Tokenize(code);
        var locals = DeclaredLocals(tokens);
        var diagnostics = new List<LuaDiagnostic>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.IsName || locals.Contains(token.Text)) continue;
            var previous = i > 0 ? tokens[i - 1].Text : "";
            if (previous is "." or ":" or "::" or "goto") continue;
            var next = i + 1 < tokens.Count ? tokens[i + 1].Text : "";
            if (next == "=" && previous is "{" or "," or ";") continue; // table constructor key
            if (Forbidden.TryGetValue(token.Text, out var why))
            {
                diagnostics.Add(new LuaDiagnostic(token.Line, token.Column, $"'{token.Text}': {why}", DiagnosticSeverity.Error));
            }
            else if (token.Text == "os" && next is "." or ":" && i + 2 < tokens.Count && tokens[i + 2].IsName
                     && !AllowedOs.Contains(tokens[i + 2].Text))
            {
                var field = tokens[i + 2];
                diagnostics.Add(new LuaDiagnostic(field.Line, field.Column,
                    $"'os.{field.Text}' is not available to strategies (os offers only time, clock and date)", DiagnosticSeverity.Error));
            }
            else if (token.Text == "string" && next == "." && i + 2 < tokens.Count && tokens[i + 2].Text == "dump")
            {
                diagnostics.Add(new LuaDiagnostic(tokens[i + 2].Line, tokens[i + 2].Column,
                    "'string.dump' is not available to strategies (binary chunks cannot be loaded)", DiagnosticSeverity.Error));
            }
        }
        return diagnostics;
    }

    // Names declared with `local`, as parameters or as loop variables anywhere: a conservative notion of scope.
    private static HashSet<string> DeclaredLocals(List<Token> tokens)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++)
        {
            switch (tokens[i].Text)
            {
                case "local" when i + 1 < tokens.Count && tokens[i + 1].Text == "function":
                    if (i + 2 < tokens.Count) names.Add(tokens[i + 2].Text);
                    break;
                case "local" or "for":
                    for (var j = i + 1; j < tokens.Count; j++)
                    {
                        if (tokens[j].IsName) names.Add(tokens[j].Text);
                        else if (tokens[j].Text is not ("," or "<" or ">")) break;
                        if (j + 1 < tokens.Count && tokens[j + 1].Text == "<") j += 3; // <const>, <close>
                    }
                    break;
                case "function":
                    var open = tokens.FindIndex(i, t => t.Text == "(");
                    for (var j = open + 1; open > 0 && j < tokens.Count && tokens[j].Text != ")"; j++)
                        if (tokens[j].IsName) names.Add(tokens[j].Text);
                    break;
            }
        }
        return names;
    }

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
        "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
    };

    private static List<Token> Tokenize(string code)
    {
        var tokens = new List<Token>();
        int i = 0, line = 1, lineStart = 0;
        while (i < code.Length)
        {
            var c = code[i];
            if (c == '\n') { i++; line++; lineStart = i; continue; }
            if (char.IsWhiteSpace(c)) { i++; continue; }
            var column = i - lineStart + 1;
            if (c == '-' && At(code, i + 1) == '-')
            {
                i += 2;
                if (LongBracketLevel(code, i) is { } level) SkipLong(code, ref i, level, ref line, ref lineStart);
                else while (i < code.Length && code[i] != '\n') i++;
                continue;
            }
            if (c == '[' && LongBracketLevel(code, i) is { } stringLevel)
            {
                SkipLong(code, ref i, stringLevel, ref line, ref lineStart);
                tokens.Add(new Token("<string>", false, line, column));
                continue;
            }
            if (c is '"' or '\'')
            {
                i++;
                while (i < code.Length && code[i] != c && code[i] != '\n')
                {
                    if (code[i] == '\\' && i + 1 < code.Length)
                    {
                        if (code[i + 1] == '\n') { line++; lineStart = i + 2; }
                        i++;
                    }
                    i++;
                }
                i++;
                tokens.Add(new Token("<string>", false, line, column));
                continue;
            }
            if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(At(code, i + 1))))
            {
                while (i < code.Length && (char.IsAsciiLetterOrDigit(code[i]) || code[i] == '.'
                       || ((code[i] is '+' or '-') && code[i - 1] is 'e' or 'E' or 'p' or 'P'))) i++;
                tokens.Add(new Token("<number>", false, line, column));
                continue;
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < code.Length && (char.IsAsciiLetterOrDigit(code[i]) || code[i] == '_')) i++;
                var word = code[start..i];
                tokens.Add(new Token(word, !Keywords.Contains(word), line, column));
                continue;
            }
            var symbol = c switch
            {
                '.' when At(code, i + 1) == '.' => At(code, i + 2) == '.' ? "..." : "..",
                ':' when At(code, i + 1) == ':' => "::",
                '=' when At(code, i + 1) == '=' => "==",
                _ => c.ToString(),
            };
            i += symbol.Length;
            tokens.Add(new Token(symbol, false, line, column));
        }
        return tokens;
    }

    private static char At(string s, int i) => i < s.Length ? s[i] : '\0';

    // [[ → 0, [==[ → 2; null when not a long bracket.
    private static int? LongBracketLevel(string code, int i)
    {
        if (At(code, i) != '[') return null;
        var j = i + 1;
        while (At(code, j) == '=') j++;
        return At(code, j) == '[' ? j - i - 1 : null;
    }

    private static void SkipLong(string code, ref int i, int level, ref int line, ref int lineStart)
    {
        var close = "]" + new string('=', level) + "]";
        i += level + 2;
        var end = code.IndexOf(close, i, StringComparison.Ordinal);
        var stop = end < 0 ? code.Length : end + close.Length;
        for (; i < stop; i++)
            if (code[i] == '\n') { line++; lineStart = i + 1; }
    }
}
