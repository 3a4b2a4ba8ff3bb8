namespace Tickrunner.Testing;

/// <summary>Strategies that attack the sandbox, shared by the engine and server tests.</summary>
public static class HostileStrategies
{
    /// <summary>
    /// Endless work in one call that the instruction budget does not count: each instruction copies 4 MiB, so only
    /// the wall-clock watchdog ends it (the error is at line 3).
    /// </summary>
    public const string Endless = """
        function detect_opportunity(md, ctx)
          local s = string.rep('x', 4 * 1024 * 1024)
          for i = 1, 1e12 do local t = s .. i end
        end
        function filter_commitment() end
        function manage_position() end
        """;
}
