using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Feeds;

namespace Tickrunner.Engine.Tests.Datasets;

public sealed class BarCsvReaderTests : DatasetFiles
{
    private static DatasetImportOptions Btc(string? interval = null) => new() { Symbol = "BTCUSDT", Interval = interval };

    private static void AssertBitIdentical(IReadOnlyList<MarketData> expected, BarSeries actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            Assert.Equal(e, a);
            foreach (var (x, y) in new[] { (e.Open, a.Open), (e.High, a.High), (e.Low, a.Low), (e.Close, a.Close), (e.Volume, a.Volume), (e.Bid, a.Bid), (e.Ask, a.Ask) })
                Assert.Equal(BitConverter.DoubleToInt64Bits(x), BitConverter.DoubleToInt64Bits(y));
        }
    }

    [Fact]
    public void Binance_files_with_and_without_header_give_the_bars_of_CsvKlineReader_bit_for_bit()
    {
        var rows = Rows(500);
        var withHeader = Write("with.csv", [BinanceHeader, .. rows]);
        var without = Write("without.csv", rows);
        foreach (var path in new[] { withHeader, without })
        {
            var replay = CsvKlineReader.Read(path, "BTCUSDT").ToList();
            var csv = BarCsvReader.Read(path, Btc());
            Assert.Equal("binance", csv.Report.Format);
            AssertBitIdentical(replay, csv.Series);
            Assert.Equal("1m", csv.Series.Interval);
            Assert.Equal("inferred", csv.Report.IntervalSource);
            Assert.Equal(500, csv.Report.Rows);
            Assert.Equal(0, csv.Report.GapCount);
        }
    }

    [Fact]
    public void Microsecond_timestamps_become_milliseconds_as_in_CsvKlineReader()
    {
        var path = Write("us.csv", Row(1_735_689_600_000_000, 10, 12, 9, 11), Row(1_735_689_660_000_000, 11, 12, 10, 11));
        var series = BarCsvReader.Read(path, Btc()).Series;
        Assert.Equal([1_735_689_600_000, 1_735_689_660_000], series.Timestamps.ToArray());
        AssertBitIdentical(CsvKlineReader.Read(path, "BTCUSDT").ToList(), series);
    }

    [Theory]
    [InlineData("date", "2024-01-15", "2024-01-16", 1_705_276_800_000, 1_705_363_200_000, "1d")]
    [InlineData("Date", "2024/01/15", "2024/01/16", 1_705_276_800_000, 1_705_363_200_000, "1d")]
    [InlineData("datetime", "2024-01-15 13:45:00", "2024-01-15 13:46:00", 1_705_326_300_000, 1_705_326_360_000, "1m")]
    [InlineData("DateTime", "2024-01-15T13:45:00Z", "2024-01-15T14:45:00Z", 1_705_326_300_000, 1_705_329_900_000, "1h")]
    [InlineData("time", "2024-01-15T15:45:00+02:00", "2024-01-15T15:50:00+02:00", 1_705_326_300_000, 1_705_326_600_000, "5m")]
    [InlineData("Time", "2024-01-15T08:45:00.000-05:00", "2024-01-15T08:45:01.000-05:00", 1_705_326_300_000, 1_705_326_301_000, "1s")]
    [InlineData("timestamp", "2024-01-15T13:45:00", "2024-01-15T14:00:00", 1_705_326_300_000, 1_705_327_200_000, "15m")]
    [InlineData("Timestamp", "1705326300", "1705327200", 1_705_326_300_000, 1_705_327_200_000, "15m")]
    [InlineData("TIMESTAMP", "1705326300000", "1705328100000", 1_705_326_300_000, 1_705_328_100_000, "30m")]
    [InlineData("open_time", "1705326300000", "1705333500000", 1_705_326_300_000, 1_705_333_500_000, "2h")]
    [InlineData("Open Time", "1705326300000000", "1705340700000000", 1_705_326_300_000, 1_705_340_700_000, "4h")]
    [InlineData("unix", "1705326300.0", "1705347900.0", 1_705_326_300_000, 1_705_347_900_000, "6h")]
    [InlineData("\"Date\"", "\"2024-01-01\"", "\"2024-01-08\"", 1_704_067_200_000, 1_704_672_000_000, "1w")]
    public void Each_time_column_name_and_format_is_read(string name, string first, string second, long firstMs, long secondMs, string interval)
    {
        var path = Write("t.csv", $"{name},open,high,low,close,volume", $"{first},10,12,9,11,5", $"{second},11,13,10,12,6");
        var csv = BarCsvReader.Read(path, Btc());
        Assert.Equal([firstMs, secondMs], csv.Series.Timestamps.ToArray());
        Assert.Equal(interval, csv.Series.Interval);
    }

    [Fact]
    public void Columns_are_found_by_name_in_any_case_and_order_and_extra_columns_are_ignored()
    {
        var path = Write("mixed.csv",
            "Unix,Date,Symbol,CLOSE,Volume,Open,Adj Close,High,LOW,tradecount",
            "1705276800000,2024-01-15,BTC/USDT,11,5,10,99,12,9,1",
            "1705276860000,2024-01-15,BTC/USDT,12,6,11,99,13,10,2");
        var csv = BarCsvReader.Read(path);
        var bar = csv.Series[1];
        Assert.Equal(("BTCUSDT", 1_705_276_860_000L, 11.0, 13.0, 10.0, 12.0, 6.0), (bar.Symbol, bar.Timestamp, bar.Open, bar.High, bar.Low, bar.Close, bar.Volume));
        Assert.Equal("header", csv.Report.Format);
        Assert.Equal("1m", csv.Report.Interval);
    }

    [Fact]
    public void Semicolons_tabs_crlf_and_a_byte_order_mark_are_read()
    {
        var semicolons = Path.Combine(Dir, "semi.csv");
        File.WriteAllText(semicolons, "Date;Open;High;Low;Close;Volume\r\n2024-01-15;10.5;12;9;11;5\r\n2024-01-16;11;13;10;12;6\r\n", new System.Text.UTF8Encoding(true));
        var csv = BarCsvReader.Read(semicolons, Btc());
        Assert.Equal(';', csv.Report.Separator);
        Assert.Equal(10.5, csv.Series.Open[0]);
        Assert.Equal(2, csv.Series.Count);

        var tabs = Write("tabs.csv", "date\topen\thigh\tlow\tclose\tvolume", "2024-01-15\t10\t12\t9\t11\t5");
        Assert.Equal(11, BarCsvReader.Read(tabs, Btc("1d")).Series.Close[0]);
    }

    [Fact]
    public void Gzip_files_are_unpacked_by_name_or_by_their_magic_bytes()
    {
        var rows = Rows(50);
        var gz = WriteGzip("BTCUSDT-1m-2024-01.csv.gz", rows);
        var plain = Write("plain.csv", rows);
        var expected = BarCsvReader.Read(plain, Btc()).Series;
        var fromGz = BarCsvReader.Read(gz); // symbol and interval from the Binance file name
        Assert.Equal("BTCUSDT", fromGz.Series.Symbol);
        Assert.Equal(expected.ToList(), fromGz.Series.ToList());

        var disguised = Path.Combine(Dir, "disguised.csv");
        File.Copy(gz, disguised);
        Assert.Equal(expected.ToList(), BarCsvReader.Read(disguised, Btc()).Series.ToList());

        var broken = Path.Combine(Dir, "broken.csv.gz");
        File.WriteAllBytes(broken, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff]); // a deflate block of the reserved type
        var error = Assert.Throws<CsvFormatException>(() => BarCsvReader.Read(broken, Btc()));
        Assert.Contains("gzip", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_number_names_the_line_the_column_and_the_value()
    {
        var path = Write("bad.csv", BinanceHeader, Row(T0, 10, 12, 9, 11), $"{T0 + Minute},11,13,10,abc,1.5,0,0,0,0,0,0");
        var error = Assert.Throws<CsvFormatException>(() => BarCsvReader.Read(path, Btc()));
        Assert.Equal((3, 5, "close"), (error.Line, error.Column, error.ColumnName));
        Assert.Equal($"{path}:3, column 5 (close): 'abc' is not a number", error.Message);

        var named = Write("named.csv", "Date;Open;High;Low;Close;Volume", "2024-01-15;10;12;9;11;5", "", "2024-01-16;11;1x3;10;12;6");
        error = Assert.Throws<CsvFormatException>(() => BarCsvReader.Read(named, Btc()));
        Assert.Equal((4, 3, "High"), (error.Line, error.Column, error.ColumnName));
        Assert.Contains("'1x3' is not a number", error.Message);
    }

    [Fact]
    public void A_bad_time_names_the_line_and_the_column()
    {
        var path = Write("time.csv", "date,open,high,low,close,volume", "2024-01-15,10,12,9,11,5", "2024-13-01,10,12,9,11,5");
        var error = Assert.Throws<CsvFormatException>(() => BarCsvReader.Read(path, Btc()));
        Assert.Equal((3, 1, "date"), (error.Line, error.Column, error.ColumnName));
        Assert.Contains("'2024-13-01' is not a time", error.Message);
    }

    [Fact]
    public void A_bar_that_breaks_the_rules_names_the_line_and_the_field()
    {
        var path = Write("hl.csv", Row(T0, 10, 12, 9, 11), Row(T0 + Minute, 10, 9, 12, 10));
        var error = Assert.Throws<CsvFormatException>(() => BarCsvReader.Read(path, Btc()));
        Assert.Equal((2, 3, "high"), (error.Line, error.Column, error.ColumnName));
        Assert.Contains("high 9 is below low 12", error.Message);

        var negative = Write("neg.csv", Row(T0, 10, 12, 9, 11, volume: -1));
        error = Assert.Throws<CsvFormatException>(() => BarCsvReader.Read(negative, Btc("1m")));
        Assert.Equal((1, 6, "volume"), (error.Line, error.Column, error.ColumnName));
    }

    [Fact]
    public void A_short_row_names_the_first_missing_column()
    {
        var path = Write("short.csv", Row(T0, 10, 12, 9, 11), $"{T0 + Minute},10,12,9");
        var error = Assert.Throws<CsvFormatException>(() => BarCsvReader.Read(path, Btc()));
        Assert.Equal((2, 5, "close"), (error.Line, error.Column, error.ColumnName));
    }

    [Fact]
    public void Empty_and_header_only_files_are_errors()
    {
        foreach (var path in new[] { Write("empty.csv"), Write("blank.csv", "", "  "), Write("header.csv", BinanceHeader) })
        {
            var error = Assert.Throws<CsvFormatException>(() => BarCsvReader.Read(path, Btc("1m")));
            Assert.Equal(0, error.Line);
            Assert.Contains("no data rows", error.Message);
        }
    }

    [Fact]
    public void Missing_columns_are_named_with_the_header_found()
    {
        var path = Write("cols.csv", "when,Open,High,Close", "2024-01-15,10,12,11");
        var error = Assert.Throws<CsvFormatException>(() => BarCsvReader.Read(path, Btc()));
        Assert.Equal(1, error.Line);
        Assert.Contains("missing column(s): a time column (one of open_time, timestamp, unix, datetime, date_time, date, time, ts), low, volume", error.Message);
        Assert.Contains("the header has: when, Open, High, Close", error.Message);
    }

    [Fact]
    public void Gaps_are_reported_with_lines_times_and_missing_bars_and_the_bars_are_kept()
    {
        var rows = Rows(10).ToList();
        rows.RemoveRange(6, 3); // 3 minutes missing before the 7th row kept
        rows.RemoveAt(2);       // 1 minute missing
        var path = Write("gaps.csv", [BinanceHeader, .. rows]);
        var report = BarCsvReader.Read(path, Btc()).Report;
        Assert.Equal("1m", report.Interval);
        Assert.Equal(6, report.Bars);
        Assert.Equal(2, report.GapCount);
        Assert.Equal(4, report.MissingBars);
        Assert.Equal(new DatasetGap(4, T0 + Minute, T0 + 3 * Minute, 1), report.Gaps[0]);
        Assert.Equal(new DatasetGap(7, T0 + 5 * Minute, T0 + 9 * Minute, 3), report.Gaps[1]);
        Assert.True(report.Accepted);
    }

    [Fact]
    public void Rows_out_of_order_refuse_the_file_listing_them_and_nothing_is_reordered()
    {
        var rows = Rows(6);
        var path = Write("order.csv", rows[0], rows[1], rows[3], rows[2], rows[4], rows[5]);
        var error = Assert.Throws<DatasetImportException>(() => BarCsvReader.Read(path, Btc()));
        var report = error.Report!;
        Assert.False(report.Accepted);
        Assert.Equal(1, report.OutOfOrderCount);
        Assert.Equal(new RowIssue(4, T0 + 2 * Minute, 3, T0 + 3 * Minute, "earlier than line 3"), report.OutOfOrder[0]);
        Assert.Contains($"line 4 at {T0 + 2 * Minute} is earlier than line 3", error.Message);
        Assert.Equal(1, report.GapCount); // 0,1,3,4,5 kept in file order: the step 1 → 3 is a gap, not a swap
    }

    [Fact]
    public void Duplicates_refuse_the_file_unless_identical_ones_may_be_dropped()
    {
        var rows = Rows(4);
        var exact = Write("exact.csv", rows[0], rows[1], rows[1], rows[2], rows[3]);
        var error = Assert.Throws<DatasetImportException>(() => BarCsvReader.Read(exact, Btc()));
        Assert.Equal(1, error.Report!.DuplicateCount);
        Assert.Equal(new RowIssue(3, T0 + Minute, 2, T0 + Minute, "same time and values as line 2"), error.Report.Duplicates[0]);
        Assert.Contains("DropExactDuplicates", error.Message);

        var dropped = BarCsvReader.Read(exact, new DatasetImportOptions { Symbol = "BTCUSDT", DropExactDuplicates = true });
        Assert.Equal((5, 4, 1, 1), (dropped.Report.Rows, dropped.Series.Count, dropped.Report.DuplicateCount, dropped.Report.DroppedDuplicates));

        var conflicting = Write("conflict.csv", rows[0], rows[1], Row(T0 + Minute, 1, 2, 1, 2), rows[2]);
        error = Assert.Throws<DatasetImportException>(() =>
            BarCsvReader.Read(conflicting, new DatasetImportOptions { Symbol = "BTCUSDT", DropExactDuplicates = true }));
        Assert.Equal("same time as line 2 with different values", error.Report!.Duplicates[0].Problem);
    }

    [Fact]
    public void The_interval_is_inferred_from_the_most_common_step_or_given()
    {
        var rows = Rows(20, step: 5 * Minute).ToList();
        rows.RemoveAt(10);
        var path = Write("five.csv", rows.ToArray());
        var csv = BarCsvReader.Read(path, Btc());
        Assert.Equal(("5m", "inferred", 1, 1L), (csv.Report.Interval, csv.Report.IntervalSource, csv.Report.GapCount, csv.Report.MissingBars));

        var given = BarCsvReader.Read(path, Btc("1m"));
        Assert.Equal(("1m", "given"), (given.Report.Interval, given.Report.IntervalSource));
        Assert.Equal(18, given.Report.GapCount); // every step of the 19 bars is a 1m gap
        Assert.Contains("most common step between bars is 5m, but the interval given is 1m", given.Report.Warnings.Single());
    }

    [Fact]
    public void Monthly_bars_are_inferred_as_1M_and_gaps_count_calendar_months()
    {
        var path = Write("m.csv", "date,open,high,low,close,volume",
            "2024-01-01,1,2,1,2,1", "2024-02-01,1,2,1,2,1", "2024-03-01,1,2,1,2,1", "2024-06-01,1,2,1,2,1");
        var report = BarCsvReader.Read(path, Btc()).Report;
        Assert.Equal(("1M", 1, 2L), (report.Interval, report.GapCount, report.MissingBars));
    }

    [Fact]
    public void An_interval_that_cannot_be_inferred_is_an_error_unless_given_or_named_by_the_file()
    {
        var odd = Write("odd.csv", Rows(5, step: 90_000));
        var error = Assert.Throws<DatasetImportException>(() => BarCsvReader.Read(odd, Btc()));
        Assert.Contains("the most common step between bars is 90s, which is not a Binance interval", error.Message);
        Assert.Contains("give the interval", error.Message);

        var single = Write("single.csv", Row(T0, 10, 12, 9, 11));
        Assert.Contains("single bar", Assert.Throws<DatasetImportException>(() => BarCsvReader.Read(single, Btc())).Message);
        var named = Write("ETHUSDT-4h-2024-01-01.csv", Row(T0, 10, 12, 9, 11));
        var csv = BarCsvReader.Read(named);
        Assert.Equal(("ETHUSDT", "4h", "file name"), (csv.Series.Symbol, csv.Series.Interval, csv.Report.IntervalSource));
    }

    [Fact]
    public void The_symbol_comes_from_the_options_a_symbol_column_or_a_Binance_file_name()
    {
        var path = Write("data.csv", Rows(3));
        Assert.Contains("give the symbol", Assert.Throws<DatasetImportException>(() => BarCsvReader.Read(path)).Message);
        Assert.Equal("SOLUSDT", BarCsvReader.Read(path, new DatasetImportOptions { Symbol = "SOLUSDT" }).Series.Symbol);

        var mixed = Write("mixed.csv", "symbol,date,open,high,low,close,volume", "BTCUSDT,2024-01-01,1,2,1,2,1", "ETHUSDT,2024-01-02,1,2,1,2,1");
        var error = Assert.Throws<CsvFormatException>(() => BarCsvReader.Read(mixed));
        Assert.Equal((3, 1), (error.Line, error.Column));
        Assert.Contains("one symbol", error.Message);
        Assert.Throws<ArgumentException>(() => BarCsvReader.Read(path, new DatasetImportOptions { Symbol = "../x" }));
    }

    [Fact]
    public void A_stream_is_read_like_a_file()
    {
        var rows = Rows(30);
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", rows)));
        var csv = BarCsvReader.Read(stream, "upload.csv", Btc());
        Assert.Equal(30, csv.Series.Count);
        Assert.Equal(BarCsvReader.Read(Write("same.csv", rows), Btc()).Series.ToList(), csv.Series.ToList());
    }

    [Fact]
    public void Long_files_cross_the_read_buffer_without_losing_lines()
    {
        var rows = Rows(20_000); // about 2 MB: many buffer refills, lines split across them
        var csv = BarCsvReader.Read(Write("long.csv", [BinanceHeader, .. rows]), Btc());
        Assert.Equal(20_000, csv.Series.Count);
        AssertBitIdentical(CsvKlineReader.Read(Path.Combine(Dir, "long.csv"), "BTCUSDT").ToList(), csv.Series);
    }
}
