using System.Collections.Concurrent;
using System.Globalization;
using Prometheus;

namespace Tickrunner.Server.Metrics;

/// <summary>
/// <c>tickrunner_http_requests_total{method, route, code}</c>: every request once it has been answered, by the route
/// pattern it matched (<c>/api/runners/{id}</c>, not the path), so the number of series stays bounded whatever clients ask for.
/// </summary>
internal sealed class HttpRequestMetrics
{
    /// <summary>The route label of requests no endpoint matched: dashboard files, unknown paths.</summary>
    public const string NoRoute = "none";

    private static readonly string[] KnownMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

    private readonly Counter _requests;
    // The labelled child per (method, route pattern, code), found without building label values on every request.
    private readonly ConcurrentDictionary<(string Method, string Route, int Code), Counter.Child> _children = new();

    public HttpRequestMetrics(IMetricFactory factory) =>
        _requests = factory.CreateCounter("tickrunner_http_requests_total",
            "HTTP requests answered, by method, route pattern (none when no endpoint matched) and status code.", ["method", "route", "code"]);

    /// <summary>Counts one answered request.</summary>
    public void Count(string method, Endpoint? endpoint, int code)
    {
        var pattern = endpoint is RouteEndpoint { RoutePattern.RawText: { } raw } ? raw : NoRoute;
        var key = (Method(method), pattern, code);
        if (!_children.TryGetValue(key, out var child))
            child = _children.GetOrAdd(key, k => _requests.WithLabels(k.Method, Route(k.Route), k.Code.ToString(CultureInfo.InvariantCulture)));
        child.Inc();
    }

    // A client may send any method name; only the standard ones become label values.
    private static string Method(string method)
    {
        foreach (var known in KnownMethods)
            if (string.Equals(method, known, StringComparison.OrdinalIgnoreCase)) return known;
        return "OTHER";
    }

    // Patterns read as the path they serve, however they were mapped: one leading slash, and none at the end (a group's
    // MapGet("/") reads "/api/runners/", but serves /api/runners).
    private static string Route(string pattern) => pattern == NoRoute ? pattern : "/" + pattern.Trim('/');
}
