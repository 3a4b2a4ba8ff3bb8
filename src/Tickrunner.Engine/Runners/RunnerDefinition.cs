using System.Text.RegularExpressions;

namespace Tickrunner.Engine.Runners;

/// <summary>Per-runner switches (docs/engine-contract.md §5.2).</summary>
public sealed record RunnerConfig
{
    /// <summary>Stop the runner on the first strategy error (default false: skip the tick and count it).</summary>
    public bool StopOnError { get; init; }
    /// <summary>Log every executed action.</summary>
    public bool LogActions { get; init; } = true;
    /// <summary>Log every opened and closed position.</summary>
    public bool LogPositions { get; init; }
    /// <summary>Measure tick durations.</summary>
    public bool CollectMetrics { get; init; } = true;
}

/// <summary>What a runner is: id, symbol, strategy, window size and config. This is what is persisted.</summary>
public sealed partial record RunnerDefinition
{
    /// <summary>Default window size (docs/engine-contract.md §5.1).</summary>
    public const int DefaultWindowSize = 100;

    /// <summary>Largest window size accepted.</summary>
    public const int MaxWindowSize = 100_000;

    /// <summary>Unique id, <c>[A-Za-z0-9_.-]{1,64}</c>.</summary>
    public required string RunnerId { get; init; }
    /// <summary>The symbol it trades.</summary>
    public required string Symbol { get; init; }
    /// <summary>The strategy's catalog name.</summary>
    public required string StrategyName { get; init; }
    /// <summary>Bars kept in the window.</summary>
    public int WindowSize { get; init; } = DefaultWindowSize;
    /// <summary>Switches.</summary>
    public RunnerConfig Config { get; init; } = new();
    /// <summary>The paper account: capital, fees, slippage and fill rules (docs/backtesting.md §2).</summary>
    public Trading.AccountSettings Account { get; init; } = Trading.AccountSettings.Default;
    /// <summary>Values for the strategy's declared parameters, by name (docs/engine-contract.md §4.8); the others keep their defaults.</summary>
    public IReadOnlyDictionary<string, object>? Params { get; init; }
    /// <summary>The risk limits the engine enforces (docs/backtesting.md §2.4); null for none.</summary>
    public Trading.RiskLimits? Risk { get; init; }

    [GeneratedRegex(@"^[A-Za-z0-9_.-]{1,64}\z")] // \z, not $: $ also matches before a final newline
    private static partial Regex IdPattern();

    /// <summary>True when <paramref name="id"/> is a valid runner id.</summary>
    public static bool IsValidId(string? id) => id is not null && IdPattern().IsMatch(id);

    /// <summary>Every problem with this definition, keyed by field (empty when valid).</summary>
    public Dictionary<string, string> Problems()
    {
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!IsValidId(RunnerId))
            problems["runner_id"] = $"'{RunnerId}' is not a valid runner id: use 1 to 64 characters of A-Z, a-z, 0-9, '_', '.' and '-'.";
        if (string.IsNullOrWhiteSpace(Symbol)) problems["symbol"] = "symbol is required.";
        if (string.IsNullOrWhiteSpace(StrategyName)) problems["strategy_name"] = "strategy_name is required.";
        if (WindowSize is < 1 or > MaxWindowSize)
            problems["window_size"] = $"window_size must be between 1 and {MaxWindowSize:N0}, got {WindowSize}.";
        foreach (var (field, problem) in Account.Problems()) problems[field] = problem;
        if (Risk is not null) foreach (var (field, problem) in Risk.Problems()) problems[field] = problem;
        return problems;
    }
}

/// <summary>
/// What a runner resumes with after a restart: its status, state, open position (with its entry fee), context
/// scalars, its account's realized P&amp;L and fees of closed trades, its risk guard's state (null: it starts afresh), and
/// the entry or exit that waits for the next bar's open under <c>fill: next_open</c> (null: none).
/// </summary>
public sealed record RunnerRestore(
    RunnerStatus Status,
    Trading.TradingState State,
    Trading.Position? Position,
    IReadOnlyDictionary<string, object> Context,
    double RealizedPnl = 0,
    double ClosedFees = 0,
    Trading.RiskState? Risk = null,
    Trading.TradingAction? QueuedAction = null)
{
    /// <summary>
    /// Set only when one instance of a runner hands over to the next in the same process (start again, hot reload); null
    /// after a process restart, and never stored: what it counts lives only as long as the engine's <see cref="Trading.GlobalRisk"/>.
    /// </summary>
    internal RunnerHandOver? HandOver { get; init; }
}

/// <summary>
/// What passes from an old instance of a runner to its new one besides the stored state: the engine-wide room its open position
/// holds (moved, not counted twice nor released in between) and the kill switch's flatten requests it has answered (so a halt
/// with flatten asked during the hand-over is still carried out).
/// </summary>
/// <param name="Reserved">The open position's notional held in the engine's limits, or negative when none is held.</param>
/// <param name="FlattenSeen">The flatten requests the old instance had answered.</param>
internal sealed record RunnerHandOver(double Reserved, long FlattenSeen);
