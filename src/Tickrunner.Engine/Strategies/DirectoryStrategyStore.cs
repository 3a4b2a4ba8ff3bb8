namespace Tickrunner.Engine.Strategies;

/// <summary>Uploaded strategies as <c>name.lua</c> files in one directory; writes are atomic (temp file + rename).</summary>
public sealed class DirectoryStrategyStore : IStrategyStore
{
    private readonly string _directory;
    private readonly Lock _gate = new();

    /// <summary>Uses (and creates) <paramref name="directory"/>.</summary>
    public DirectoryStrategyStore(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(_directory);
    }

    /// <inheritdoc />
    public IReadOnlyList<StoredStrategy> List()
    {
        lock (_gate)
        {
            return Directory.EnumerateFiles(_directory, "*.lua")
                .Select(Path.GetFileNameWithoutExtension)
                .Where(StrategyName.IsValid)
                .Select(name => Read(name!))
                .OfType<StoredStrategy>()
                .OrderBy(s => s.Name, StringComparer.Ordinal)
                .ToList();
        }
    }

    /// <inheritdoc />
    public StoredStrategy? Find(string name)
    {
        if (!StrategyName.IsValid(name)) return null;
        lock (_gate) return Read(name);
    }

    /// <inheritdoc />
    public StoredStrategy Save(string name, string code)
    {
        StrategyName.EnsureValid(name);
        ArgumentNullException.ThrowIfNull(code);
        lock (_gate)
        {
            var path = PathOf(name);
            var temp = path + ".tmp";
            File.WriteAllText(temp, code);
            File.Move(temp, path, overwrite: true);
            return Read(name)!;
        }
    }

    /// <inheritdoc />
    public bool Delete(string name)
    {
        if (!StrategyName.IsValid(name)) return false;
        lock (_gate)
        {
            var path = PathOf(name);
            if (!File.Exists(path)) return false;
            File.Delete(path);
            return true;
        }
    }

    private string PathOf(string name) => Path.Combine(_directory, name + ".lua");

    private StoredStrategy? Read(string name)
    {
        var path = PathOf(name);
        return File.Exists(path) ? new StoredStrategy(name, File.ReadAllText(path), File.GetLastWriteTimeUtc(path)) : null;
    }
}
