using System.Net;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

/// <summary>A query parameter that is not a number in range gets a 400 problem naming the parameter.</summary>
public sealed class QueryParameterTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync();
        await _server.CreateRunnerAsync("btc", "BTCUSDT");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("/api/runners/btc/events?since=abc", "since")]
    [InlineData("/api/runners/btc/events?since=99999999999999999999", "since")]
    [InlineData("/api/runners/btc/events?since=-1", "since")]
    [InlineData("/api/runners/btc/events?limit=1e3", "limit")]
    [InlineData("/api/runners/btc/events?limit=99999999999", "limit")]
    [InlineData("/api/runners/btc/history?count=x", "count")]
    [InlineData("/api/runners/btc/trades?limit=", "limit")]
    [InlineData("/api/runners/btc/trades?limit=0", "limit")]
    public async Task Bad_numbers_are_400_naming_the_parameter(string path, string parameter)
    {
        var response = await _server.Http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), body);
    }
}
