using Tickrunner.Server.Hosting;

namespace Tickrunner.Server.Strategies;

/// <summary>Serializes uploads, replacements and deletions of one strategy name, and creating a runner that uses it.</summary>
public sealed class StrategyLocks : KeyedLock;
