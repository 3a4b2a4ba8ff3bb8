using System.Globalization;
using System.Text;

namespace Tickrunner.Testing;

/// <summary>Deterministic candle CSV files for dataset and backtest tests.</summary>
public static class BarCsv
{
    /// <summary>
    /// A header CSV (<c>timestamp,open,high,low,close,volume</c>) of <paramref name="count"/> bars from <paramref name="start"/>,
    /// <paramref name="step"/> ms apart, a fixed random walk from 100 moving up to ±<paramref name="volatility"/>/2 per bar; bars in
    /// <paramref name="skip"/> are left out (gaps).
    /// </summary>
    public static string RandomWalk(int count, long start, long step, ISet<int>? skip = null, double volatility = 0.8)
    {
        var text = new StringBuilder("timestamp,open,high,low,close,volume\n");
        var price = 100.0;
        ulong state = 12345;
        for (var i = 0; i < count; i++)
        {
            state = state * 6364136223846793005UL + 1442695040888963407UL;
            var move = ((state >> 33) / (double)(1UL << 31) - 0.5) * volatility;
            var open = price;
            var close = Math.Max(1, price + move);
            var high = Math.Max(open, close) + 0.25;
            var low = Math.Min(open, close) - 0.25;
            price = close;
            if (skip?.Contains(i) == true) continue;
            text.Append(CultureInfo.InvariantCulture, $"{start + i * step},{open:F4},{high:F4},{low:F4},{close:F4},{1 + i % 7}\n");
        }
        return text.ToString();
    }
}
