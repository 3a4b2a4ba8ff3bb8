namespace Tickrunner.Bench;

/// <summary>What the harnesses share: their <c>--name value</c> arguments and the repository's strategies folder.</summary>
/// <remarks>Linked as a source file into each harness project (they cannot reference one another: their code generators differ).</remarks>
internal static class HarnessArgs
{
    /// <summary>The integer after <paramref name="name"/>, or <paramref name="fallback"/> when absent or not a number.</summary>
    public static int Int(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;

    /// <summary>The word after <paramref name="name"/>, or <paramref name="fallback"/> when absent.</summary>
    public static string? String(string[] args, string name, string? fallback = null) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;

    /// <summary>The shipped strategies (<c>strategies/</c> of the repository the harness runs from).</summary>
    public static string StrategiesDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Tickrunner.slnx"))) return Path.Combine(dir.FullName, "strategies");
        throw new DirectoryNotFoundException("Run the harness from inside the repository.");
    }
}
