using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Backtesting;

/// <summary>How a backtest runs: the paper account, the window, the time range and what a strategy error does.</summary>
public sealed record BacktestSettings
{
    /// <summary>The paper account's capital, costs and fill rules, as for a live runner.</summary>
    public AccountSettings Account { get; init; } = AccountSettings.Default;

    /// <summary>Bars the strategy's window holds.</summary>
    public int WindowSize { get; init; } = Runners.RunnerDefinition.DefaultWindowSize;

    /// <summary>First bar time included (Unix ms), or from the first bar.</summary>
    public long? From { get; init; }

    /// <summary>Last bar time included (Unix ms), or to the last bar.</summary>
    public long? To { get; init; }

    /// <summary>
    /// A strategy error ends the run as failed, with the error and its Lua line (the default); otherwise the bar's
    /// answer is skipped and the run goes on, as a live runner with <c>stop_on_error = false</c> does.
    /// </summary>
    public bool StopOnError { get; init; } = true;

    /// <summary>Close a position still open after the last bar, at its close, with reason "end of data" (the default).</summary>
    public bool CloseAtEnd { get; init; } = true;

    /// <summary>
    /// Values for the strategy's declared parameters, by name (docs/engine-contract.md §4.8). Left out of the settings' JSON when
    /// null, so runs without parameters keep the digest they always had.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, object>? Params { get; init; }

    /// <summary>
    /// The risk limits, applied as for a live runner (docs/backtesting.md §2.4). Left out of the settings' JSON when null, so runs
    /// without limits keep the digest they always had.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public RiskLimits? Risk { get; init; }

    /// <summary>What is wrong, by wire field name; empty when valid.</summary>
    public Dictionary<string, string> Problems()
    {
        var problems = Account.Problems();
        if (WindowSize is < 1 or > Runners.RunnerDefinition.MaxWindowSize)
            problems["window_size"] = $"window_size must be between 1 and {Runners.RunnerDefinition.MaxWindowSize:N0}, got {WindowSize}.";
        if (Risk is not null) foreach (var (field, problem) in Risk.Problems()) problems[field] = problem;
        if (From is { } from && To is { } to && from > to) problems["to"] = $"to ({to}) is before from ({from}).";
        return problems;
    }
}
