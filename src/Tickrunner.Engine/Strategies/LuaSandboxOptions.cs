namespace Tickrunner.Engine.Strategies;

/// <summary>Limits of a strategy's Lua state: instructions and wall-clock time per call, memory per state, the random seed.</summary>
public sealed class LuaSandboxOptions
{
    /// <summary>The defaults: 1,000,000 instructions per call and 32 MiB per state.</summary>
    public static LuaSandboxOptions Default { get; } = new();

    /// <summary>Most Lua VM instructions one call (load, or one tick's function) may run.</summary>
    public int InstructionBudget { get; set; } = 1_000_000;

    /// <summary>Most bytes one strategy's Lua state may hold.</summary>
    public long MemoryLimitBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// <see cref="MemoryLimitBytes"/> in whole MiB: the unit the server's configuration uses
    /// (<c>Tickrunner:Sandbox:MemoryLimitMb</c>).
    /// </summary>
    public int MemoryLimitMb
    {
        get => (int)(MemoryLimitBytes / (1024 * 1024));
        set => MemoryLimitBytes = value * 1024L * 1024;
    }

    /// <summary>
    /// Most milliseconds one call may run, whatever it does: the watchdog stops a call past it within 1,000 Lua
    /// instructions (for work the instruction budget does not count, such as copying huge strings in a loop).
    /// </summary>
    public int WallClockLimitMs { get; set; } = 1000;

    /// <summary>Seed of <c>math.random</c>, so replays and backtests repeat exactly.</summary>
    public long RandomSeed { get; set; } = 42;

    internal void Validate()
    {
        if (InstructionBudget < 1000)
            throw new ArgumentOutOfRangeException(nameof(InstructionBudget), InstructionBudget, "InstructionBudget must be at least 1000.");
        if (WallClockLimitMs < 1)
            throw new ArgumentOutOfRangeException(nameof(WallClockLimitMs), WallClockLimitMs, "WallClockLimitMs must be at least 1.");
        if (MemoryLimitBytes < 1024 * 1024)
            throw new ArgumentOutOfRangeException(nameof(MemoryLimitBytes), MemoryLimitBytes, "MemoryLimitBytes must be at least 1 MiB.");
    }
}
