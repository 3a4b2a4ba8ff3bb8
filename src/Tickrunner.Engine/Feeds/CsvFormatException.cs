namespace Tickrunner.Engine.Feeds;

/// <summary>A CSV file that cannot be replayed; names the file, the 1-based line and, where known, the column.</summary>
public sealed class CsvFormatException(string filePath, int line, int? column, string? columnName, string problem)
    : FormatException(Describe(filePath, line, column, columnName, problem))
{
    /// <summary>The file.</summary>
    public string FilePath { get; } = filePath;
    /// <summary>1-based line number; 0 for problems with the whole file.</summary>
    public int Line { get; } = line;
    /// <summary>1-based column number, if the problem is in one column.</summary>
    public int? Column { get; } = column;
    /// <summary>Name of that column (open_time, open, …).</summary>
    public string? ColumnName { get; } = columnName;
    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; } = problem;

    private static string Describe(string file, int line, int? column, string? name, string problem)
    {
        var where = line > 0 ? $"{file}:{line}" : file;
        if (column is { } c) where += $", column {c}" + (name is null ? "" : $" ({name})");
        return $"{where}: {problem}";
    }
}
