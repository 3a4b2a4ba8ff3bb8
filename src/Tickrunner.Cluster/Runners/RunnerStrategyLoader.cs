using Microsoft.Extensions.Options;
using Tickrunner.Engine.Strategies;

namespace Tickrunner.Cluster.Runners;

/// <summary>Loads a runner's strategy on the silo its grain is on: from the code in its definition, or by name from the catalog.</summary>
public sealed class RunnerStrategyLoader(IOptions<TickrunnerClusterOptions> options)
{
    private readonly Lazy<StrategyCatalog> _catalog = new(() =>
        new StrategyCatalog(options.Value.StrategiesDirectory, new DirectoryStrategyStore(options.Value.UploadedStrategiesDirectory)));

    /// <summary>A new Lua state running <paramref name="spec"/>'s strategy; <paramref name="log"/> receives what it prints.</summary>
    /// <exception cref="StrategyNotFoundException">No such strategy.</exception>
    /// <exception cref="StrategyLoadException">It does not load (with the line).</exception>
    public LuaStrategy Load(RunnerSpec spec, Action<string>? log = null)
    {
        if (spec.StrategyCode is { } code)
            return LuaStrategy.FromCode(spec.StrategyName ?? RunnerSpec.InlineStrategyName, code, _catalog.Value.Options, log);
        return _catalog.Value.Load(spec.StrategyName ?? "", log);
    }
}
