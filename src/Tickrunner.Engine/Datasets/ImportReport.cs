namespace Tickrunner.Engine.Datasets;

/// <summary>What an import found: rows, the interval, gaps, duplicates and rows out of order (lists capped, counts complete).</summary>
public sealed record ImportReport
{
    /// <summary>How many entries each list keeps; the counts go on.</summary>
    public const int MaxListed = 100;

    /// <summary>The file name the report is about.</summary>
    public required string FileName { get; init; }
    /// <summary><c>binance</c> (Binance kline columns by position) or <c>header</c> (columns found by name).</summary>
    public required string Format { get; init; }
    /// <summary>The field separator used.</summary>
    public required char Separator { get; init; }
    /// <summary>The symbol of the bars; empty when none could be found (the import then fails).</summary>
    public required string Symbol { get; init; }
    /// <summary>The interval of the bars; empty when none could be found (the import then fails).</summary>
    public required string Interval { get; init; }
    /// <summary>Where the interval came from: <c>given</c>, <c>inferred</c> (most common step) or <c>file name</c>.</summary>
    public required string IntervalSource { get; init; }
    /// <summary>Data rows read (blank lines and the header not counted).</summary>
    public required int Rows { get; init; }
    /// <summary>Bars kept.</summary>
    public required int Bars { get; init; }
    /// <summary>Time of the first bar kept (Unix ms), or null.</summary>
    public long? First { get; init; }
    /// <summary>Time of the last bar kept (Unix ms), or null.</summary>
    public long? Last { get; init; }
    /// <summary>Steps longer than the interval.</summary>
    public required IReadOnlyList<DatasetGap> Gaps { get; init; }
    /// <summary>Number of gaps.</summary>
    public required int GapCount { get; init; }
    /// <summary>Bars missing in all gaps together.</summary>
    public required long MissingBars { get; init; }
    /// <summary>Rows with the same time as the bar before them.</summary>
    public required IReadOnlyList<RowIssue> Duplicates { get; init; }
    /// <summary>Number of duplicate rows.</summary>
    public required int DuplicateCount { get; init; }
    /// <summary>Duplicates identical to the bar before them that were dropped (<see cref="DatasetImportOptions.DropExactDuplicates"/>).</summary>
    public required int DroppedDuplicates { get; init; }
    /// <summary>Rows earlier than a row above them.</summary>
    public required IReadOnlyList<RowIssue> OutOfOrder { get; init; }
    /// <summary>Number of out-of-order rows.</summary>
    public required int OutOfOrderCount { get; init; }
    /// <summary>Things worth a look that do not stop the import (e.g. a given interval unlike the data's steps).</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>True when nothing stops the import: no out-of-order rows and no duplicates that were kept.</summary>
    public bool Accepted => OutOfOrderCount == 0 && DuplicateCount == DroppedDuplicates;
}

/// <summary>A step longer than the interval: the bar at <see cref="From"/> is followed by the one at <see cref="To"/> (on <see cref="Line"/>).</summary>
public sealed record DatasetGap(int Line, long From, long To, long Missing);

/// <summary>A row that breaks the time order: its line and time, and the line and time of the bar it collides with or precedes.</summary>
public sealed record RowIssue(int Line, long Timestamp, int PreviousLine, long PreviousTimestamp, string Problem);
