using System.Globalization;

namespace Tickrunner.Engine.Feeds;

/// <summary>Reads Binance kline CSV exports (open_time, open, high, low, close, volume, close_time, …) into bars.</summary>
/// <remarks>
/// A header row is recognised by a first field that is not a number. Binance's spot exports switched to
/// microsecond timestamps in 2025; values too large for milliseconds are scaled down. There is no book in a
/// kline, so bid/ask are close ∓ 0.05 % (docs/engine-contract.md §1.4).
/// </remarks>
public static class CsvKlineReader
{
    /// <summary>The columns read, in file order; later columns are ignored.</summary>
    public static IReadOnlyList<string> Columns { get; } = ["open_time", "open", "high", "low", "close", "volume"];

    /// <summary>Half-spread used for the synthetic bid/ask.</summary>
    public const double HalfSpread = 0.0005;

    /// <summary>
    /// Streams the bars of <paramref name="path"/> for <paramref name="symbol"/>. A bad row throws
    /// <see cref="CsvFormatException"/>, or, with <paramref name="skipBadRows"/>, is passed to
    /// <paramref name="onSkipped"/> and left out.
    /// </summary>
    public static IEnumerable<MarketData> Read(string path, string symbol, bool skipBadRows = false,
        Action<CsvFormatException>? onSkipped = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        if (!File.Exists(path)) throw new FileNotFoundException($"CSV file '{path}' does not exist.", path);
        return ReadIterator(path, symbol, skipBadRows, onSkipped);
    }

    private static IEnumerable<MarketData> ReadIterator(string path, string symbol, bool skipBadRows, Action<CsvFormatException>? onSkipped)
    {
        using var reader = new StreamReader(path);
        var lineNumber = 0;
        var dataRows = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || line.AsSpan().IsWhiteSpace()) continue;
            if (lineNumber == 1 && IsHeader(line)) continue;
            MarketData bar;
            try
            {
                bar = ParseRow(path, lineNumber, line, symbol);
            }
            catch (CsvFormatException bad) when (skipBadRows)
            {
                onSkipped?.Invoke(bad);
                dataRows++;
                continue;
            }
            dataRows++;
            yield return bar;
        }
        if (dataRows == 0)
            throw new CsvFormatException(path, 0, null, null, "the file has no data rows (expected Binance kline rows: " +
                string.Join(", ", Columns) + ", …)");
    }

    private static bool IsHeader(string line)
    {
        var first = line.AsSpan();
        var comma = first.IndexOf(',');
        if (comma >= 0) first = first[..comma];
        return !long.TryParse(first.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _);
    }

    /// <summary>Parses one data row; throws <see cref="CsvFormatException"/> naming the column.</summary>
    public static MarketData ParseRow(string path, int lineNumber, string line, string symbol)
    {
        Span<Range> fields = stackalloc Range[Columns.Count + 1];
        var span = line.AsSpan();
        var count = span.Split(fields, ',');
        if (count < Columns.Count)
            throw new CsvFormatException(path, lineNumber, count + 1, Columns[count],
                $"the row has {count} column(s); at least {Columns.Count} are needed ({string.Join(", ", Columns)})");

        var rawTime = span[fields[0]].Trim();
        if (!long.TryParse(rawTime, NumberStyles.Integer, CultureInfo.InvariantCulture, out var openTime) || openTime < 0)
            throw new CsvFormatException(path, lineNumber, 1, Columns[0], $"'{rawTime}' is not a Unix timestamp");
        var values = new double[5];
        for (var i = 1; i <= 5; i++)
        {
            var raw = span[fields[i]].Trim();
            if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i - 1]))
                throw new CsvFormatException(path, lineNumber, i + 1, Columns[i], $"'{raw}' is not a number");
        }
        var close = values[3];
        var bar = new MarketData(symbol, ToMilliseconds(openTime), values[0], values[1], values[2], close, values[4],
            close * (1 - HalfSpread), close * (1 + HalfSpread));
        if (bar.Validate() is { } error)
        {
            var column = Columns.ToList().IndexOf(error.Field);
            throw new CsvFormatException(path, lineNumber, column >= 0 ? column + 1 : null, column >= 0 ? error.Field : null,
                error.Message);
        }
        return bar;
    }

    private static long ToMilliseconds(long timestamp) => timestamp switch
    {
        >= 100_000_000_000_000_000 => timestamp / 1_000_000, // nanoseconds
        >= 100_000_000_000_000 => timestamp / 1_000,         // microseconds
        _ => timestamp,
    };
}
