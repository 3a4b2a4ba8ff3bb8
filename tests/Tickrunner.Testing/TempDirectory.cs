namespace Tickrunner.Testing;

/// <summary>A fresh directory under the system's temp folder, deleted (with SQLite's pooled connections closed first) on dispose.</summary>
public sealed class TempDirectory(string prefix) : IDisposable
{
    /// <summary>The directory's full path.</summary>
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>The path, so the directory goes wherever a path does.</summary>
    public static implicit operator string(TempDirectory directory) => directory.Path;

    /// <inheritdoc />
    public override string ToString() => Path;

    /// <inheritdoc />
    public void Dispose() => Delete(Path);

    /// <summary>Deletes <paramref name="path"/> as well as it can: a pooled SQLite connection would keep the database file open.</summary>
    public static void Delete(string path)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(path, recursive: true); } catch (IOException) { }
    }
}
