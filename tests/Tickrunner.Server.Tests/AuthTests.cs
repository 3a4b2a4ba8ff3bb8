using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tickrunner.Server.Security;
using Tickrunner.Server.Storage;
using Tickrunner.Testing;

namespace Tickrunner.Server.Tests;

/// <summary>API keys and scopes on every endpoint and the WebSocket: no key, a wrong key, a revoked key, each scope.</summary>
public sealed class AuthTests
{
    // Endpoints open to all: how one gets in, and the health probe a load balancer polls.
    private static readonly string[] OpenEndpoints = ["/api/health", "/api/auth/login", "/api/auth/logout", "/api/auth/session"];

    internal sealed record Keys(string Read, string Trade, string Admin, string Revoked);

    internal static async Task<(RunningServer Server, Keys Keys)> StartWithKeysAsync(Dictionary<string, string?>? settings = null, bool exposed = false)
    {
        // Exposed settings (a proxy in front) need a key before the start.
        var server = await RunningServer.StartAsync(settings, withAdminKey: exposed);
        var access = server.Services.GetRequiredService<AccessControl>();
        var revoked = access.CreateKey("gone", ApiScope.Admin).Secret;
        access.RevokeKey("gone");
        return (server, new Keys(access.CreateKey("reader", ApiScope.Read).Secret, access.CreateKey("trader", ApiScope.Trade).Secret,
            access.CreateKey("boss", ApiScope.Admin).Secret, revoked));
    }

    internal static HttpRequestMessage Request(HttpMethod method, string path, string? key = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (method != HttpMethod.Get && method != HttpMethod.Head) request.Content = new StringContent("{}", Encoding.UTF8, contentType);
        return request;
    }

    // Every HTTP endpoint the server maps, with the scope it should need for its method.
    private static List<(HttpMethod Method, string Path, ApiScope? Needs, string ContentType)> Endpoints(RunningServer server)
    {
        var list = new List<(HttpMethod, string, ApiScope?, string)>();
        foreach (var endpoint in server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var route = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            if (route == "/ws") continue; // the WebSocket has its own test
            var path = System.Text.RegularExpressions.Regex.Replace(route, "{[^}]+}", "nothing-here");
            var requirement = endpoint.Metadata.OfType<Microsoft.AspNetCore.Authorization.AuthorizationPolicy>()
                .SelectMany(p => p.Requirements).OfType<ScopeRequirement>().SingleOrDefault();
            var methods = endpoint.Metadata.OfType<HttpMethodMetadata>().SingleOrDefault()?.HttpMethods ?? ["GET"];
            // Routing answers a body of the wrong type with 415 before anything else; send the type the endpoint takes.
            var type = endpoint.Metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>().FirstOrDefault()?.ContentTypes.FirstOrDefault() ?? "application/json";
            foreach (var method in methods) list.Add((new HttpMethod(method), path, requirement?.For(method), type));
        }
        return list;
    }

    [Fact]
    public async Task Only_health_and_login_are_open_every_other_endpoint_needs_a_scope()
    {
        await using var server = await RunningServer.StartAsync();
        var endpoints = Endpoints(server);
        Assert.True(endpoints.Count > 30, $"found only {endpoints.Count} endpoints");
        var open = endpoints.Where(e => e.Needs is null).Select(e => e.Path).Distinct().Order().ToList();
        Assert.Equal(OpenEndpoints.Order(), open);
        // The documented split: reading needs read; runners, the engine's kill switch, backtests and optimizations need trade; code, data, keys and audit need admin.
        foreach (var (method, path, needs, _) in endpoints.Where(e => e.Needs is not null))
        {
            var expected = method == HttpMethod.Get ? (path.StartsWith("/api/keys") || path.StartsWith("/api/audit") ? ApiScope.Admin : ApiScope.Read)
                : path.StartsWith("/api/runners") || path.StartsWith("/api/engine") || path.StartsWith("/api/backtests") || path.StartsWith("/api/optimizations")
                    ? ApiScope.Trade : ApiScope.Admin;
            Assert.True(expected == needs, $"{method} {path} needs {needs}, expected {expected}");
        }
    }

    [Fact]
    public async Task Every_endpoint_refuses_no_key_a_wrong_key_a_revoked_key_and_a_too_small_scope_and_serves_a_sufficient_one()
    {
        var (server, keys) = await StartWithKeysAsync();
        await using var owned = server;
        var byScope = new Dictionary<ApiScope, string> { [ApiScope.Read] = keys.Read, [ApiScope.Trade] = keys.Trade, [ApiScope.Admin] = keys.Admin };
        var wrong = "trk_0123456789ab_" + new string('A', 43);
        foreach (var (method, path, needs, type) in Endpoints(server).Where(e => e.Needs is not null))
        {
            foreach (var (what, key) in new[] { ("no key", (string?)null), ("a wrong key", wrong), ("a revoked key", keys.Revoked), ("junk", "not-a-key") })
            {
                using var response = await server.Http.SendAsync(Request(method, path, key, type));
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} with {what}: {(int)response.StatusCode}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
                var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                Assert.Equal(needs!.Value.Name(), problem.GetProperty("required_scope").GetString());
                Assert.Contains($"'{needs.Value.Name()}' scope", problem.GetProperty("detail").GetString());
            }
            foreach (var (scope, key) in byScope)
            {
                using var response = await server.Http.SendAsync(Request(method, path, key, type));
                var body = await response.Content.ReadAsStringAsync();
                if (scope >= needs)
                {
                    Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden),
                        $"{method} {path} with {scope}: {(int)response.StatusCode} {body}");
                }
                else
                {
                    Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path} with {scope}: {(int)response.StatusCode}");
                    var detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString();
                    Assert.Contains($"has the '{scope.Name()}' scope", detail);
                    Assert.Contains($"needs '{needs!.Value.Name()}'", detail);
                }
            }
        }
    }

    [Fact]
    public async Task The_websocket_takes_a_key_in_the_header_or_access_token_or_the_session_cookie_and_refuses_others()
    {
        var (server, keys) = await StartWithKeysAsync();
        await using var owned = server;
        using (var create = await server.Http.SendAsync(Json(HttpMethod.Post, "/api/runners", """{"runner_id":"r1","symbol":"BTCUSDT","strategy_name":"ema_crossover"}""", keys.Trade)))
            Assert.Equal(HttpStatusCode.Created, create.StatusCode); // its ticks are what the clients receive
        // A well-formed key that was never issued: a real key with its last character changed.
        var forged = keys.Read[..^1] + (keys.Read[^1] == 'A' ? 'B' : 'A');
        foreach (var query in new[] { "", "access_token=nope", "access_token=" + keys.Revoked, "access_token=" + Uri.EscapeDataString(forged) })
        {
            using var refused = new ClientWebSocket();
            var error = await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(server.WebSocketUri(query), CancellationToken.None));
            Assert.Contains("401", error.Message);
        }
        // Every scope includes read.
        foreach (var key in new[] { keys.Read, keys.Trade, keys.Admin })
        {
            using var viaQuery = await server.ConnectAsync("access_token=" + Uri.EscapeDataString(key));
            Assert.NotNull(await viaQuery.ReceiveAsync());
        }
        using (var viaHeader = new ClientWebSocket())
        {
            viaHeader.Options.SetRequestHeader("Authorization", "Bearer " + keys.Read);
            await viaHeader.ConnectAsync(server.WebSocketUri(), CancellationToken.None);
            Assert.NotNull(await viaHeader.ReceiveAsync());
        }
        var cookie = await LoginAsync(server, keys.Read);
        using (var viaCookie = new ClientWebSocket())
        {
            viaCookie.Options.SetRequestHeader("Cookie", $"{AccessAuthenticationHandler.SessionCookie}={cookie.Token}");
            await viaCookie.ConnectAsync(server.WebSocketUri(), CancellationToken.None);
            Assert.NotNull(await viaCookie.ReceiveAsync());
        }
    }

    [Fact]
    public async Task An_open_stream_ends_with_1008_once_its_key_is_revoked_or_its_session_logged_out()
    {
        var (server, keys) = await StartWithKeysAsync(new() { ["Tickrunner:WebSockets:HeartbeatSeconds"] = "1" });
        await using var owned = server;
        using var viaKey = await server.ConnectAsync("access_token=" + Uri.EscapeDataString(keys.Read));
        var session = await LoginAsync(server, keys.Trade);
        using var viaCookie = new ClientWebSocket();
        viaCookie.Options.SetRequestHeader("Cookie", $"{AccessAuthenticationHandler.SessionCookie}={session.Token}");
        await viaCookie.ConnectAsync(server.WebSocketUri(), CancellationToken.None);
        Assert.NotNull(await viaKey.ReceiveAsync(5000)); // a heartbeat: the key still holds
        Assert.NotNull(await viaCookie.ReceiveAsync(5000));

        server.Services.GetRequiredService<AccessControl>().RevokeKey("reader");
        using (var logout = await server.Http.SendAsync(WithSession(Request(HttpMethod.Post, "/api/auth/logout"), session)))
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        foreach (var socket in new[] { viaKey, viaCookie })
        {
            Assert.Null(await socket.ReceiveUntilAsync(_ => false, 5000)); // frames until the close
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, socket.CloseStatus);
        }
    }

    [Fact]
    public async Task A_session_past_its_expiry_is_refused_by_the_server_whatever_the_browser_keeps()
    {
        var (server, keys) = await StartWithKeysAsync(new() { ["Tickrunner:Auth:SessionHours"] = (1.5 / 3600).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await using var owned = server;
        var session = await LoginAsync(server, keys.Read);
        using (var fresh = await server.Http.SendAsync(WithSession(Request(HttpMethod.Get, "/api/runners"), session)))
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        await Task.Delay(2500);
        using var expired = await server.Http.SendAsync(WithSession(Request(HttpMethod.Get, "/api/runners"), session));
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync());
    }

    internal sealed record Session(string Token, string Csrf, string SetCookie);

    internal static async Task<Session> LoginAsync(RunningServer server, string key)
    {
        using var response = await server.PostJsonAsync("/api/auth/login", JsonSerializer.Serialize(new { key }));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var setCookie = response.Headers.GetValues("Set-Cookie").Single();
        var token = setCookie.Split(';')[0].Split('=', 2)[1];
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return new Session(token, body.GetProperty("csrf_token").GetString()!, setCookie);
    }

    internal static HttpRequestMessage WithSession(HttpRequestMessage request, Session session, bool csrf = true)
    {
        request.Headers.Add("Cookie", $"{AccessAuthenticationHandler.SessionCookie}={session.Token}");
        if (csrf) request.Headers.Add(AccessAuthenticationHandler.CsrfHeader, session.Csrf);
        return request;
    }

    [Fact]
    public async Task Login_sets_an_httponly_samesite_strict_cookie_that_expires_and_logout_and_revoke_end_it_at_once()
    {
        var (server, keys) = await StartWithKeysAsync(new() { ["Tickrunner:Auth:SessionHours"] = "2" });
        await using var owned = server;
        using (var wrong = await server.PostJsonAsync("/api/auth/login", """{"key":"trk_nope"}"""))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using (var missing = await server.PostJsonAsync("/api/auth/login", "{}"))
            Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);

        var session = await LoginAsync(server, keys.Trade);
        var flags = session.SetCookie.Split(';', StringSplitOptions.TrimEntries).Skip(1).ToList();
        Assert.Contains("httponly", flags, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", flags, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("path=/", flags, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", flags, StringComparer.OrdinalIgnoreCase); // plain HTTP on loopback; Secure on HTTPS
        var expires = DateTimeOffset.Parse(flags.Single(f => f.StartsWith("expires=", StringComparison.OrdinalIgnoreCase))[8..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange((expires - DateTimeOffset.UtcNow).TotalHours, 1.9, 2.1);

        using (var who = await server.Http.SendAsync(WithSession(Request(HttpMethod.Get, "/api/auth/session"), session)))
        {
            var me = JsonDocument.Parse(await who.Content.ReadAsStringAsync()).RootElement;
            Assert.True(me.GetProperty("auth_required").GetBoolean());
            Assert.Equal("trader", me.GetProperty("name").GetString());
            Assert.Equal("trade", me.GetProperty("scope").GetString());
            Assert.Equal(session.Csrf, me.GetProperty("csrf_token").GetString());
        }
        using (var ok = await server.Http.SendAsync(WithSession(Request(HttpMethod.Get, "/api/runners"), session)))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        using (var logout = await server.Http.SendAsync(WithSession(Request(HttpMethod.Post, "/api/auth/logout"), session)))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
            Assert.Contains("expires=Thu, 01 Jan 1970", logout.Headers.GetValues("Set-Cookie").Single(), StringComparison.OrdinalIgnoreCase);
        }
        using (var after = await server.Http.SendAsync(WithSession(Request(HttpMethod.Get, "/api/runners"), session)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
            Assert.Contains("log in again", await after.Content.ReadAsStringAsync());
        }

        var second = await LoginAsync(server, keys.Trade);
        using (var revoke = await server.Http.SendAsync(Request(HttpMethod.Delete, "/api/keys/trader", keys.Admin)))
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        using (var afterRevoke = await server.Http.SendAsync(WithSession(Request(HttpMethod.Get, "/api/runners"), second)))
            Assert.Equal(HttpStatusCode.Unauthorized, afterRevoke.StatusCode);
        using (var keyAfterRevoke = await server.Http.SendAsync(Request(HttpMethod.Get, "/api/runners", keys.Trade)))
            Assert.Equal(HttpStatusCode.Unauthorized, keyAfterRevoke.StatusCode);
    }

    [Fact]
    public async Task A_session_needs_its_csrf_token_to_change_anything_a_bearer_key_does_not()
    {
        var (server, keys) = await StartWithKeysAsync();
        await using var owned = server;
        using (var create = await server.Http.SendAsync(Json(HttpMethod.Post, "/api/runners", """{"runner_id":"r1","symbol":"BTCUSDT","strategy_name":"ema_crossover"}""", keys.Trade)))
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var session = await LoginAsync(server, keys.Trade);

        using (var none = await server.Http.SendAsync(WithSession(Request(HttpMethod.Post, "/api/runners/r1/pause"), session, csrf: false)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, none.StatusCode);
            var problem = JsonDocument.Parse(await none.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("CSRF token missing", problem.GetProperty("title").GetString());
            Assert.Contains(AccessAuthenticationHandler.CsrfHeader, problem.GetProperty("detail").GetString());
        }
        var forged = WithSession(Request(HttpMethod.Post, "/api/runners/r1/pause"), session, csrf: false);
        forged.Headers.Add(AccessAuthenticationHandler.CsrfHeader, session.Csrf[..^1] + (session.Csrf[^1] == 'A' ? 'B' : 'A'));
        using (var wrong = await server.Http.SendAsync(forged))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
            Assert.Equal("CSRF token invalid", JsonDocument.Parse(await wrong.Content.ReadAsStringAsync()).RootElement.GetProperty("title").GetString());
        }
        // A proxy's Basic auth in front is not ours: the cookie still says who this is.
        var behindBasic = WithSession(Request(HttpMethod.Get, "/api/runners/r1"), session, csrf: false);
        behindBasic.Headers.Authorization = new AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");
        using (var basic = await server.Http.SendAsync(behindBasic))
            Assert.Equal(HttpStatusCode.OK, basic.StatusCode);
        Assert.Equal("running", (await Snapshot(server, "r1", keys.Read)).GetProperty("status").GetString());

        using (var right = await server.Http.SendAsync(WithSession(Request(HttpMethod.Post, "/api/runners/r1/pause"), session)))
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal("paused", (await Snapshot(server, "r1", keys.Read)).GetProperty("status").GetString());
        // Reading needs no token; a bearer key is not sent by browsers on their own, so it needs none either.
        using (var read = await server.Http.SendAsync(WithSession(Request(HttpMethod.Get, "/api/runners/r1"), session, csrf: false)))
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        using (var bearer = await server.Http.SendAsync(Request(HttpMethod.Post, "/api/runners/r1/resume", keys.Trade)))
            Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
    }

    [Fact]
    public async Task Keys_made_or_revoked_by_another_process_take_effect_within_the_recheck_time()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Tickrunner:Auth:RecheckSeconds"] = "0.2" });
        using (var open = await server.Http.GetAsync("/api/runners"))
            Assert.Equal(HttpStatusCode.OK, open.StatusCode); // loopback, no key: nothing asked
        // The command line writes the same SQLite file from its own process; a second store on the file stands for it.
        var other = new ApiKeyStore(new TickrunnerDatabase(server.DataDirectory));
        var secret = other.Create("cli-made", ApiScope.Read).Secret;
        other.Create("keeper", ApiScope.Admin); // keeps keys asked for once cli-made is revoked
        await Eventually(async () => (await server.Http.GetAsync("/api/runners")).StatusCode == HttpStatusCode.Unauthorized);
        using (var withKey = await server.Http.SendAsync(Request(HttpMethod.Get, "/api/runners", secret)))
            Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
        var session = await LoginAsync(server, secret);
        Assert.NotNull(other.Revoke("cli-made"));
        await Eventually(async () => (await server.Http.SendAsync(Request(HttpMethod.Get, "/api/runners", secret))).StatusCode == HttpStatusCode.Unauthorized);
        using (var cookie = await server.Http.SendAsync(WithSession(Request(HttpMethod.Get, "/api/runners"), session)))
            Assert.Equal(HttpStatusCode.Unauthorized, cookie.StatusCode);
        // With no active key left, loopback is open again.
        Assert.NotNull(other.Revoke("keeper"));
        await Eventually(async () => (await server.Http.GetAsync("/api/runners")).StatusCode == HttpStatusCode.OK);
    }

    [Fact]
    public async Task Auth_required_asks_for_a_key_on_loopback_before_any_exists()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Tickrunner:Auth:Required"] = "true" });
        using (var refused = await server.Http.GetAsync("/api/runners"))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using (var health = await server.Http.GetAsync("/api/health"))
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var me = await server.GetJsonAsync("/api/auth/session");
        Assert.True(me.GetProperty("auth_required").GetBoolean());
        Assert.False(me.GetProperty("authenticated").GetBoolean());
    }

    [Fact]
    public async Task Keys_over_http_are_made_listed_without_secrets_and_revoked_by_an_admin()
    {
        var (server, keys) = await StartWithKeysAsync();
        await using var owned = server;
        using var created = await server.Http.SendAsync(Json(HttpMethod.Post, "/api/keys", """{"name":"bot-1","scope":"trade"}""", keys.Admin));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        var secret = key.GetProperty("secret").GetString()!;
        Assert.StartsWith("trk_" + key.GetProperty("key_id").GetString() + "_", secret);
        using (var works = await server.Http.SendAsync(Request(HttpMethod.Get, "/api/runners", secret)))
            Assert.Equal(HttpStatusCode.OK, works.StatusCode);

        using (var taken = await server.Http.SendAsync(Json(HttpMethod.Post, "/api/keys", """{"name":"bot-1","scope":"read"}""", keys.Admin)))
            Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        using (var bad = await server.Http.SendAsync(Json(HttpMethod.Post, "/api/keys", """{"name":"no spaces","scope":"god"}""", keys.Admin)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var errors = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
            Assert.True(errors.TryGetProperty("name", out _) && errors.TryGetProperty("scope", out _), errors.ToString());
        }

        using var list = await server.Http.SendAsync(Request(HttpMethod.Get, "/api/keys", keys.Admin));
        var text = await list.Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, text);
        Assert.DoesNotContain("trk_", text);
        var listed = JsonDocument.Parse(text).RootElement.EnumerateArray().ToList();
        Assert.Contains(listed, k => k.GetProperty("name").GetString() == "bot-1" && k.GetProperty("active").GetBoolean());
        Assert.Contains(listed, k => k.GetProperty("name").GetString() == "gone" && !k.GetProperty("active").GetBoolean());

        using (var revoke = await server.Http.SendAsync(Request(HttpMethod.Delete, "/api/keys/" + key.GetProperty("key_id").GetString(), keys.Admin)))
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        using (var again = await server.Http.SendAsync(Request(HttpMethod.Delete, "/api/keys/bot-1", keys.Admin)))
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        using (var refused = await server.Http.SendAsync(Request(HttpMethod.Get, "/api/runners", secret)))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public void Only_a_salted_hash_of_a_secret_is_stored()
    {
        using var dir = new TempDirectory("tickrunner-keys-");
        var database = new TickrunnerDatabase(dir);
        database.Migrate();
        var store = new ApiKeyStore(database);
        var a = store.Create("a", ApiScope.Read).Secret;
        var b = store.Create("b", ApiScope.Read).Secret;
        Assert.NotEqual(a, b);
        Assert.Equal("a", store.Verify(a)?.Name);
        Assert.Null(store.Verify(a[..^1] + (a[^1] == 'x' ? 'y' : 'x')));
        Assert.Null(store.Verify(b.Replace(b.Split('_')[1], a.Split('_')[1]))); // b's secret under a's id
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT salt, hash FROM api_keys;";
        using var reader = command.ExecuteReader();
        var salts = new List<string>();
        while (reader.Read())
        {
            var salt = (byte[])reader[0];
            var hash = (byte[])reader[1];
            Assert.Equal(16, salt.Length);
            Assert.Equal(32, hash.Length);
            salts.Add(Convert.ToHexString(salt));
        }
        Assert.Equal(2, salts.Distinct().Count());
        var file = File.ReadAllBytes(database.FilePath).Concat(File.Exists(database.FilePath + "-wal") ? File.ReadAllBytes(database.FilePath + "-wal") : []).ToArray();
        Assert.Equal(-1, file.AsSpan().IndexOf(Encoding.UTF8.GetBytes(a["trk_0123456789ab_".Length..])));
    }

    internal static HttpRequestMessage Json(HttpMethod method, string path, string json, string? key)
    {
        var request = Request(method, path, key);
        request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return request;
    }

    private static async Task<JsonElement> Snapshot(RunningServer server, string id, string key)
    {
        using var response = await server.Http.SendAsync(Request(HttpMethod.Get, $"/api/runners/{id}", key));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the change did not take effect within 10 s");
            await Task.Delay(50);
        }
    }
}
