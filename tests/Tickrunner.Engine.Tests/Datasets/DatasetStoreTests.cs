using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Feeds;

namespace Tickrunner.Engine.Tests.Datasets;

public sealed class DatasetStoreTests : DatasetFiles
{
    private DatasetStore NewStore() => new(Path.Combine(Dir, "datasets"));

    private static MarketData Bar(long time, double close = 100, string symbol = "BTCUSDT") =>
        new(symbol, time, close, close + 1, close - 1, close, 2, 0, 0);

    [Fact]
    public void Import_list_find_and_load_round_trip_bit_identical_to_the_replay_reader()
    {
        var store = NewStore();
        var path = Write("BTCUSDT-1m-2024-01.csv", [BinanceHeader, .. Rows(1000)]);
        var result = store.Import(path);
        var expected = new DatasetInfo("BTCUSDT-1m", "BTCUSDT", "1m", T0, T0 + 999 * Minute, 1000, 0, 0);
        Assert.Equal(expected, result.Dataset);
        Assert.Equal(1000, result.Report.Bars);
        Assert.Equal([expected], store.List());
        Assert.Equal(expected, store.Find("BTCUSDT-1m"));
        Assert.Null(store.Find("ETHUSDT-1m"));

        var loaded = store.Load("BTCUSDT-1m");
        var replay = CsvKlineReader.Read(path, "BTCUSDT").ToList();
        Assert.Equal(replay.Count, loaded.Count);
        for (var i = 0; i < replay.Count; i++)
        {
            Assert.Equal(replay[i], loaded[i]);
            Assert.Equal(BitConverter.DoubleToInt64Bits(replay[i].Bid), BitConverter.DoubleToInt64Bits(loaded[i].Bid));
            Assert.Equal(BitConverter.DoubleToInt64Bits(replay[i].Ask), BitConverter.DoubleToInt64Bits(loaded[i].Ask));
        }
        Assert.Equal(1000 * 6 * 8 + 128, new FileInfo(Path.Combine(store.Directory, "BTCUSDT-1m.bars")).Length);
    }

    [Fact]
    public void A_range_is_loaded_with_both_ends_included()
    {
        var store = NewStore();
        store.Import(Write("r.csv", Rows(100)), new DatasetImportOptions { Symbol = "BTCUSDT" });
        var range = store.Load("BTCUSDT-1m", T0 + 10 * Minute, T0 + 19 * Minute);
        Assert.Equal(10, range.Count);
        Assert.Equal(T0 + 10 * Minute, range.FirstTimestamp);
        Assert.Equal(T0 + 19 * Minute, range.LastTimestamp);
        var all = store.Load("BTCUSDT-1m");
        Assert.Equal(all.Slice(10, 10).ToList(), range.ToList());
        Assert.Equal(all.Range(T0 + 10 * Minute, T0 + 19 * Minute).ToList(), range.ToList());

        Assert.Equal(100, store.Load("BTCUSDT-1m", T0 - 1_000_000, null).Count);
        Assert.Equal(5, store.Load("BTCUSDT-1m", T0 + 94 * Minute + 1, null).Count); // from between two bars
        Assert.Single(store.Load("BTCUSDT-1m", null, T0));
        Assert.Empty(store.Load("BTCUSDT-1m", T0 + 100 * Minute, null));
        Assert.Empty(store.Load("BTCUSDT-1m", T0 + 5, T0 + 10));

        // Count finds the same numbers without reading the bars.
        foreach (var (from, to) in new (long?, long?)[] { (T0 + 10 * Minute, T0 + 19 * Minute), (null, null), (T0 - 1_000_000, null),
                     (T0 + 94 * Minute + 1, null), (null, T0), (T0 + 100 * Minute, null), (T0 + 5, T0 + 10) })
            Assert.Equal(store.Load("BTCUSDT-1m", from, to).Count, store.Count("BTCUSDT-1m", from, to));
        Assert.Throws<KeyNotFoundException>(() => store.Count("nope", null, null));
    }

    [Fact]
    public void Delete_removes_a_dataset_and_loading_a_missing_one_says_so()
    {
        var store = NewStore();
        store.Import(Write("d.csv", Rows(3)), new DatasetImportOptions { Symbol = "ETHUSDT", Id = "eth-sample" });
        Assert.True(store.Delete("eth-sample"));
        Assert.False(store.Delete("eth-sample"));
        Assert.Empty(store.List());
        Assert.Contains("'eth-sample' does not exist", Assert.Throws<KeyNotFoundException>(() => store.Load("eth-sample")).Message);
    }

    [Fact]
    public void Importing_over_a_dataset_needs_overwrite()
    {
        var store = NewStore();
        var options = new DatasetImportOptions { Symbol = "BTCUSDT" };
        store.Import(Write("a.csv", Rows(3)), options);
        Assert.Throws<InvalidOperationException>(() => store.Import(Write("b.csv", Rows(5)), options));
        Assert.Equal(3, store.Find("BTCUSDT-1m")!.Bars);
        options.Overwrite = true;
        Assert.Equal(5, store.Import(Path.Combine(Dir, "b.csv"), options).Dataset.Bars);
    }

    [Fact]
    public void A_write_interrupted_before_the_rename_leaves_the_old_dataset_and_no_visible_file()
    {
        var store = NewStore();
        var options = new DatasetImportOptions { Symbol = "BTCUSDT" };
        store.Import(Write("a.csv", Rows(3)), options);
        var before = store.Load("BTCUSDT-1m").ToList();
        string? temp = null;
        store.BeforeRename = path =>
        {
            temp = path;
            Assert.True(File.Exists(path));
            Assert.Equal(3, store.Find("BTCUSDT-1m")!.Bars); // the complete temp file is not the dataset yet
            throw new IOException("power cut");
        };
        options.Overwrite = true;
        Assert.Throws<IOException>(() => store.Import(Write("b.csv", Rows(50)), options));
        Assert.Throws<IOException>(() => store.Append("BTCUSDT-1m", [Bar(T0 + 10 * Minute)]));
        Assert.Throws<IOException>(() => store.Import(Write("c.csv", Rows(5)), new DatasetImportOptions { Symbol = "ETHUSDT" }));
        store.BeforeRename = null;

        Assert.Equal(before, store.Load("BTCUSDT-1m").ToList());
        Assert.Equal(["BTCUSDT-1m"], store.List().Select(d => d.Id));
        Assert.False(File.Exists(temp));

        // What a real crash leaves behind: a temp file (complete or not) and a torn cache file. Neither is listed.
        File.WriteAllBytes(Path.Combine(store.Directory, ".BTCUSDT-1m.0123.tmp"), new byte[500]);
        File.WriteAllBytes(Path.Combine(store.Directory, "TORN-1m.bars"), new byte[77]);
        Assert.Equal(["BTCUSDT-1m"], store.List().Select(d => d.Id));
        Assert.Throws<InvalidDataException>(() => store.Load("TORN-1m"));
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("/etc/passwd")]
    [InlineData("ok\n")]
    [InlineData(".hidden")]
    [InlineData("with space")]
    [InlineData("-dash-first")]
    public void Hostile_ids_are_refused_everywhere_and_nothing_is_written_outside(string id)
    {
        var store = NewStore();
        store.Import(Write("a.csv", Rows(3)), new DatasetImportOptions { Symbol = "BTCUSDT" });
        Assert.Throws<ArgumentException>(() => store.Find(id));
        Assert.Throws<ArgumentException>(() => store.Load(id));
        Assert.Throws<ArgumentException>(() => store.Delete(id));
        Assert.Throws<ArgumentException>(() => store.Append(id, [Bar(T0 + 100 * Minute)]));
        Assert.Throws<ArgumentException>(() => store.Save(store.Load("BTCUSDT-1m"), id));
        Assert.Throws<ArgumentException>(() => store.Import(Path.Combine(Dir, "a.csv"), new DatasetImportOptions { Symbol = "BTCUSDT", Id = id }));
        Assert.False(DatasetStore.IsValidId(id));
        Assert.Equal(["a.csv", "datasets"], Directory.GetFileSystemEntries(Dir).Select(Path.GetFileName).Order());
        Assert.Equal(["BTCUSDT-1m.bars"], Directory.GetFiles(store.Directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Append_and_prepend_keep_order_refuse_overlap_and_count_gaps_across_the_seam()
    {
        var store = NewStore();
        store.Save(BarSeries.From("BTCUSDT", "1m", [Bar(T0 + 10 * Minute), Bar(T0 + 11 * Minute)]));
        var info = store.Append("BTCUSDT-1m", [Bar(T0 + 12 * Minute, 101), Bar(T0 + 15 * Minute, 102)]);
        Assert.Equal(new DatasetInfo("BTCUSDT-1m", "BTCUSDT", "1m", T0 + 10 * Minute, T0 + 15 * Minute, 4, 1, 2), info);
        info = store.Prepend("BTCUSDT-1m", [Bar(T0, 90), Bar(T0 + 8 * Minute, 95)]);
        Assert.Equal(new DatasetInfo("BTCUSDT-1m", "BTCUSDT", "1m", T0, T0 + 15 * Minute, 6, 3, 10), info);
        Assert.Equal(info, store.Find("BTCUSDT-1m"));
        var series = store.Load("BTCUSDT-1m");
        Assert.Equal([T0, T0 + 8 * Minute, T0 + 10 * Minute, T0 + 11 * Minute, T0 + 12 * Minute, T0 + 15 * Minute], series.Timestamps.ToArray());
        Assert.Equal([90, 95, 100, 100, 101, 102], series.Close.ToArray());

        Assert.Contains("not after the last bar", Assert.Throws<ArgumentException>(() => store.Append("BTCUSDT-1m", [Bar(T0 + 15 * Minute)])).Message);
        Assert.Contains("not before the first bar", Assert.Throws<ArgumentException>(() => store.Prepend("BTCUSDT-1m", [Bar(T0 - Minute), Bar(T0)])).Message);
        Assert.Contains("increasing time order", Assert.Throws<ArgumentException>(() => store.Append("BTCUSDT-1m", [Bar(T0 + 30 * Minute), Bar(T0 + 20 * Minute)])).Message);
        Assert.Contains("holds BTCUSDT", Assert.Throws<ArgumentException>(() => store.Append("BTCUSDT-1m", [Bar(T0 + 30 * Minute, symbol: "ETHUSDT")])).Message);
        Assert.Throws<InvalidMarketDataException>(() => store.Append("BTCUSDT-1m", [Bar(T0 + 30 * Minute, close: -1)]));
        Assert.Throws<KeyNotFoundException>(() => store.Append("ETHUSDT-1m", [Bar(T0, symbol: "ETHUSDT")]));
        Assert.Equal(info, store.Find("BTCUSDT-1m")); // nothing was written by the refused calls
        Assert.Equal(info, store.Append("BTCUSDT-1m", []));
    }

    [Fact]
    public void Monthly_datasets_get_an_id_that_differs_from_the_minute_one_in_any_case()
    {
        Assert.Equal("BTCUSDT-1mo", DatasetStore.DefaultId("BTCUSDT", "1M"));
        Assert.Equal("BTCUSDT-1m", DatasetStore.DefaultId("BTCUSDT", "1m"));
        var store = NewStore();
        var info = store.Save(BarSeries.From("BTCUSDT", "1M", [Bar(T0), Bar(T0 + 31L * 86_400_000)]));
        Assert.Equal(("BTCUSDT-1mo", "1M", 0), (info.Id, info.Interval, info.Gaps));
    }

    [Fact]
    public void A_loaded_series_costs_its_six_columns_and_not_much_more()
    {
        const int count = 200_000;
        var store = NewStore();
        var t = new long[count];
        var price = new double[count];
        for (var i = 0; i < count; i++) (t[i], price[i]) = (T0 + i * Minute, 100 + i % 10);
        store.Save(new BarSeries("BTCUSDT", "1m", t, price, price.Select(p => p + 1).ToArray(), price.Select(p => p - 1).ToArray(), price, price));
        store.Load("BTCUSDT-1m"); // warm up
        var before = GC.GetAllocatedBytesForCurrentThread();
        var series = store.Load("BTCUSDT-1m");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(count, series.Count);
        Assert.InRange(allocated, count * 48L, count * 48L + 16_384); // 48 B a bar: 10,000,000 bars = 480 MB
    }
}
