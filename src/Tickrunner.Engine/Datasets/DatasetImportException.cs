namespace Tickrunner.Engine.Datasets;

/// <summary>A file that was read but cannot become a dataset (rows out of order, duplicates, no interval); carries the report.</summary>
public sealed class DatasetImportException(string message, ImportReport? report = null) : Exception(message)
{
    /// <summary>What the import found, when the file was read to the end.</summary>
    public ImportReport? Report { get; } = report;
}
