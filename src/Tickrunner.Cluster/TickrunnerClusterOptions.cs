using Tickrunner.Engine.Feeds;

namespace Tickrunner.Cluster;

/// <summary>The cluster mode's knobs, bound from the configuration section <c>Cluster</c> (docs/guides/cluster.md).</summary>
/// <remarks>Named apart from Orleans' own <c>ClusterOptions</c> (cluster and service ids), which a silo also needs.</remarks>
public sealed class TickrunnerClusterOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Cluster";

    /// <summary>Whether the host runs runners on a cluster; false (the default) keeps the single-process engine and starts no silo.</summary>
    public bool Enabled { get; set; }

    /// <summary>The SQLite file every silo on the machine shares for runner state.</summary>
    public string StoragePath { get; set; } = "data/cluster.db";

    /// <summary>The shipped strategies a runner can name.</summary>
    public string StrategiesDirectory { get; set; } = "strategies";

    /// <summary>Where uploaded strategies are kept as <c>name.lua</c> files (created when missing).</summary>
    public string UploadedStrategiesDirectory { get; set; } = "data/strategies";

    /// <summary>The dataset directory every silo shares (the server's <c>DataDirectory</c>/datasets): optimization trials read their bars there.</summary>
    public string DataDirectory { get; set; } = "data/datasets";

    /// <summary>How often each silo pings the defined runners so that those of a dead silo come back elsewhere, in milliseconds.</summary>
    public int KeepAliveIntervalMs { get; set; } = 1000;

    /// <summary>Closed trades a runner keeps in its stored state (the newest ones); the count of all of them is kept apart.</summary>
    public int TradeHistorySize { get; set; } = 1000;

    /// <summary>Bars a runner's queue on its silo holds while its previous call runs; beyond it the oldest are dropped and counted.</summary>
    public int InboxCapacity { get; set; } = 1024;

    /// <summary>Most bars one call to a runner carries (a long queue goes in several calls, so commands get a turn between them).</summary>
    public int MaxBarsPerCall { get; set; } = 256;

    /// <summary>How long a silo's feed waits before subscribing again after its source failed, in milliseconds.</summary>
    public int FeedRetryDelayMs { get; set; } = 1000;

    /// <summary>Events each silo's hub keeps for clients that reconnect or page back (the engine hub's history).</summary>
    public int EventHistorySize { get; set; } = 10_000;

    /// <summary>Events queued for each other silo; past it the oldest are dropped and counted.</summary>
    public int EventRelayCapacity { get; set; } = 65_536;

    /// <summary>Most events one call to another silo carries.</summary>
    public int EventRelayBatch { get; set; } = 1_024;

    /// <summary>How often a silo tells the others which runners its subscribers watch (when it changed), in milliseconds.</summary>
    public int EventInterestIntervalMs { get; set; } = 250;

    /// <summary>The simulated market each silo streams when the host gives no feed of its own.</summary>
    public SimulatedFeedOptions SimulatedFeed { get; set; } = new();

    /// <summary>What is wrong with these options, or an empty list.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(StoragePath)) problems.Add("Cluster:StoragePath is required.");
        if (KeepAliveIntervalMs is < 50 or > 60_000) problems.Add($"Cluster:KeepAliveIntervalMs must be between 50 and 60000, got {KeepAliveIntervalMs}.");
        if (TradeHistorySize is < 1 or > 100_000) problems.Add($"Cluster:TradeHistorySize must be between 1 and 100000, got {TradeHistorySize}.");
        if (InboxCapacity is < 1 or > 1_000_000) problems.Add($"Cluster:InboxCapacity must be between 1 and 1000000, got {InboxCapacity}.");
        if (MaxBarsPerCall is < 1 or > 100_000) problems.Add($"Cluster:MaxBarsPerCall must be between 1 and 100000, got {MaxBarsPerCall}.");
        if (FeedRetryDelayMs is < 0 or > 60_000) problems.Add($"Cluster:FeedRetryDelayMs must be between 0 and 60000, got {FeedRetryDelayMs}.");
        if (EventHistorySize is < 1 or > 10_000_000) problems.Add($"Cluster:EventHistorySize must be between 1 and 10000000, got {EventHistorySize}.");
        if (EventRelayCapacity is < 1 or > 10_000_000) problems.Add($"Cluster:EventRelayCapacity must be between 1 and 10000000, got {EventRelayCapacity}.");
        if (EventRelayBatch is < 1 or > 100_000) problems.Add($"Cluster:EventRelayBatch must be between 1 and 100000, got {EventRelayBatch}.");
        if (EventInterestIntervalMs is < 10 or > 60_000) problems.Add($"Cluster:EventInterestIntervalMs must be between 10 and 60000, got {EventInterestIntervalMs}.");
        return problems;
    }
}
