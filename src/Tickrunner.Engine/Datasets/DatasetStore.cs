using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;

namespace Tickrunner.Engine.Datasets;

/// <summary>
/// Datasets (one symbol, one interval, its bars) kept as binary cache files <c>&lt;id&gt;.bars</c> in one directory.
/// </summary>
/// <remarks>
/// Every write goes to a hidden temp file in the same directory, is flushed to disk and then renamed over the
/// dataset, so a reader or a crash never sees half a dataset. Writes within one store are serialized; readers
/// never wait. Ids are checked against an anchored rule, so no id leaves the directory.
/// </remarks>
public sealed partial class DatasetStore
{
    private readonly Lock _write = new();

    /// <summary>Opens (and creates when missing) the store in <paramref name="directory"/>.</summary>
    public DatasetStore(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The store's directory (absolute).</summary>
    public string Directory { get; }

    /// <summary>Called with the temp file's path once it is complete, before the rename; a test throws here to play a crash.</summary>
    internal Action<string>? BeforeRename { get; set; }

    /// <summary>The id a dataset gets unless one is given: <c>SYMBOL-interval</c>, with 1M (a month) spelled <c>1mo</c>.</summary>
    /// <remarks>1M becomes 1mo so that <c>BTCUSDT-1m</c> and the monthly dataset stay two files on case-insensitive file systems.</remarks>
    public static string DefaultId(string symbol, string interval) => $"{symbol}-{(interval == "1M" ? "1mo" : interval)}";

    /// <summary>True for 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    public static bool IsValidId(string? id) => id is not null && IdRule().IsMatch(id);

    /// <summary>True for 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    public static bool IsValidSymbol(string? symbol) => symbol is not null && SymbolRule().IsMatch(symbol);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdRule();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}\z", RegexOptions.CultureInvariant)]
    private static partial Regex SymbolRule();

    /// <summary>Every dataset, by id; files that are not readable datasets are left out.</summary>
    public IReadOnlyList<DatasetInfo> List()
    {
        var list = new List<DatasetInfo>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*" + BarFile.Extension))
        {
            var id = Path.GetFileNameWithoutExtension(path);
            if (!IsValidId(id)) continue;
            try
            {
                list.Add(ReadInfo(id, path));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // Deleted meanwhile, or not a dataset: it cannot be loaded either, so it is not listed.
            }
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return list;
    }

    /// <summary>The dataset <paramref name="id"/>, or null when there is none; throws <see cref="ArgumentException"/> for an invalid id.</summary>
    public DatasetInfo? Find(string id)
    {
        var path = PathOf(id);
        try
        {
            return ReadInfo(id, path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Reads a CSV file (see <see cref="BarCsvReader"/>) and stores it as a dataset.</summary>
    public ImportResult Import(string csvPath, DatasetImportOptions? options = null)
    {
        options ??= new DatasetImportOptions();
        EnsureIdOption(options);
        var csv = BarCsvReader.Read(csvPath, options);
        return new ImportResult(Save(csv.Series, options.Id, options.Overwrite), csv.Report);
    }

    /// <summary>Reads CSV from a stream (see <see cref="BarCsvReader"/>) and stores it as a dataset.</summary>
    public ImportResult Import(Stream csv, string fileName, DatasetImportOptions? options = null)
    {
        options ??= new DatasetImportOptions();
        EnsureIdOption(options);
        var bars = BarCsvReader.Read(csv, fileName, options);
        return new ImportResult(Save(bars.Series, options.Id, options.Overwrite), bars.Report);
    }

    private static void EnsureIdOption(DatasetImportOptions options)
    {
        // Checked before reading, so a bad id does not cost a parse.
        if (options.Id is not null && !IsValidId(options.Id))
            throw new ArgumentException(InvalidId(options.Id), nameof(options));
    }

    /// <summary>
    /// Stores <paramref name="series"/> (at least one bar) as dataset <paramref name="id"/> (default
    /// <see cref="DefaultId"/>); an existing one is replaced only with <paramref name="overwrite"/>, else
    /// <see cref="InvalidOperationException"/>.
    /// </summary>
    public DatasetInfo Save(BarSeries series, string? id = null, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (!IsValidSymbol(series.Symbol)) throw new ArgumentException($"Symbol '{series.Symbol}' is not valid for a dataset.", nameof(series));
        if (series.Count == 0) throw new ArgumentException("A dataset needs at least one bar.", nameof(series));
        id ??= DefaultId(series.Symbol, series.Interval);
        var path = PathOf(id);
        var (gaps, missing) = CountGaps(series.Timestamps, series.Interval);
        var header = new BarFile.Header(series.Symbol, series.Interval, series.Count, series.FirstTimestamp, series.LastTimestamp, gaps, missing);
        lock (_write)
        {
            if (!overwrite && File.Exists(path))
                throw new InvalidOperationException($"Dataset '{id}' already exists; delete it or overwrite it.");
            WriteAtomically(path, header, stream => BarFile.WriteColumns(stream, series));
        }
        return Info(id, header);
    }

    /// <summary>All bars of dataset <paramref name="id"/>, read from its cache file.</summary>
    public BarSeries Load(string id) => Load(id, null, null);

    /// <summary>The bars of <paramref name="id"/> with <paramref name="from"/> ≤ time ≤ <paramref name="to"/> (Unix ms, null = open end).</summary>
    /// <exception cref="KeyNotFoundException">There is no dataset <paramref name="id"/>.</exception>
    public BarSeries Load(string id, long? from, long? to)
    {
        var path = PathOf(id);
        using var file = Open(id, path);
        var header = BarFile.ReadHeader(file, path);
        var count = header.Count;
        var (start, end) = Range(file, header, from, to);
        var n = (int)Math.Max(0, end - start);
        var timestamps = GC.AllocateUninitializedArray<long>(n);
        var open = GC.AllocateUninitializedArray<double>(n);
        var high = GC.AllocateUninitializedArray<double>(n);
        var low = GC.AllocateUninitializedArray<double>(n);
        var close = GC.AllocateUninitializedArray<double>(n);
        var volume = GC.AllocateUninitializedArray<double>(n);
        BarFile.ReadExactly(file, MemoryMarshal.AsBytes(timestamps.AsSpan()), BarFile.Offset(count, 0, start));
        BarFile.ReadExactly(file, MemoryMarshal.AsBytes(open.AsSpan()), BarFile.Offset(count, 1, start));
        BarFile.ReadExactly(file, MemoryMarshal.AsBytes(high.AsSpan()), BarFile.Offset(count, 2, start));
        BarFile.ReadExactly(file, MemoryMarshal.AsBytes(low.AsSpan()), BarFile.Offset(count, 3, start));
        BarFile.ReadExactly(file, MemoryMarshal.AsBytes(close.AsSpan()), BarFile.Offset(count, 4, start));
        BarFile.ReadExactly(file, MemoryMarshal.AsBytes(volume.AsSpan()), BarFile.Offset(count, 5, start));
        return new BarSeries(header.Symbol, header.Interval, timestamps, open, high, low, close, volume, 0, n);
    }

    /// <summary>How many bars of <paramref name="id"/> have <paramref name="from"/> ≤ time ≤ <paramref name="to"/>, found without reading them.</summary>
    /// <exception cref="KeyNotFoundException">There is no dataset <paramref name="id"/>.</exception>
    public int Count(string id, long? from, long? to)
    {
        var path = PathOf(id);
        using var file = Open(id, path);
        var (start, end) = Range(file, BarFile.ReadHeader(file, path), from, to);
        return (int)Math.Max(0, end - start);
    }

    // The bar indexes [start, end) of from ≤ time ≤ to, by binary search over the time column (open ends need no search).
    private static (long Start, long End) Range(SafeFileHandle file, BarFile.Header header, long? from, long? to)
    {
        var count = header.Count;
        long start = from is not { } f || f <= header.First ? 0 : LowerBound(file, count, f);
        long end = to is not { } t || t >= header.Last ? count : LowerBound(file, count, t + 1);
        return (start, end);
    }

    /// <summary>Deletes dataset <paramref name="id"/>; false when there was none.</summary>
    public bool Delete(string id)
    {
        var path = PathOf(id);
        lock (_write)
        {
            if (!File.Exists(path)) return false;
            File.Delete(path);
            return true;
        }
    }

    /// <summary>
    /// Adds bars after the last one of dataset <paramref name="id"/>: in increasing time order, all later than its
    /// last bar, of its symbol and valid, else <see cref="ArgumentException"/> and nothing is written.
    /// Bid/ask are not stored. Rewrites the file (copying the old columns), so append in batches.
    /// </summary>
    public DatasetInfo Append(string id, IEnumerable<MarketData> bars) => Extend(id, bars, atEnd: true);

    /// <summary>Adds bars before the first one of dataset <paramref name="id"/>, on the same terms as <see cref="Append"/>.</summary>
    public DatasetInfo Prepend(string id, IEnumerable<MarketData> bars) => Extend(id, bars, atEnd: false);

    private DatasetInfo Extend(string id, IEnumerable<MarketData> bars, bool atEnd)
    {
        ArgumentNullException.ThrowIfNull(bars);
        var path = PathOf(id);
        lock (_write)
        {
            BarFile.Header old;
            BarFile.Header header;
            using (var file = Open(id, path))
            {
                old = BarFile.ReadHeader(file, path);
                var added = new BarColumns(bars is ICollection<MarketData> c ? c.Count : 1024);
                foreach (var bar in bars)
                {
                    if (!string.Equals(bar.Symbol, old.Symbol, StringComparison.Ordinal))
                        throw new ArgumentException($"Bar at {bar.Timestamp} is for '{bar.Symbol}'; dataset '{id}' holds {old.Symbol}.", nameof(bars));
                    bar.EnsureValid();
                    var previous = added.Count > 0 ? added.Timestamps[added.Count - 1] : atEnd ? old.Last : long.MinValue;
                    if (bar.Timestamp <= previous)
                        throw new ArgumentException(added.Count == 0
                            ? $"Bar at {bar.Timestamp} is not after the last bar of '{id}' ({old.Last}); bars are never overwritten or reordered."
                            : $"Bars must be in increasing time order: {bar.Timestamp} follows {previous}.", nameof(bars));
                    if (!atEnd && bar.Timestamp >= old.First)
                        throw new ArgumentException($"Bar at {bar.Timestamp} is not before the first bar of '{id}' ({old.First}); bars are never overwritten or reordered.", nameof(bars));
                    added.Add(bar.Timestamp, bar.Open, bar.High, bar.Low, bar.Close, bar.Volume);
                }
                if (added.Count == 0) return Info(id, old);
                if (old.Count + added.Count > Array.MaxLength) throw new InvalidOperationException($"Dataset '{id}' would exceed {Array.MaxLength} bars.");

                var block = added.ToSeries(old.Symbol, old.Interval);
                var (gaps, missing) = CountGaps(block.Timestamps, old.Interval);
                var junction = atEnd
                    ? KlineIntervals.MissingBetween(old.Last, block.FirstTimestamp, old.Interval)
                    : KlineIntervals.MissingBetween(block.LastTimestamp, old.First, old.Interval);
                header = new BarFile.Header(old.Symbol, old.Interval, old.Count + block.Count,
                    atEnd ? old.First : block.FirstTimestamp, atEnd ? block.LastTimestamp : old.Last,
                    old.Gaps + gaps + (junction > 0 ? 1 : 0), old.MissingBars + missing + junction);
                var copy = new byte[1 << 20];
                WriteAtomically(path, header, stream =>
                {
                    for (var column = 0; column < BarFile.Columns; column++)
                    {
                        var fresh = column switch
                        {
                            0 => MemoryMarshal.AsBytes(block.Timestamps),
                            1 => MemoryMarshal.AsBytes(block.Open),
                            2 => MemoryMarshal.AsBytes(block.High),
                            3 => MemoryMarshal.AsBytes(block.Low),
                            4 => MemoryMarshal.AsBytes(block.Close),
                            _ => MemoryMarshal.AsBytes(block.Volume),
                        };
                        if (!atEnd) stream.Write(fresh);
                        BarFile.CopyRange(file, BarFile.Offset(old.Count, column, 0), old.Count * 8, stream, copy);
                        if (atEnd) stream.Write(fresh);
                    }
                });
            }
            return Info(id, header);
        }
    }

    private void WriteAtomically(string path, BarFile.Header header, Action<FileStream> writeColumns)
    {
        // Hidden and not *.bars: List never shows a temp file, complete or not.
        var temp = Path.Combine(Directory, $".{Path.GetFileNameWithoutExtension(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                BarFile.WriteHeader(stream, header);
                writeColumns(stream);
                stream.Flush(flushToDisk: true);
            }
            BeforeRename?.Invoke(temp);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } // the original error matters more
            throw;
        }
    }

    private static long LowerBound(SafeFileHandle file, long count, long value)
    {
        long lo = 0, hi = count;
        while (lo < hi)
        {
            var mid = lo + (hi - lo) / 2;
            if (BarFile.ReadTimestamp(file, count, mid) < value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    internal static (long Gaps, long Missing) CountGaps(ReadOnlySpan<long> timestamps, string interval)
    {
        var intervalMs = KlineIntervals.ToMilliseconds(interval);
        long gaps = 0, missing = 0;
        for (var i = 1; i < timestamps.Length; i++)
        {
            var m = KlineIntervals.MissingBetween(timestamps[i - 1], timestamps[i], interval, intervalMs);
            if (m == 0) continue;
            gaps++;
            missing += m;
        }
        return (gaps, missing);
    }

    private static SafeFileHandle Open(string id, string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new KeyNotFoundException($"Dataset '{id}' does not exist.");
        }
    }

    private static DatasetInfo ReadInfo(string id, string path)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        return Info(id, BarFile.ReadHeader(file, path));
    }

    private static DatasetInfo Info(string id, BarFile.Header h) =>
        new(id, h.Symbol, h.Interval, h.First, h.Last, (int)h.Count, (int)Math.Min(int.MaxValue, h.Gaps), h.MissingBars);

    private string PathOf(string id)
    {
        if (!IsValidId(id)) throw new ArgumentException(InvalidId(id), nameof(id));
        var path = Path.Combine(Directory, id + BarFile.Extension);
        // The rule above already keeps ids inside; this guards against a future change to it.
        if (!string.Equals(Path.GetDirectoryName(Path.GetFullPath(path)), Directory, StringComparison.Ordinal))
            throw new ArgumentException(InvalidId(id), nameof(id));
        return path;
    }

    private static string InvalidId(string? id) =>
        $"Dataset id '{id}' is not valid: 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit.";
}
