using System.Globalization;
using System.IO.Compression;

namespace Tickrunner.Engine.Tests.Datasets;

/// <summary>A temp directory for one test class, and writers for the CSV files the dataset tests read.</summary>
public abstract class DatasetFiles : IDisposable
{
    protected string Dir { get; } = Directory.CreateTempSubdirectory("tickrunner-datasets-").FullName;

    public void Dispose()
    {
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected const string BinanceHeader = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore";

    protected const long T0 = 1_704_067_200_000; // 2024-01-01T00:00:00Z
    protected const long Minute = 60_000;

    protected string Write(string name, params string[] lines)
    {
        var path = Path.Combine(Dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    protected string WriteGzip(string name, params string[] lines)
    {
        var path = Path.Combine(Dir, name);
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var writer = new StreamWriter(gzip);
        foreach (var line in lines) writer.WriteLine(line);
        return path;
    }

    /// <summary>A Binance kline row with the trailing columns Binance exports.</summary>
    protected static string Row(long time, double open, double high, double low, double close, double volume = 1.5) =>
        FormattableString.Invariant($"{time},{open},{high},{low},{close},{volume},{time + 59_999},100.0,10,0.5,50.0,0");

    /// <summary><paramref name="count"/> Binance rows one minute apart with awkward decimals (the kind that round).</summary>
    protected static string[] Rows(int count, long start = T0, long step = Minute)
    {
        var rows = new string[count];
        var price = 42_123.456789;
        for (var i = 0; i < count; i++)
        {
            var open = price;
            price *= 1 + Math.Sin(i * 0.7) * 0.001;
            var close = price;
            var high = Math.Max(open, close) + 0.123456789;
            var low = Math.Min(open, close) - 0.0987654321;
            rows[i] = string.Create(CultureInfo.InvariantCulture,
                $"{start + i * step},{open:F8},{high:F8},{low:F8},{close:F8},{0.1 + i % 7 * 1.37:F8},{start + i * step + step - 1},1.0,3,0.1,0.2,0");
        }
        return rows;
    }
}
