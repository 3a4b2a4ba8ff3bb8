namespace Tickrunner.Server.Clustering;

/// <summary>
/// How this server joins the cluster when <c>Cluster:Enabled</c> is true, bound from <c>Cluster:Node</c>: its silo and gateway
/// ports, the silo that keeps the membership on one machine, and the ids every node of one cluster shares.
/// </summary>
public sealed class ClusterNodeOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Cluster:Node";

    /// <summary>Where the cluster's membership is kept: <c>localhost</c> (in the primary node, one machine) or <c>redis</c> (<see cref="Redis"/>).</summary>
    public string Clustering { get; set; } = "localhost";

    /// <summary>The Redis server keeping the membership when <see cref="Clustering"/> is <c>redis</c> (StackExchange.Redis' format, e.g. <c>redis1:6379,password=…</c>).</summary>
    public string? Redis { get; set; }

    /// <summary>The IP address the other nodes reach this one at (with <c>redis</c>; <c>localhost</c> clustering is on loopback).</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>The port silos talk to each other on.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The port Orleans clients connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The silo port of the node that keeps the membership (localhost clustering); null: this node is that one.</summary>
    public int? PrimarySiloPort { get; set; }

    /// <summary>The cluster's id: nodes with the same one form one cluster.</summary>
    public string ClusterId { get; set; } = "tickrunner";

    /// <summary>The service's id: stays the same across deployments, as stored state is keyed by it.</summary>
    public string ServiceId { get; set; } = "tickrunner";

    /// <summary>Whether the membership is in Redis.</summary>
    public bool IsRedis => string.Equals(Clustering, "redis", StringComparison.OrdinalIgnoreCase);

    /// <summary>What is wrong with these options, or an empty list.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (SiloPort is < 1 or > 65535) problems.Add($"Cluster:Node:SiloPort must be a port between 1 and 65535, got {SiloPort}.");
        if (GatewayPort is < 1 or > 65535) problems.Add($"Cluster:Node:GatewayPort must be a port between 1 and 65535, got {GatewayPort}.");
        if (PrimarySiloPort is < 1 or > 65535) problems.Add($"Cluster:Node:PrimarySiloPort must be a port between 1 and 65535, got {PrimarySiloPort}.");
        if (SiloPort == GatewayPort) problems.Add($"Cluster:Node:SiloPort and GatewayPort must differ (both {SiloPort}).");
        if (!IsRedis && !string.Equals(Clustering, "localhost", StringComparison.OrdinalIgnoreCase))
            problems.Add($"Cluster:Node:Clustering must be localhost or redis, got '{Clustering}'.");
        if (IsRedis && string.IsNullOrWhiteSpace(Redis)) problems.Add("Cluster:Node:Redis (the Redis server's connection string) is required with Cluster:Node:Clustering=redis.");
        if (IsRedis && PrimarySiloPort is not null) problems.Add("Cluster:Node:PrimarySiloPort is for localhost clustering; with redis every node is equal: remove it.");
        if (!System.Net.IPAddress.TryParse(Address, out _)) problems.Add($"Cluster:Node:Address must be an IP address, got '{Address}'.");
        if (string.IsNullOrWhiteSpace(ClusterId)) problems.Add("Cluster:Node:ClusterId is required.");
        if (string.IsNullOrWhiteSpace(ServiceId)) problems.Add("Cluster:Node:ServiceId is required.");
        return problems;
    }
}
