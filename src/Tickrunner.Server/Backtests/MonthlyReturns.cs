namespace Tickrunner.Server.Backtests;

/// <summary>One calendar month (UTC) of an equity curve: the equity it started and ended with and its return.</summary>
public sealed record MonthlyReturn(string Month, double StartEquity, double EndEquity, double? ReturnPct);

/// <summary>Monthly returns of an equity curve for the report's heatmap (docs/backtesting.md §6.1).</summary>
public static class MonthlyReturns
{
    /// <summary>
    /// One row per UTC calendar month that holds a bar, in time order: its end equity is the equity of its last bar, its start
    /// equity the end equity of the month before (the first month starts from <paramref name="initialCapital"/>), and its return
    /// <c>(end / start − 1) × 100</c>, null when that is not finite (a start of 0). Months without bars (a gap in the data) get no row.
    /// </summary>
    public static IReadOnlyList<MonthlyReturn> From(ReadOnlySpan<long> times, ReadOnlySpan<double> equity, double initialCapital)
    {
        var rows = new List<MonthlyReturn>();
        var start = initialCapital;
        for (var i = 0; i < times.Length; i++)
        {
            var month = MonthOf(times[i]);
            if (i + 1 < times.Length && MonthOf(times[i + 1]) == month) continue; // not the month's last bar
            var end = equity[i];
            var change = (end / start - 1) * 100;
            rows.Add(new MonthlyReturn(Label(month), start, end, double.IsFinite(change) ? change : null));
            start = end;
        }
        return rows;
    }

    // Months since 1970-01 (UTC), so consecutive bars compare with one integer.
    private static int MonthOf(long timestamp)
    {
        var date = DateTimeOffset.FromUnixTimeMilliseconds(timestamp).UtcDateTime;
        return (date.Year - 1970) * 12 + date.Month - 1;
    }

    private static string Label(int month) => $"{1970 + month / 12:D4}-{month % 12 + 1:D2}";
}
