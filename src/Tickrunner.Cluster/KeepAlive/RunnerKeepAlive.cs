using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tickrunner.Cluster.Runners;
using Tickrunner.Cluster.Storage;

namespace Tickrunner.Cluster.KeepAlive;

/// <summary>
/// Keeps every defined runner active: each silo, every <see cref="TickrunnerClusterOptions.KeepAliveIntervalMs"/>, pings the
/// runners stored in the shared table, so that a runner whose silo died is activated again on a live silo.
/// </summary>
/// <remarks>
/// Runners trade on market data, not on calls: nothing else would ever call the runner of a dead silo again, so without a
/// ping it would stay down. Orleans reminders would wake it too, but their period is at least a minute, far from the 5 s a
/// runner may be away; a timer lives in the activation and dies with it. A ping is a call like any other: once membership
/// has declared the silo dead, the directory has no activation for the runner and the call places a new one on a live silo,
/// which restores its stored state. The runners are shared out between the active silos (a stable hash of the id modulo
/// their count, the silos in address order), so each runner gets one ping a round whatever the size of the cluster; when
/// a silo is declared dead, the next round shares its runners out between the others. A silo that does not find itself
/// among the active ones (it is starting, or its view is behind) pings them all, as the first version did: a ping too many
/// costs a call, one too few would leave a runner down. A runner whose previous ping has not answered (its silo not
/// declared dead yet) is skipped, so pings never pile up. While the silos' views of membership differ (a change reaching
/// them one after another), a runner may fall in no silo's share for a round, or in two: it is pinged a round later, or twice.
/// </remarks>
public sealed partial class RunnerKeepAlive(
    IGrainFactory grains, SqliteGrainStorage storage, IClusterMembershipService membership, ILocalSiloDetails silo,
    IOptions<TickrunnerClusterOptions> options, ILogger<RunnerKeepAlive> logger)
    : PeriodicSiloService(logger)
{
    private readonly Dictionary<string, Task> _pending = new(StringComparer.Ordinal);
    private long _rounds;

    /// <summary>Rounds of pings sent so far.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>Runners this silo pinged in its last round (its share).</summary>
    public int LastRoundShare => Volatile.Read(ref _lastShare);
    private int _lastShare;

    /// <inheritdoc />
    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(options.Value.KeepAliveIntervalMs);

    /// <inheritdoc />
    protected override Task RoundAsync(CancellationToken cancellationToken) => PingAllAsync(cancellationToken);

    private async Task PingAllAsync(CancellationToken cancellationToken)
    {
        var ids = await storage.ListKeysAsync(RunnerGrain.GrainTypeName, cancellationToken).ConfigureAwait(false);
        var (index, count) = Share();
        var share = 0;
        foreach (var id in ids)
        {
            if (count > 1 && (int)(StableHash(id) % (uint)count) != index) continue;
            share++;
            if (_pending.TryGetValue(id, out var previous) && !previous.IsCompleted) continue;
            _pending[id] = PingAsync(id);
        }
        Volatile.Write(ref _lastShare, share);
        // Forget runners no longer defined.
        if (_pending.Count > ids.Count)
        {
            var defined = ids.ToHashSet(StringComparer.Ordinal);
            foreach (var id in _pending.Keys.Where(id => !defined.Contains(id)).ToList()) _pending.Remove(id);
        }
        Interlocked.Increment(ref _rounds);
    }

    // This silo's place among the active silos and their count; (0, 1), every runner, when it is not among them.
    private (int Index, int Count) Share()
    {
        var active = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).OrderBy(a => a.ToParsableString(), StringComparer.Ordinal).ToList();
        var index = active.IndexOf(silo.SiloAddress);
        return index < 0 ? (0, 1) : (index, active.Count);
    }

    // FNV-1a over the id's UTF-16 code units: the same on every silo (string.GetHashCode differs between processes).
    internal static uint StableHash(string id)
    {
        var hash = 2166136261u;
        foreach (var c in id)
        {
            hash = (hash ^ (byte)c) * 16777619u;
            hash = (hash ^ (byte)(c >> 8)) * 16777619u;
        }
        return hash;
    }

    private async Task PingAsync(string id)
    {
        try
        {
            await grains.GetGrain<IRunnerGrain>(id).KeepAliveAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Expected while its silo is being declared dead; the next round pings it again.
            LogPingFailed(e, id);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "The keep-alive ping of {RunnerId} failed")]
    private partial void LogPingFailed(Exception e, string runnerId);
}
