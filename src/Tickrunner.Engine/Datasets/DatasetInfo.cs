namespace Tickrunner.Engine.Datasets;

/// <summary>One stored dataset: id, symbol, interval, time span (Unix ms, open times of the first and last bar), bars and gaps.</summary>
public sealed record DatasetInfo(string Id, string Symbol, string Interval, long First, long Last, int Bars, int Gaps, long MissingBars);

/// <summary>The stored dataset and what the import found.</summary>
public sealed record ImportResult(DatasetInfo Dataset, ImportReport Report);

/// <summary>Bars read from a CSV file and what was found in it.</summary>
public sealed record CsvBars(BarSeries Series, ImportReport Report);
