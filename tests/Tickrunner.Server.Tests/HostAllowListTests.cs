using System.Net;
using System.Text;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

/// <summary>
/// DNS rebinding: a page on another site whose name resolves to 127.0.0.1 reaches the server with its own name
/// in Host (and as its Origin). Only the configured host names are served, on every route.
/// </summary>
public sealed class HostAllowListTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync();
        await _server.CreateRunnerAsync("btc", "BTCUSDT");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private int Port => _server.BaseAddress.Port;

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string host, string? origin = null, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Host = host;
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return _server.Http.SendAsync(request);
    }

    private static async Task AssertMisdirected(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.MisdirectedRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString();
        Assert.Contains("Tickrunner:AllowedHosts", detail);
        Assert.Contains("evil.example", detail);
    }

    [Theory]
    [InlineData("/api/health")]
    [InlineData("/api/runners")]
    [InlineData("/")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/no/such/route")]
    public async Task A_foreign_host_is_refused_with_421_on_every_route(string path)
    {
        await AssertMisdirected(await Send(HttpMethod.Get, path, "evil.example"));
        await AssertMisdirected(await Send(HttpMethod.Get, path, $"evil.example:{Port}"));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST")]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]")]
    public async Task The_default_local_names_are_served_on_the_bound_port(string name)
    {
        var response = await Send(HttpMethod.Get, "/api/health", $"{name}:{Port}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_rebinding_page_cannot_stop_delete_or_upload_even_with_a_matching_origin()
    {
        await AssertMisdirected(await Send(HttpMethod.Post, "/api/runners/btc/stop", "evil.example", "http://evil.example"));
        await AssertMisdirected(await Send(HttpMethod.Delete, "/api/runners/btc", $"evil.example:{Port}", $"http://evil.example:{Port}"));
        await AssertMisdirected(await Send(HttpMethod.Post, "/api/strategies", "evil.example", "http://evil.example",
            JsonSerializer.Serialize(new { name = "x", code = "function detect_opportunity() end" })));
        Assert.Equal("running", (await _server.GetJsonAsync("/api/runners/btc")).GetProperty("status").GetString());
        Assert.Equal(3, (await _server.GetJsonAsync("/api/strategies")).GetArrayLength());
    }

    [Fact]
    public async Task Same_origin_requests_on_an_allowed_host_still_work_and_foreign_origins_are_still_403()
    {
        var host = $"localhost:{Port}";
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/api/runners/btc/pause", host, $"http://{host}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Post, "/api/runners/btc/resume", host, "http://evil.example")).StatusCode);
        // Same host name, another port: another origin (some other local web app).
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Post, "/api/runners/btc/resume", host, "http://localhost:1")).StatusCode);
    }

    [Fact]
    public async Task A_websocket_handshake_with_a_foreign_host_is_refused()
    {
        var refused = await RawWebSocketClient.HandshakeAsync(_server.BaseAddress, "/ws", "evil.example", "http://evil.example");
        Assert.StartsWith("HTTP/1.1 421", refused);
        var accepted = await RawWebSocketClient.HandshakeAsync(_server.BaseAddress, "/ws", $"localhost:{Port}", $"http://localhost:{Port}");
        Assert.StartsWith("HTTP/1.1 101", accepted);
    }

    [Fact]
    public async Task A_configured_list_replaces_the_defaults()
    {
        // Another name than loopback's means the server is reached from elsewhere: it starts only with a key.
        await using var server = await RunningServer.StartAsync(new() { ["Tickrunner:AllowedHosts:0"] = "tickrunner.lan" }, withAdminKey: true);
        var ok = new HttpRequestMessage(HttpMethod.Get, "/api/health");
        ok.Headers.Host = $"tickrunner.lan:{server.BaseAddress.Port}";
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(ok)).StatusCode);
        var refused = new HttpRequestMessage(HttpMethod.Get, "/api/health");
        refused.Headers.Host = $"localhost:{server.BaseAddress.Port}";
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await server.Http.SendAsync(refused)).StatusCode);
    }
}
