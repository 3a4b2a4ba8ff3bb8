using System.Net;
using Microsoft.AspNetCore.Hosting;
using Tickrunner.Server.Security;
using Tickrunner.Server.Storage;
using Tickrunner.Testing;

namespace Tickrunner.Server.Tests;

/// <summary>Safe by default: a server reachable from other machines starts only with a key.</summary>
public sealed class ExposureTests
{
    [Theory]
    [InlineData("http://localhost:8080", false)]
    [InlineData("http://127.0.0.1:0", false)]
    [InlineData("http://127.1.2.3:80", false)]
    [InlineData("http://[::1]:8080", false)]
    [InlineData("https://localhost", false)]
    [InlineData("http://0.0.0.0:8080", true)]
    [InlineData("http://[::]:8080", true)]
    [InlineData("http://*:8080", true)]
    [InlineData("http://+:8080", true)]
    [InlineData("http://192.168.1.20:8080", true)]
    [InlineData("http://trading.example.com", true)]
    public void Addresses_other_than_loopback_are_exposed(string url, bool exposed) =>
        Assert.Equal(exposed, ExposureGuard.Exposed([url]).Count == 1);

    [Fact]
    public async Task Bound_to_every_address_with_no_key_the_server_refuses_to_start_and_says_how_to_make_one()
    {
        using var data = new TempDirectory("tickrunner-exposed-");
        var error = await Assert.ThrowsAsync<ExposureRefusedException>(() =>
            RunningServer.StartAsync(dataDirectory: data, configure: b => b.WebHost.UseUrls("http://0.0.0.0:0")));
        Assert.Contains("http://0.0.0.0:0", error.Message);
        Assert.Contains($"dotnet run --project src/Tickrunner.Cli -- keys create --name admin --scope admin --data {data.Path}", error.Message);
    }

    [Fact]
    public async Task An_endpoint_from_the_Kestrel_configuration_on_every_address_counts_as_exposed_too()
    {
        // The HTTPS set-up of the guide names its endpoints under Kestrel:Endpoints rather than --urls.
        using var data = new TempDirectory("tickrunner-exposed-");
        var error = await Assert.ThrowsAsync<ExposureRefusedException>(() => RunningServer.StartAsync(
            new() { ["Kestrel:Endpoints:Public:Url"] = "http://0.0.0.0:0" }, dataDirectory: data));
        Assert.Contains("http://0.0.0.0:0", error.Message);
        Assert.Contains("keys create", error.Message);
    }

    [Fact]
    public async Task Bound_to_every_address_with_a_key_it_starts_and_asks_for_the_key()
    {
        using var data = new TempDirectory("tickrunner-exposed-");
        var database = new TickrunnerDatabase(data);
        database.Migrate();
        var secret = new ApiKeyStore(database).Create("admin", ApiScope.Admin).Secret;
        await using var server = await RunningServer.StartAsync(dataDirectory: data, configure: b => b.WebHost.UseUrls("http://0.0.0.0:0"));
        var port = server.BaseAddress.Port;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using (var refused = await http.GetAsync("/api/runners"))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var request = AuthTests.Request(HttpMethod.Get, "/api/runners", secret);
        using var served = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task A_rebinding_host_is_refused_even_with_a_valid_key()
    {
        var (server, keys) = await AuthTests.StartWithKeysAsync();
        await using var owned = server;
        using var request = AuthTests.Request(HttpMethod.Get, "/api/runners", keys.Admin);
        request.Headers.Host = "attacker.example";
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("Tickrunner:ForwardedHeaders:Enabled", "true", "ForwardedHeaders")]
    [InlineData("Tickrunner:AllowedHosts:0", "tickrunner.example.com", "AllowedHosts answers to tickrunner.example.com")]
    [InlineData("Tickrunner:AllowedHosts:0", "*", "AllowedHosts answers to *")]
    public async Task On_loopback_behind_a_proxy_or_under_another_name_with_no_key_the_server_refuses_to_start(string key, string value, string reason)
    {
        using var data = new TempDirectory("tickrunner-exposed-");
        var error = await Assert.ThrowsAsync<ExposureRefusedException>(() => RunningServer.StartAsync(new() { [key] = value }, data));
        Assert.Contains(reason, error.Message);
        Assert.Contains("keys create", error.Message);
    }

    [Fact]
    public async Task An_exposed_server_whose_last_key_is_revoked_refuses_everyone_rather_than_serving_everyone()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Tickrunner:ForwardedHeaders:Enabled"] = "true" }, withAdminKey: true);
        using (var revoke = await server.Http.SendAsync(AuthTests.Request(HttpMethod.Delete, "/api/keys/test-admin", server.AdminKey)))
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        using var after = await server.Http.GetAsync("/api/runners");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.True((await server.GetJsonAsync("/api/auth/session")).GetProperty("auth_required").GetBoolean());
    }
}
