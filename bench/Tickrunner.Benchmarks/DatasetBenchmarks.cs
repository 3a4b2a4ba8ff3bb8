using System.Globalization;
using BenchmarkDotNet.Attributes;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Feeds;

namespace Tickrunner.Benchmarks;

/// <summary>Getting 1,000,000 one-minute bars into memory: parsing the CSV export versus loading the dataset cache.</summary>
/// <remarks>
/// Targets (docs/guides/market-data.md, Datasets): from the cache ≤ 100 ms, from CSV ≤ 1.5 s. The file is a Binance
/// kline export with a header, generated once per run in a temp folder from a fixed formula, so every run parses the
/// same bytes; <see cref="ReplayReader"/> is the live replay feed's row-by-row reader over the same file, for comparison.
/// </remarks>
[MemoryDiagnoser]
public class DatasetBenchmarks
{
    private const int Bars = 1_000_000;
    private const string Id = "BTCUSDT-1m";
    private string _dir = null!;
    private string _csv = null!;
    private DatasetStore _store = null!;
    private readonly DatasetImportOptions _options = new() { Symbol = "BTCUSDT", Interval = "1m" };

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("tickrunner-dataset-bench-").FullName;
        _csv = Path.Combine(_dir, "BTCUSDT-1m.csv");
        WriteCsv(_csv);
        _store = new DatasetStore(Path.Combine(_dir, "datasets"));
        _store.Import(_csv, _options);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    /// <summary>Parse, check and report the whole CSV into a bar series (what an import does before it writes).</summary>
    [Benchmark]
    public int ReadCsv() => BarCsvReader.Read(_csv, _options).Series.Count;

    /// <summary>Read the whole dataset from its binary cache file.</summary>
    [Benchmark]
    public int LoadFromCache() => _store.Load(Id).Count;

    /// <summary>A day out of the middle of the cache (binary search in the file, then six small reads).</summary>
    [Benchmark]
    public int LoadOneDayFromCache() => _store.Load(Id, T0 + 500_000 * 60_000L, T0 + 501_439 * 60_000L).Count;

    /// <summary>The replay feed's reader over the same file (a string and a MarketData per row), for comparison.</summary>
    [Benchmark]
    public int ReplayReader()
    {
        var n = 0;
        foreach (var _ in CsvKlineReader.Read(_csv, "BTCUSDT")) n++;
        return n;
    }

    private const long T0 = 1_704_067_200_000; // 2024-01-01

    private static void WriteCsv(string path)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine("open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore");
        var price = 42_000.0;
        for (var i = 0; i < Bars; i++)
        {
            var open = price;
            price *= 1 + Math.Sin(i * 0.37) * 0.0008;
            var high = Math.Max(open, price) * 1.0004;
            var low = Math.Min(open, price) * 0.9996;
            var time = T0 + i * 60_000L;
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{time},{open:F2},{high:F2},{low:F2},{price:F2},{1 + i % 97 * 0.731:F5},{time + 59_999},{price * 3:F4},{100 + i % 50},{0.5:F5},{price:F4},0"));
        }
    }
}
