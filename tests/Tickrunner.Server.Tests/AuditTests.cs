using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text.Json;
using Tickrunner.Testing;

namespace Tickrunner.Server.Tests;

/// <summary>Every state-changing request leaves an audit row: who, what, on what, when, how it ended.</summary>
public sealed class AuditTests
{
    [Fact]
    public async Task Each_state_changing_request_is_recorded_with_key_action_target_and_outcome_and_reads_are_not()
    {
        var (server, keys) = await AuthTests.StartWithKeysAsync();
        await using var owned = server;
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        async Task<HttpStatusCode> Send(HttpRequestMessage request)
        {
            using var response = await server.Http.SendAsync(request);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.Created, await Send(AuthTests.Json(HttpMethod.Post, "/api/runners",
            """{"runner_id":"audited","symbol":"BTCUSDT","strategy_name":"ema_crossover"}""", keys.Trade)));
        Assert.Equal(HttpStatusCode.OK, await Send(AuthTests.Request(HttpMethod.Post, "/api/runners/audited/pause", keys.Trade)));
        Assert.Equal(HttpStatusCode.OK, await Send(AuthTests.Request(HttpMethod.Get, "/api/runners/audited", keys.Trade)));
        Assert.Equal(HttpStatusCode.Forbidden, await Send(AuthTests.Request(HttpMethod.Delete, "/api/strategies/ema_crossover", keys.Read)));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(AuthTests.Request(HttpMethod.Delete, "/api/runners/audited")));
        Assert.Equal(HttpStatusCode.NotFound, await Send(AuthTests.Request(HttpMethod.Post, "/api/runners/missing/resume", keys.Admin)));
        var session = await AuthTests.LoginAsync(server, keys.Read);
        Assert.Equal(HttpStatusCode.NoContent, await Send(AuthTests.WithSession(AuthTests.Request(HttpMethod.Post, "/api/auth/logout"), session)));

        using var response = await server.Http.SendAsync(AuthTests.Request(HttpMethod.Get, $"/api/audit?since={before}", keys.Admin));
        var rows = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray()
            .Select(r => (Key: r.GetProperty("key_name").GetString(), Action: r.GetProperty("action").GetString(), Target: r.GetProperty("target").GetString(),
                Status: r.GetProperty("status").GetInt32(), Outcome: r.GetProperty("outcome").GetString(), At: r.GetProperty("at").GetInt64(),
                Address: r.GetProperty("address").GetString()))
            .Reverse().ToList(); // oldest first, as sent
        Assert.Equal(
            [
                ("trader", "POST /api/runners", "audited", 201, "ok"),
                ("trader", "POST /api/runners/{id}/pause", "audited", 200, "ok"),
                ("reader", "DELETE /api/strategies/{name}", "ema_crossover", 403, "denied"),
                (null, "DELETE /api/runners/{id}", "audited", 401, "denied"),
                ("boss", "POST /api/runners/{id}/resume", "missing", 404, "refused"),
                ("reader", "POST /api/auth/login", null, 200, "ok"),
                ("reader", "POST /api/auth/logout", null, 204, "ok"),
            ],
            rows.Select(r => (r.Key, r.Action, r.Target, r.Status, r.Outcome)).ToList());
        Assert.All(rows, r => Assert.InRange(r.At, before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        Assert.All(rows, r => Assert.Equal("127.0.0.1", r.Address));

        // Paging: the newest first, then back from the oldest id seen.
        var first = await Page(server, keys.Admin, $"since={before}&limit=3");
        Assert.Equal(3, first.Count);
        var next = await Page(server, keys.Admin, $"since={before}&limit=100&before_id={first[^1]}");
        Assert.Equal(rows.Count - 3, next.Count);
        using var bad = await server.Http.SendAsync(AuthTests.Request(HttpMethod.Get, "/api/audit?since=yesterday", keys.Admin));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private static async Task<List<long>> Page(RunningServer server, string key, string query)
    {
        using var response = await server.Http.SendAsync(AuthTests.Request(HttpMethod.Get, "/api/audit?" + query, key));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToList();
    }

    [Fact]
    public async Task Every_state_changing_endpoint_leaves_exactly_one_row()
    {
        var (server, keys) = await AuthTests.StartWithKeysAsync();
        await using var owned = server;
        var unsafeEndpoints = server.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .SelectMany(e => (e.Metadata.OfType<Microsoft.AspNetCore.Routing.HttpMethodMetadata>().SingleOrDefault()?.HttpMethods ?? [])
                .Where(m => m is "POST" or "PUT" or "PATCH" or "DELETE")
                .Select(m => (Method: m, Route: "/" + e.RoutePattern.RawText!.Trim('/'),
                    Type: e.Metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>().FirstOrDefault()?.ContentTypes.FirstOrDefault() ?? "application/json")))
            .Where(e => e.Route != "/api/auth/login") // its limit is tight; it has its own rows in the test above
            .ToList();
        Assert.True(unsafeEndpoints.Count >= 20, $"only {unsafeEndpoints.Count} state-changing endpoints found");
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var (method, route, type) in unsafeEndpoints)
        {
            var path = System.Text.RegularExpressions.Regex.Replace(route, "{[^}]+}", "nothing-here");
            using var response = await server.Http.SendAsync(AuthTests.Request(new HttpMethod(method), path, keys.Admin, type));
        }
        using var audit = await server.Http.SendAsync(AuthTests.Request(HttpMethod.Get, $"/api/audit?since={before}&limit=1000", keys.Admin));
        var actions = JsonDocument.Parse(await audit.Content.ReadAsStringAsync()).RootElement.EnumerateArray()
            .Where(r => r.GetProperty("key_name").GetString() == "boss").Select(r => r.GetProperty("action").GetString()).ToList();
        foreach (var (method, route, _) in unsafeEndpoints)
            Assert.True(actions.Count(a => a == $"{method} {route}") == 1, $"{method} {route}: {actions.Count(a => a == $"{method} {route}")} rows");
        Assert.Equal(unsafeEndpoints.Count, actions.Count);
    }
}
