using Tickrunner.Engine.Strategies;

namespace Tickrunner.Engine.Tests;

public sealed class StrategyCatalogTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tickrunner-catalog-").FullName;
    private readonly StrategyCatalog _catalog;

    public StrategyCatalogTests()
    {
        var shipped = Directory.CreateDirectory(Path.Combine(_root, "shipped")).FullName;
        File.Copy(ExampleStrategyTests.StrategyPath("ema_crossover"), Path.Combine(shipped, "ema_crossover.lua"));
        File.WriteAllText(Path.Combine(shipped, "not a name.lua"), LuaStrategyTests.Empty);
        _catalog = new StrategyCatalog(shipped, new DirectoryStrategyStore(Path.Combine(_root, "uploaded")));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Lists_shipped_and_uploaded_with_source_and_time()
    {
        Assert.Empty(_catalog.Save("my_strategy", LuaStrategyTests.Empty));
        var list = _catalog.List();
        Assert.Equal([("ema_crossover", StrategySource.Shipped), ("my_strategy", StrategySource.Uploaded)], list.Select(s => (s.Name, s.Source)));
        Assert.All(list, s => Assert.True(s.LastModified > 1_600_000_000_000));
        var json = System.Text.Json.JsonSerializer.Serialize(list[1], Wire.WireJson.Options);
        Assert.Matches("""^\{"name":"my_strategy","source":"uploaded","last_modified":\d+\}$""", json);
    }

    [Fact]
    public void Loads_by_name_and_reports_unknown_names()
    {
        using var s = _catalog.Load("ema_crossover");
        Assert.Equal("ema_crossover", s.Name);
        var e = Assert.Throws<StrategyNotFoundException>(() => _catalog.Load("nope"));
        Assert.Contains("no strategy named 'nope'", e.Message);
        Assert.Null(_catalog.Find("../etc/passwd"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("../escape")]
    [InlineData("dots.lua")]
    [InlineData("x2345678901234567890123456789012345678901234567890123456789012345")]
    public void Invalid_names_are_rejected_with_the_rule(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => _catalog.Save(name, LuaStrategyTests.Empty));
        Assert.Contains("1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'", e.Message);
    }

    [Fact]
    public void Code_with_errors_is_not_saved()
    {
        var d = _catalog.Save("broken", "function detect_opportunity(");
        Assert.NotEmpty(d);
        Assert.False(_catalog.Exists("broken"));
    }

    [Fact]
    public void Uploads_can_be_replaced_and_deleted_but_shipped_ones_cannot()
    {
        _catalog.Save("mine", LuaStrategyTests.Empty);
        _catalog.Save("mine", LuaStrategyTests.Empty + "\n-- v2");
        Assert.EndsWith("-- v2", _catalog.Find("mine")!.Code);
        Assert.True(_catalog.Delete("mine"));
        Assert.False(_catalog.Delete("mine"));
        Assert.Throws<StrategyCatalogException>(() => _catalog.Save("ema_crossover", LuaStrategyTests.Empty));
        Assert.Throws<StrategyCatalogException>(() => _catalog.Delete("ema_crossover"));
    }
}
