using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Tickrunner.Engine.Feeds;

namespace Tickrunner.Engine.Datasets;

/// <summary>
/// Reads bar CSV files into a <see cref="BarSeries"/>: Binance kline exports (with or without a header) and OHLCV
/// exports whose header names a time column and open, high, low, close, volume; <c>.gz</c> files are unpacked.
/// </summary>
/// <remarks>
/// Rows are never reordered: a row earlier than the one above it, or a second row for the same time, makes the
/// file refused with a <see cref="DatasetImportException"/> whose report lists them (exact duplicates can be
/// dropped instead, <see cref="DatasetImportOptions.DropExactDuplicates"/>). Gaps are only reported.
/// A malformed row throws <see cref="CsvFormatException"/> naming the line, the column and the value.
/// </remarks>
public static partial class BarCsvReader
{
    /// <summary>Header names accepted for the time column, in order of preference (case, spaces and dashes do not matter).</summary>
    public static IReadOnlyList<string> TimeColumns { get; } = ["open_time", "timestamp", "unix", "datetime", "date_time", "date", "time", "ts"];

    private static readonly string[] PriceColumns = ["open", "high", "low", "close", "volume"];
    private const string TimeFormats = "a date (2024-01-15), a date and time (2024-01-15 13:45:00, ISO-8601 with or without an offset) or Unix seconds/milliseconds";

    // Roles of a column in a row.
    private const byte Ignore = 0, Time = 1, Open = 2, High = 3, Low = 4, Close = 5, Volume = 6, SymbolRole = 7;

    /// <summary>Reads the file at <paramref name="path"/> (gzip when it ends in .gz or starts with the gzip magic).</summary>
    public static CsvBars Read(string path, DatasetImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"CSV file '{path}' does not exist.", path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Read(file, path, options);
    }

    /// <summary>Reads <paramref name="csv"/>; <paramref name="fileName"/> names it in errors and may name the symbol and interval.</summary>
    public static CsvBars Read(Stream csv, string fileName, DatasetImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        options ??= new DatasetImportOptions();
        if (options.Symbol is not null && !DatasetStore.IsValidSymbol(options.Symbol))
            throw new ArgumentException($"Symbol '{options.Symbol}' is not valid: 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit.", nameof(options));
        if (options.Interval is not null && !KlineIntervals.IsValid(options.Interval))
            throw new ArgumentException($"Interval '{options.Interval}' is not one of {string.Join(", ", KlineIntervals.All)}.", nameof(options));

        var gzip = fileName.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) || StartsWithGzipMagic(csv);
        using var source = gzip ? new GZipStream(csv, CompressionMode.Decompress, leaveOpen: true) : null;
        using var text = new StreamReader(source ?? csv, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16, leaveOpen: true);
        try
        {
            return Parse(new LineReader(text), fileName, options);
        }
        catch (InvalidDataException bad) when (gzip)
        {
            throw new CsvFormatException(fileName, 0, null, null, $"the gzip data is damaged ({bad.Message})");
        }
    }

    private static bool StartsWithGzipMagic(Stream stream)
    {
        if (!stream.CanSeek) return false;
        var position = stream.Position;
        Span<byte> magic = stackalloc byte[2];
        var n = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = position;
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    private sealed class Layout
    {
        public required byte[] Roles;      // role of each column up to the last one read
        public required string[] Names;    // column names as the file spells them (for messages)
        public required bool BinanceTime;  // integer times follow CsvKlineReader's rule (ms, µs or ns), not seconds-or-ms
        public required string Format;
        public int MaxColumn => Roles.Length - 1;
        public int ColumnOf(byte role) => Array.IndexOf(Roles, role);
    }

    private static CsvBars Parse(LineReader lines, string fileName, DatasetImportOptions options)
    {
        var (nameSymbol, nameInterval) = FromFileName(fileName);
        ReadOnlySpan<char> line;
        do
        {
            if (!lines.TryRead(out line)) throw NoRows(fileName);
        } while (line.IsWhiteSpace());

        var separator = DetectSeparator(line);
        var firstField = Field(line, separator, 0);
        var header = !TryParseTime(firstField, binanceRule: true, out _);
        var layout = header ? FromHeader(line, separator, fileName, lines.LineNumber) : BinanceLayout();
        var symbolColumn = options.Symbol is null ? layout.ColumnOf(SymbolRole) : -1;
        string? symbol = options.Symbol;
        string? rawSymbol = null; // the symbol column's first value; every row must repeat it
        var symbolForChecks = symbol ?? nameSymbol ?? "?";

        var columns = new BarColumns(4096);
        var lineNumbers = new List<int>(4096);
        var duplicates = new List<RowIssue>();
        var outOfOrder = new List<RowIssue>();
        int rows = 0, duplicateCount = 0, dropped = 0, outOfOrderCount = 0, lastLine = 0;
        var roles = layout.Roles;
        var maxColumn = layout.MaxColumn;
        var pending = !header; // the first line is already a data row

        while (pending || lines.TryRead(out line))
        {
            pending = false;
            if (line.IsWhiteSpace()) continue;
            var lineNumber = lines.LineNumber;
            rows++;

            long time = 0;
            double open = 0, high = 0, low = 0, close = 0, volume = 0;
            int column = 0, position = 0;
            while (true)
            {
                var length = line[position..].IndexOf(separator);
                var field = Clean(length < 0 ? line[position..] : line.Slice(position, length));
                switch (roles[column])
                {
                    case Time:
                        if (!TryParseTime(field, layout.BinanceTime, out time))
                            throw new CsvFormatException(fileName, lineNumber, column + 1, layout.Names[column],
                                layout.BinanceTime && !header
                                    ? $"'{field}' is not a Unix timestamp"
                                    : $"'{field}' is not a time: expected {TimeFormats}");
                        break;
                    case Open: open = Number(field, column); break;
                    case High: high = Number(field, column); break;
                    case Low: low = Number(field, column); break;
                    case Close: close = Number(field, column); break;
                    case Volume: volume = Number(field, column); break;
                    case SymbolRole when column == symbolColumn:
                        if (rawSymbol is null)
                        {
                            rawSymbol = field.ToString();
                            symbol = NormalizeSymbol(rawSymbol) ?? throw new CsvFormatException(fileName, lineNumber, column + 1,
                                layout.Names[column], $"'{rawSymbol}' is not a symbol (letters, digits, '.', '_', '-'); give the symbol instead");
                            symbolForChecks = symbol;
                        }
                        else if (!field.SequenceEqual(rawSymbol))
                        {
                            throw new CsvFormatException(fileName, lineNumber, column + 1, layout.Names[column],
                                $"'{field}' differs from '{rawSymbol}' above; a dataset holds one symbol");
                        }
                        break;
                }
                column++;
                if (length < 0 || column > maxColumn) break;
                position += length + 1;
            }
            if (column <= maxColumn)
            {
                var missing = column;
                while (roles[missing] == Ignore) missing++;
                throw new CsvFormatException(fileName, lineNumber, missing + 1, layout.Names[missing],
                    $"the row has {column} column(s); {maxColumn + 1} are needed (up to {layout.Names[maxColumn]})");
            }

            // The same expression as CsvKlineReader, so validation sees the bar the replay feed would.
            var bar = new MarketData(symbolForChecks, time, open, high, low, close, volume,
                close * (1 - CsvKlineReader.HalfSpread), close * (1 + CsvKlineReader.HalfSpread));
            if (bar.Validate() is { } error)
            {
                var at = error.Field switch
                {
                    "timestamp" => layout.ColumnOf(Time),
                    "open" => layout.ColumnOf(Open),
                    "high" => layout.ColumnOf(High),
                    "low" => layout.ColumnOf(Low),
                    "volume" => layout.ColumnOf(Volume),
                    _ => layout.ColumnOf(Close), // close, and bid/ask which derive from it
                };
                throw new CsvFormatException(fileName, lineNumber, at + 1, layout.Names[at], error.Message);
            }

            var count = columns.Count;
            if (count > 0)
            {
                var last = columns.Timestamps[count - 1];
                if (time == last)
                {
                    var exact = open == columns.Open[count - 1] && high == columns.High[count - 1] && low == columns.Low[count - 1]
                        && close == columns.Close[count - 1] && volume == columns.Volume[count - 1];
                    duplicateCount++;
                    if (exact && options.DropExactDuplicates) dropped++;
                    if (duplicates.Count < ImportReport.MaxListed)
                        duplicates.Add(new RowIssue(lineNumber, time, lastLine, last, exact
                            ? $"same time and values as line {lastLine}"
                            : $"same time as line {lastLine} with different values"));
                    continue;
                }
                if (time < last)
                {
                    outOfOrderCount++;
                    if (outOfOrder.Count < ImportReport.MaxListed)
                        outOfOrder.Add(new RowIssue(lineNumber, time, lastLine, last, $"earlier than line {lastLine}"));
                    continue;
                }
            }
            columns.Add(time, open, high, low, close, volume);
            lineNumbers.Add(lineNumber);
            lastLine = lineNumber;
        }
        if (rows == 0) throw NoRows(fileName);

        symbol ??= nameSymbol;
        var series = columns.Count; // bars kept
        var timestamps = columns.Timestamps.AsSpan(0, series);
        var warnings = new List<string>();
        var step = KlineIntervals.MostCommonStep(timestamps);
        var stepName = step is { } s ? KlineIntervals.FromMilliseconds(s) : null;
        string? interval = null, source = null, intervalProblem = null;
        if (options.Interval is { } given)
        {
            (interval, source) = (given, "given");
            if (step is { } st && stepName != given)
                warnings.Add($"the most common step between bars is {Describe(st)}, but the interval given is {given}");
        }
        else if (stepName is not null) (interval, source) = (stepName, "inferred");
        else if (nameInterval is not null) (interval, source) = (nameInterval, "file name");
        else
        {
            intervalProblem = step is { } st
                ? $"{fileName}: the most common step between bars is {Describe(st)}, which is not a Binance interval ({string.Join(", ", KlineIntervals.All)}); give the interval"
                : $"{fileName}: the interval cannot be inferred from a single bar; give the interval";
        }
        if (nameInterval is not null && source == "inferred" && nameInterval != interval)
            warnings.Add($"the file name says {nameInterval}, but the bars are {interval} apart");

        var gaps = new List<DatasetGap>();
        int gapCount = 0;
        long missingBars = 0;
        var intervalMs = interval is null ? 0 : KlineIntervals.ToMilliseconds(interval);
        for (var i = 1; i < timestamps.Length && interval is not null; i++)
        {
            var missing = KlineIntervals.MissingBetween(timestamps[i - 1], timestamps[i], interval, intervalMs);
            if (missing == 0) continue;
            gapCount++;
            missingBars += missing;
            if (gaps.Count < ImportReport.MaxListed) gaps.Add(new DatasetGap(lineNumbers[i], timestamps[i - 1], timestamps[i], missing));
        }

        var report = new ImportReport
        {
            FileName = fileName,
            Format = layout.Format,
            Separator = separator,
            Symbol = symbol ?? "",
            Interval = interval ?? "",
            IntervalSource = source ?? "",
            Rows = rows,
            Bars = series,
            First = series > 0 ? timestamps[0] : null,
            Last = series > 0 ? timestamps[^1] : null,
            Gaps = gaps,
            GapCount = gapCount,
            MissingBars = missingBars,
            Duplicates = duplicates,
            DuplicateCount = duplicateCount,
            DroppedDuplicates = dropped,
            OutOfOrder = outOfOrder,
            OutOfOrderCount = outOfOrderCount,
            Warnings = warnings,
        };
        // Order problems first: they say the most about the file, and a wrong interval may follow from them.
        if (!report.Accepted) throw new DatasetImportException(Refusal(report), report);
        if (intervalProblem is not null) throw new DatasetImportException(intervalProblem, report);
        if (symbol is null)
            throw new DatasetImportException($"{fileName}: no symbol given, no symbol column and the file name is not SYMBOL-interval…; give the symbol", report);
        return new CsvBars(columns.ToSeries(symbol, interval!), report);

        double Number(ReadOnlySpan<char> field, int column)
        {
            if (double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return value;
            throw new CsvFormatException(fileName, lines.LineNumber, column + 1, layout.Names[column], $"'{field}' is not a number");
        }
    }

    private static string Refusal(ImportReport report)
    {
        var text = new StringBuilder($"{report.FileName}: refused, rows are never reordered:");
        if (report.OutOfOrderCount > 0)
            text.Append(CultureInfo.InvariantCulture, $" {report.OutOfOrderCount} row(s) out of order (first: ")
                .AppendJoin(", ", report.OutOfOrder.Take(5).Select(r => $"line {r.Line} at {r.Timestamp} is earlier than line {r.PreviousLine} at {r.PreviousTimestamp}"))
                .Append(')');
        var kept = report.DuplicateCount - report.DroppedDuplicates;
        if (kept > 0)
            text.Append(CultureInfo.InvariantCulture, $"{(report.OutOfOrderCount > 0 ? ";" : "")} {report.DuplicateCount} duplicate time(s) (first: ")
                .AppendJoin(", ", report.Duplicates.Take(5).Select(r => $"line {r.Line}: {r.Problem}"))
                .Append(')')
                .Append(report.Duplicates.Any(d => d.Problem.StartsWith("same time and", StringComparison.Ordinal))
                    ? "; identical duplicates can be dropped with DropExactDuplicates" : "");
        return text.ToString();
    }

    private static string Describe(long ms) => KlineIntervals.FromMilliseconds(ms) ?? ms switch
    {
        _ when ms % 86_400_000 == 0 => $"{ms / 86_400_000}d",
        _ when ms % 3_600_000 == 0 => $"{ms / 3_600_000}h",
        _ when ms % 60_000 == 0 => $"{ms / 60_000}m",
        _ when ms % 1000 == 0 => $"{ms / 1000}s",
        _ => $"{ms} ms",
    };

    private static CsvFormatException NoRows(string fileName) =>
        new(fileName, 0, null, null, "the file has no data rows (expected Binance kline rows: " +
            string.Join(", ", CsvKlineReader.Columns) + ", …, or a header naming a time column and open, high, low, close, volume)");

    private static Layout BinanceLayout() => new()
    {
        Roles = [Time, Open, High, Low, Close, Volume],
        Names = [.. CsvKlineReader.Columns],
        BinanceTime = true,
        Format = "binance",
    };

    private static Layout FromHeader(ReadOnlySpan<char> line, char separator, string fileName, int lineNumber)
    {
        var names = new List<string>();
        // A byte order mark the decoder did not take (e.g. a second one) is not part of the first name.
        foreach (var range in line.Split(separator)) names.Add(Clean(line[range]).Trim('\uFEFF').ToString());
        var normalized = names.Select(n => n.Trim().ToLowerInvariant().Replace(' ', '_').Replace('-', '_')).ToList();

        var timeColumn = -1;
        string? timeName = null;
        foreach (var candidate in TimeColumns)
        {
            timeColumn = normalized.IndexOf(candidate);
            if (timeColumn >= 0) { timeName = candidate; break; }
        }
        var priceColumns = PriceColumns.Select(p => normalized.IndexOf(p)).ToArray();
        var missing = new List<string>();
        if (timeColumn < 0) missing.Add($"a time column (one of {string.Join(", ", TimeColumns)})");
        for (var i = 0; i < PriceColumns.Length; i++)
            if (priceColumns[i] < 0) missing.Add(PriceColumns[i]);
        if (missing.Count > 0)
            throw new CsvFormatException(fileName, lineNumber, null, null,
                $"missing column(s): {string.Join(", ", missing)}; the header has: {string.Join(", ", names)}");

        var symbolColumn = normalized.IndexOf("symbol");
        if (symbolColumn < 0) symbolColumn = normalized.IndexOf("ticker");
        var used = new List<int>(priceColumns) { timeColumn };
        if (symbolColumn >= 0) used.Add(symbolColumn);
        var roles = new byte[used.Max() + 1];
        roles[timeColumn] = Time;
        for (var i = 0; i < priceColumns.Length; i++) roles[priceColumns[i]] = (byte)(Open + i);
        if (symbolColumn >= 0) roles[symbolColumn] = SymbolRole;
        return new Layout
        {
            Roles = roles,
            Names = [.. names.Take(roles.Length)],
            BinanceTime = timeName == "open_time",
            Format = timeName == "open_time" ? "binance" : "header",
        };
    }

    private static char DetectSeparator(ReadOnlySpan<char> line)
    {
        var commas = line.Count(',');
        var semicolons = line.Count(';');
        var tabs = line.Count('\t');
        if (semicolons > commas && semicolons >= tabs) return ';';
        if (tabs > commas) return '\t';
        return ',';
    }

    private static ReadOnlySpan<char> Field(ReadOnlySpan<char> line, char separator, int index)
    {
        foreach (var range in line.Split(separator))
            if (index-- == 0) return Clean(line[range]);
        return [];
    }

    // Surrounding blanks and one pair of double quotes are not part of a value; separators inside quotes are not supported.
    private static ReadOnlySpan<char> Clean(ReadOnlySpan<char> field)
    {
        field = field.Trim();
        if (field.Length >= 2 && field[0] == '"' && field[^1] == '"') field = field[1..^1].Trim();
        return field;
    }

    private static string? NormalizeSymbol(string raw)
    {
        var symbol = raw.Replace("/", "", StringComparison.Ordinal).ToUpperInvariant();
        return DatasetStore.IsValidSymbol(symbol) ? symbol : null;
    }

    private static (string? Symbol, string? Interval) FromFileName(string fileName)
    {
        var name = Path.GetFileName(fileName);
        foreach (var extension in (ReadOnlySpan<string>)[".gz", ".csv", ".zip"])
            if (name.EndsWith(extension, StringComparison.OrdinalIgnoreCase)) name = name[..^extension.Length];
        var match = BinanceFileName().Match(name);
        if (!match.Success) return (null, null);
        var interval = match.Groups["interval"].Value;
        return (NormalizeSymbol(match.Groups["symbol"].Value), interval == "1mo" ? "1M" : interval);
    }

    // Binance's public data files are named SYMBOL-INTERVAL-YYYY-MM(-DD).csv; this store's ids are SYMBOL-INTERVAL.
    [GeneratedRegex(@"^(?<symbol>[A-Za-z0-9]{2,32})-(?<interval>1s|1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1M|1mo)(-.*)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex BinanceFileName();

    /// <summary>Parses a bar time to Unix ms: an integer (see remarks of the guide: seconds, ms, µs or ns by size) or an ISO-8601 date/time (UTC unless it carries an offset).</summary>
    internal static bool TryParseTime(ReadOnlySpan<char> text, bool binanceRule, out long ms)
    {
        ms = 0;
        if (text.IsEmpty) return false;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            if (n < 0) return false;
            ms = binanceRule ? BinanceToMilliseconds(n) : MagnitudeToMilliseconds(n);
            return true;
        }
        if (text.Length >= 10 && text[4] is '-' or '/') return TryParseIso(text, out ms);
        // Unix seconds with a fraction, e.g. 1705312800.5.
        if (!binanceRule && double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            && seconds < 100_000_000_000d)
        {
            ms = (long)Math.Round(seconds * 1000);
            return true;
        }
        return false;
    }

    // Exactly CsvKlineReader's rule: milliseconds unless too large (Binance spot exports use µs since 2025).
    private static long BinanceToMilliseconds(long t) => t switch
    {
        >= 100_000_000_000_000_000 => t / 1_000_000,
        >= 100_000_000_000_000 => t / 1_000,
        _ => t,
    };

    // Below 1e11 a value is seconds (1e11 ms is only 1973, 1e11 s is the year 5138); then ms, µs, ns.
    private static long MagnitudeToMilliseconds(long t) => t switch
    {
        < 100_000_000_000 => t * 1000,
        < 100_000_000_000_000 => t,
        < 100_000_000_000_000_000 => t / 1_000,
        _ => t / 1_000_000,
    };

    // yyyy-MM-dd or yyyy/MM/dd, then optionally 'T' or ' ' and HH:mm[:ss[.fffffffff]], then optionally Z or ±HH[:mm].
    private static bool TryParseIso(ReadOnlySpan<char> s, out long ms)
    {
        ms = 0;
        var separator = s[4];
        if (!Digits(s, 0, 4, out var year) || s[7] != separator || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day)) return false;
        if (year < 1970 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        int hour = 0, minute = 0, second = 0, millis = 0, offsetMinutes = 0;
        var p = 10;
        if (p < s.Length && s[p] is 'T' or 't' or ' ')
        {
            p++;
            if (!Digits(s, p, 2, out hour) || p + 2 >= s.Length || s[p + 2] != ':' || !Digits(s, p + 3, 2, out minute)) return false;
            p += 5;
            if (p < s.Length && s[p] == ':')
            {
                if (!Digits(s, p + 1, 2, out second)) return false;
                p += 3;
                if (p < s.Length && s[p] is '.' or ',')
                {
                    p++;
                    var start = p;
                    while (p < s.Length && char.IsAsciiDigit(s[p])) p++;
                    var digits = p - start;
                    if (digits is 0 or > 9) return false;
                    for (var i = 0; i < 3; i++) millis = millis * 10 + (i < digits ? s[start + i] - '0' : 0);
                }
            }
            if (hour > 23 || minute > 59 || second > 59) return false;
        }
        if (p < s.Length && s[p] is 'Z' or 'z') p++;
        else if (p < s.Length && s[p] is '+' or '-')
        {
            var sign = s[p] == '-' ? -1 : 1;
            if (!Digits(s, p + 1, 2, out var offsetHours)) return false;
            p += 3;
            var offsetMins = 0;
            if (p < s.Length && s[p] == ':') p++;
            if (p < s.Length)
            {
                if (!Digits(s, p, 2, out offsetMins)) return false;
                p += 2;
            }
            if (offsetHours > 14 || offsetMins > 59) return false;
            offsetMinutes = sign * (offsetHours * 60 + offsetMins);
        }
        if (p != s.Length) return false;
        long days = new DateOnly(year, month, day).DayNumber - UnixEpochDayNumber;
        ms = ((days * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000L + millis;
        return ms >= 0;
    }

    private static readonly int UnixEpochDayNumber = new DateOnly(1970, 1, 1).DayNumber;

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        if (start + count > s.Length) return false;
        for (var i = start; i < start + count; i++)
        {
            var c = s[i];
            if (!char.IsAsciiDigit(c)) return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    /// <summary>Lines of a text reader as spans into one reusable buffer (no string per line).</summary>
    private sealed class LineReader(TextReader reader)
    {
        private char[] _buffer = new char[1 << 16];
        private int _start, _end;
        private bool _eof;

        /// <summary>1-based number of the line last read.</summary>
        public int LineNumber { get; private set; }

        /// <summary>The next line without its line break; valid until the next call.</summary>
        public bool TryRead(out ReadOnlySpan<char> line)
        {
            var searched = 0;
            while (true)
            {
                var pending = _buffer.AsSpan(_start + searched, _end - _start - searched);
                var newline = pending.IndexOf('\n');
                if (newline >= 0)
                {
                    line = TrimCr(_buffer.AsSpan(_start, searched + newline));
                    _start += searched + newline + 1;
                    LineNumber++;
                    return true;
                }
                searched = _end - _start;
                if (_eof)
                {
                    if (_end > _start)
                    {
                        line = TrimCr(_buffer.AsSpan(_start, _end - _start));
                        _start = _end;
                        LineNumber++;
                        return true;
                    }
                    line = default;
                    return false;
                }
                if (_start > 0)
                {
                    _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                    _end -= _start;
                    _start = 0;
                }
                if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
                var read = reader.Read(_buffer, _end, _buffer.Length - _end);
                if (read == 0) _eof = true;
                else _end += read;
            }
        }

        private static ReadOnlySpan<char> TrimCr(ReadOnlySpan<char> line) => line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;
    }
}
