using Tickrunner.Server.Hosting;

namespace Tickrunner.Server.Runners;

/// <summary>
/// Serializes everything that creates, removes or steers one runner id, and the journal's writes for it, so
/// after any interleaving of requests the engine's runners are the database's rows and each acknowledged
/// status is the stored one. Taken by <see cref="RunnerService"/> and the journal only.
/// </summary>
public sealed class RunnerLocks : KeyedLock;
