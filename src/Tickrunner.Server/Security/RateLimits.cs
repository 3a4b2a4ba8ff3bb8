using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Tickrunner.Server.Security;

/// <summary>
/// The rate limits on ASP.NET Core's rate limiter: a global token bucket for every request that reaches the endpoints
/// and named policies that endpoints opt into with <c>RequireRateLimiting(RateLimits.Uploads)</c>. Each is kept per
/// API key when the request is authenticated and per client address otherwise; a refusal is 429 problem+json with
/// <c>Retry-After</c> and a detail naming the limit, its rate and its setting.
/// </summary>
public static class RateLimits
{
    /// <summary>The policy for <c>POST /api/auth/login</c>.</summary>
    public const string Login = "login";

    /// <summary>The policy for strategy and dataset uploads and dataset downloads.</summary>
    public const string Uploads = "uploads";

    /// <summary>The policy for creating backtests (and optimizations).</summary>
    public const string Jobs = "jobs";

    /// <summary>The policy for <c>/ws</c>: open connections per key or address, held for the socket's lifetime.</summary>
    public const string WebSockets = "websockets";

    private const string Section = TickrunnerOptions.Section + ":RateLimits";

    /// <summary>Registers the limiter and its policies; with <see cref="RateLimitOptions.Enabled"/> off the policies exist but never refuse.</summary>
    public static IServiceCollection AddTickrunnerRateLimits(this IServiceCollection services, RateLimitOptions limits)
    {
        var problems = limits.Api.Problems(Section + ":Api")
            .Concat(limits.Login.Problems(Section + ":Login"))
            .Concat(limits.Uploads.Problems(Section + ":Uploads"))
            .Concat(limits.Jobs.Problems(Section + ":Jobs"))
            .Concat(limits.WebSockets.Problems(Section + ":WebSockets"))
            .ToList();
        if (problems.Count > 0) throw new InvalidOperationException("Invalid rate limits: " + string.Join(" ", problems));

        return services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            if (limits.Enabled)
            {
                var api = limits.Api.ToLimiterOptions();
                Func<string, TokenBucketRateLimiterOptions> apiBucket = _ => api; // made once, not once per request
                options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    RateLimitPartition.GetTokenBucketLimiter(ClientKey(context), apiBucket));
                // The global limiter's refusals come here; each policy below answers its own.
                options.OnRejected = Refusal("api", "requests", limits.Api.Describe(), "Api", null);
            }
            options.AddPolicy(Login, Bucket(limits.Enabled, Login, limits.Login, "login attempts", "Login"));
            options.AddPolicy(Uploads, Bucket(limits.Enabled, Uploads, limits.Uploads, "uploads", "Uploads"));
            options.AddPolicy(Jobs, Bucket(limits.Enabled, Jobs, limits.Jobs, "new jobs", "Jobs"));
            var sockets = limits.WebSockets;
            var concurrency = new ConcurrencyLimiterOptions { PermitLimit = sockets.MaxConnectionsPerClient, QueueLimit = 0 };
            Func<string, ConcurrencyLimiterOptions> connections = _ => concurrency;
            options.AddPolicy(WebSockets, new Policy(limits.Enabled,
                key => RateLimitPartition.GetConcurrencyLimiter(key, connections),
                Refusal(WebSockets, "WebSocket connections", $"{sockets.MaxConnectionsPerClient} open at once", "WebSockets:MaxConnectionsPerClient",
                    sockets.RetryAfterSeconds)));
        });
    }

    /// <summary>
    /// Whose budget a request spends: <c>key:NAME</c> for an authenticated request (the API key's name), else
    /// <c>ip:ADDRESS</c> (the address behind a trusted proxy when forwarded headers are on). IPv4 addresses seen as
    /// IPv6 count as IPv4; other IPv6 addresses count by their /64, which one machine is usually handed whole.
    /// </summary>
    public static string ClientKey(HttpContext context) =>
        context.User.Identity is { IsAuthenticated: true, Name: { } name } ? "key:" + name : "ip:" + AddressKey(context.Connection.RemoteIpAddress);

    private static string AddressKey(IPAddress? address)
    {
        if (address is null) return "unknown";
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4().ToString();
        if (address.AddressFamily != AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(address)) return address.ToString();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    private static Policy Bucket(bool enabled, string name, TokenBucketLimit limit, string what, string setting)
    {
        var bucket = limit.ToLimiterOptions();
        Func<string, TokenBucketRateLimiterOptions> factory = _ => bucket;
        return new Policy(enabled, key => RateLimitPartition.GetTokenBucketLimiter(key, factory), Refusal(name, what, limit.Describe(), setting, null));
    }

    // 429 problem+json. Retry-After comes from the lease (a token bucket knows when its next tokens arrive); a
    // concurrency limit cannot know when a connection closes, so it sends the configured guess.
    private static Func<OnRejectedContext, CancellationToken, ValueTask> Refusal(string name, string what, string rate, string setting, int? retryAfterSeconds) =>
        async (rejected, _) =>
        {
            var context = rejected.HttpContext;
            var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after)
                ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds))
                : retryAfterSeconds ?? 1;
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            var key = ClientKey(context);
            var who = key.StartsWith("key:", StringComparison.Ordinal) ? $"API key '{key[4..]}'" : $"address {key[3..]}";
            await TypedResults.Problem(
                $"Too many {what} from {who}: the limit is {rate} per API key or client address ({Section}:{setting}). "
                + $"Try again in {seconds} s.",
                context.Request.Path, StatusCodes.Status429TooManyRequests, "Too many requests",
                extensions: new Dictionary<string, object?> { ["limit"] = name, ["retry_after"] = seconds }).ExecuteAsync(context);
        };

    // A named policy partitioned by ClientKey. Disabled, every request shares one partition with no limit, so the
    // endpoints' RequireRateLimiting calls stay valid.
    private sealed class Policy(bool enabled, Func<string, RateLimitPartition<string>> partition,
        Func<OnRejectedContext, CancellationToken, ValueTask> onRejected) : IRateLimiterPolicy<string>
    {
        public Func<OnRejectedContext, CancellationToken, ValueTask> OnRejected => onRejected;

        public RateLimitPartition<string> GetPartition(HttpContext httpContext) =>
            enabled ? partition(ClientKey(httpContext)) : RateLimitPartition.GetNoLimiter("");
    }
}
