namespace Tickrunner.Engine;

/// <summary>A bar that breaks the rules of docs/engine-contract.md §1.2; names the symbol, timestamp and field.</summary>
public sealed class InvalidMarketDataException(string? symbol, long timestamp, string field, string problem)
    : ArgumentException($"Invalid market data for {(string.IsNullOrEmpty(symbol) ? "<no symbol>" : symbol)} at {timestamp}: {problem}", field)
{
    /// <summary>The field that is wrong (snake_case, as on the wire).</summary>
    public string Field { get; } = field;

    /// <summary>What is wrong, without the symbol/timestamp prefix.</summary>
    public string Problem { get; } = problem;
}
