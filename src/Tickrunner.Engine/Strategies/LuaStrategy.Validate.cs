namespace Tickrunner.Engine.Strategies;

public sealed partial class LuaStrategy
{
    /// <summary>
    /// Checks strategy code without keeping anything: syntax, errors at load (run in the sandbox, under its
    /// limits), the three entry points, and uses of globals the sandbox does not offer. An empty list means
    /// the strategy loads.
    /// </summary>
    public static IReadOnlyList<LuaDiagnostic> Validate(string code, string name = "strategy", LuaSandboxOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(code);
        var diagnostics = LuaSourceScanner.FindForbiddenGlobals(code);
        try
        {
            using var strategy = FromCode(name, code, options);
        }
        catch (StrategyLoadException e)
        {
            // A runtime error that the scanner already explained (e.g. indexing the absent io) is not repeated.
            var scanned = diagnostics.ToList();
            diagnostics.AddRange(e.Diagnostics.Where(d => !scanned.Any(s => s.Line == d.Line)));
        }
        return diagnostics.OrderBy(d => d.Line).ThenBy(d => d.Column ?? 0).ToList();
    }
}
