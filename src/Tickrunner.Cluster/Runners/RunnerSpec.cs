using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Cluster.Runners;

/// <summary>What a runner on the cluster is: its strategy (a catalog name or code), symbol, window, paper account, parameters and risk limits.</summary>
/// <remarks>The runner's id is its grain's key, not a field, so a definition cannot disagree with the grain it is sent to.</remarks>
[GenerateSerializer, Immutable]
public sealed record RunnerSpec
{
    /// <summary>The symbol it trades.</summary>
    [Id(0)] public required string Symbol { get; init; }
    /// <summary>The strategy's catalog name; with <see cref="StrategyCode"/>, only the name its errors are reported under.</summary>
    [Id(1)] public string? StrategyName { get; init; }
    /// <summary>Lua code to run instead of a catalog strategy.</summary>
    [Id(2)] public string? StrategyCode { get; init; }
    /// <summary>Bars kept in the window.</summary>
    [Id(3)] public int WindowSize { get; init; } = RunnerDefinition.DefaultWindowSize;
    /// <summary>The paper account.</summary>
    [Id(4)] public AccountSpec Account { get; init; } = new();
    /// <summary>Values for the strategy's declared parameters, by name; the others keep their defaults.</summary>
    [Id(5)] public Dictionary<string, ScalarValue>? Params { get; init; }
    /// <summary>Risk limits the engine enforces around the strategy; null: none.</summary>
    [Id(6)] public RiskSpec? Risk { get; init; }
    /// <summary>The runner's logging and error switches; null: the engine's defaults.</summary>
    [Id(7)] public RunnerConfigSpec? Config { get; init; }

    /// <summary>The name the strategy goes by when it is given as code.</summary>
    public const string InlineStrategyName = "inline";

    /// <summary>The engine's definition of runner <paramref name="runnerId"/>.</summary>
    public RunnerDefinition ToDefinition(string runnerId) => new()
    {
        RunnerId = runnerId,
        Symbol = Symbol,
        StrategyName = StrategyName ?? (StrategyCode is null ? "" : InlineStrategyName),
        WindowSize = WindowSize,
        Account = Account.ToSettings(),
        Params = ScalarValue.ToObjects(Params),
        Risk = Risk?.ToLimits(),
        Config = Config?.ToConfig() ?? new RunnerConfig(),
    };
}

/// <summary>A runner's switches (the engine's <see cref="RunnerConfig"/>): stop on the first strategy error, what to log, whether to time bars.</summary>
[GenerateSerializer, Immutable]
public sealed record RunnerConfigSpec
{
    /// <summary>Stop the runner on the first strategy error.</summary>
    [Id(0)] public bool StopOnError { get; init; }
    /// <summary>Log every executed action.</summary>
    [Id(1)] public bool LogActions { get; init; } = true;
    /// <summary>Log every opened and closed position.</summary>
    [Id(2)] public bool LogPositions { get; init; }
    /// <summary>Measure bar durations.</summary>
    [Id(3)] public bool CollectMetrics { get; init; } = true;

    /// <summary>The engine's config.</summary>
    public RunnerConfig ToConfig() => new() { StopOnError = StopOnError, LogActions = LogActions, LogPositions = LogPositions, CollectMetrics = CollectMetrics };

    /// <summary>The switches of <paramref name="config"/>.</summary>
    public static RunnerConfigSpec Of(RunnerConfig config) => new()
    {
        StopOnError = config.StopOnError, LogActions = config.LogActions, LogPositions = config.LogPositions, CollectMetrics = config.CollectMetrics,
    };
}

/// <summary>A runner's paper account: capital, fees, slippage and fill rules; an unset field keeps the engine's default.</summary>
[GenerateSerializer, Immutable]
public sealed record AccountSpec
{
    /// <summary>Starting cash.</summary>
    [Id(0)] public double? InitialCapital { get; init; }
    /// <summary>Fee per fill in basis points.</summary>
    [Id(1)] public double? FeeBps { get; init; }
    /// <summary>Slippage per fill in basis points.</summary>
    [Id(2)] public double? SlippageBps { get; init; }
    /// <summary>When entries and exits fill: <c>close</c> or <c>next_open</c>.</summary>
    [Id(3)] public string? Fill { get; init; }
    /// <summary>How stops and targets are checked: <c>close</c> or <c>intrabar</c>.</summary>
    [Id(4)] public string? Stops { get; init; }

    /// <summary>The engine's account settings.</summary>
    /// <exception cref="ArgumentException">A fill or stop rule has no such name.</exception>
    public AccountSettings ToSettings() =>
        AccountSettings.With(InitialCapital, FeeBps, SlippageBps, ParseRule<FillTiming>(Fill, nameof(Fill)), ParseRule<StopTiming>(Stops, nameof(Stops)));

    // The wire names (close, next_open, intrabar) without the underscore are the enum names.
    private static T? ParseRule<T>(string? name, string field) where T : struct, Enum =>
        name is null ? null
        : Enum.TryParse<T>(name.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var value) && Enum.IsDefined(value) ? value
        : throw new ArgumentException($"{field} '{name}' is not one of {string.Join(", ", Enum.GetNames<T>())}.", field);
}
