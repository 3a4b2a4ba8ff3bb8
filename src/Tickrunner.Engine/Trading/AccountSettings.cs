using System.Globalization;
using System.Text.Json.Serialization;

namespace Tickrunner.Engine.Trading;

/// <summary>When a strategy's entry or exit fills (docs/backtesting.md §3.2).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FillTiming>))]
public enum FillTiming
{
    /// <summary>At the close of the bar the strategy acted on.</summary>
    [JsonStringEnumMemberName("close")] Close,
    /// <summary>Queued, and filled at the next bar's open before the strategy sees that bar.</summary>
    [JsonStringEnumMemberName("next_open")] NextOpen,
}

/// <summary>How stops and targets are checked and filled (docs/backtesting.md §3.3).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StopTiming>))]
public enum StopTiming
{
    /// <summary>Checked against the close, filled at the close.</summary>
    [JsonStringEnumMemberName("close")] Close,
    /// <summary>Checked against the bar's low and high, filled at the stop or target (or the open after a gap).</summary>
    [JsonStringEnumMemberName("intrabar")] Intrabar,
}

/// <summary>A paper account's settings: capital, costs and fill rules, the same for live runners and backtests.</summary>
public sealed record AccountSettings
{
    /// <summary>The defaults: 10,000 of capital, 10 bps fees, no slippage, fills and stops at the close.</summary>
    public static AccountSettings Default { get; } = new();

    /// <summary>The settings given, each one left out at its default (request bodies and command lines leave them out).</summary>
    public static AccountSettings With(double? initialCapital, double? feeBps, double? slippageBps, FillTiming? fill, StopTiming? stops) => new()
    {
        InitialCapital = initialCapital ?? Default.InitialCapital,
        FeeBps = feeBps ?? Default.FeeBps,
        SlippageBps = slippageBps ?? Default.SlippageBps,
        Fill = fill ?? Default.Fill,
        Stops = stops ?? Default.Stops,
    };

    /// <summary>Cash at the start, in the quote currency.</summary>
    public double InitialCapital { get; init; } = 10_000;

    /// <summary>Fee per fill, in basis points of the fill's notional.</summary>
    public double FeeBps { get; init; } = 10;

    /// <summary>Slippage per fill, in basis points: buys fill that much higher, sells that much lower.</summary>
    public double SlippageBps { get; init; }

    /// <summary>When entries and exits fill.</summary>
    public FillTiming Fill { get; init; } = FillTiming.Close;

    /// <summary>How stops and targets trigger and fill.</summary>
    public StopTiming Stops { get; init; } = StopTiming.Close;

    /// <summary>What is wrong, by wire field name; empty when the settings are valid.</summary>
    public Dictionary<string, string> Problems()
    {
        var problems = new Dictionary<string, string>();
        if (!double.IsFinite(InitialCapital) || InitialCapital <= 0 || InitialCapital > StateMachine.MaxNotional)
            problems["initial_capital"] = $"initial_capital must be a number > 0 and at most 1e15, got {Describe(InitialCapital)}.";
        if (!double.IsFinite(FeeBps) || FeeBps < 0 || FeeBps >= 10_000)
            problems["fee_bps"] = $"fee_bps must be a number from 0 to below 10,000 (basis points), got {Describe(FeeBps)}.";
        if (!double.IsFinite(SlippageBps) || SlippageBps < 0 || SlippageBps >= 10_000)
            problems["slippage_bps"] = $"slippage_bps must be a number from 0 to below 10,000 (basis points), got {Describe(SlippageBps)}.";
        if (!Enum.IsDefined(Fill)) problems["fill"] = "fill must be \"close\" or \"next_open\".";
        if (!Enum.IsDefined(Stops)) problems["stops"] = "stops must be \"close\" or \"intrabar\".";
        return problems;
    }

    private static string Describe(double value) => value.ToString(CultureInfo.InvariantCulture);
}
