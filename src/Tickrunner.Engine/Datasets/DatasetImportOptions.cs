namespace Tickrunner.Engine.Datasets;

/// <summary>How to read a CSV file into bars and which dataset to store them as.</summary>
public sealed class DatasetImportOptions
{
    /// <summary>The symbol; when null, a <c>symbol</c> column or a Binance file name (<c>BTCUSDT-1m-2024-01.csv</c>) names it.</summary>
    public string? Symbol { get; set; }

    /// <summary>The interval (1s … 1M); when null, the most common step between bars, else a Binance file name.</summary>
    public string? Interval { get; set; }

    /// <summary>The dataset id; when null, <see cref="DatasetStore.DefaultId"/> of the symbol and interval.</summary>
    public string? Id { get; set; }

    /// <summary>Replace a dataset with the same id; otherwise importing over one fails.</summary>
    public bool Overwrite { get; set; }

    /// <summary>Drop a row identical (time and every value) to the row before it instead of refusing the file.</summary>
    public bool DropExactDuplicates { get; set; }
}
