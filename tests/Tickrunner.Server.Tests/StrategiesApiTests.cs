using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

public sealed class StrategiesApiTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string Valid = """
        function detect_opportunity(market_data, context, indicators) return nil end
        function filter_commitment(market_data, context, indicators) return nil end
        function manage_position(market_data, context, indicators) return nil end
        """;

    private static string Body(object value) => JsonSerializer.Serialize(value);

    [Fact]
    public async Task Lists_shipped_strategies_with_source_and_time()
    {
        var list = await _server.GetJsonAsync("/api/strategies");
        var names = list.EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Equal(["ema_crossover", "range_breakout", "rsi_mean_reversion"], names);
        Assert.All(list.EnumerateArray(), s =>
        {
            Assert.Equal("shipped", s.GetProperty("source").GetString());
            Assert.True(s.GetProperty("last_modified").GetInt64() > 0);
        });
        var ema = await _server.GetJsonAsync("/api/strategies/ema_crossover");
        Assert.Contains("function detect_opportunity", ema.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Upload_get_update_and_delete_an_uploaded_strategy()
    {
        var created = await _server.PostJsonAsync("/api/strategies", Body(new { name = "mine", code = Valid }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("uploaded", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("source").GetString());
        Assert.Contains(Valid.Trim(), (await _server.GetJsonAsync("/api/strategies/mine")).GetProperty("code").GetString());
        Assert.Contains("mine", (await _server.GetJsonAsync("/api/strategies")).EnumerateArray().Select(s => s.GetProperty("name").GetString()));

        var again = await _server.PostJsonAsync("/api/strategies", Body(new { name = "mine", code = Valid }));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        var updated = await _server.PutJsonAsync("/api/strategies/mine", Body(new { code = Valid + "\n-- v2" }));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.EndsWith("-- v2", (await _server.GetJsonAsync("/api/strategies/mine")).GetProperty("code").GetString());
        var fresh = await _server.PutJsonAsync("/api/strategies/other", Body(new { code = Valid }));
        Assert.Equal(HttpStatusCode.Created, fresh.StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _server.Http.DeleteAsync("/api/strategies/mine")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/api/strategies/mine")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.DeleteAsync("/api/strategies/mine")).StatusCode);
    }

    [Fact]
    public async Task Invalid_code_is_422_with_diagnostics_and_line_numbers_and_is_not_saved()
    {
        var response = await _server.PostJsonAsync("/api/strategies", Body(new { name = "broken", code = "function detect_opportunity()\n  local x = = 1\nend" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var diagnostic = problem.GetProperty("diagnostics")[0];
        Assert.Equal(2, diagnostic.GetProperty("line").GetInt32());
        Assert.Equal("Error", diagnostic.GetProperty("severity").GetString());
        Assert.StartsWith("2:", problem.GetProperty("errors").GetProperty("code")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/api/strategies/broken")).StatusCode);

        var forbidden = await _server.PostJsonAsync("/api/strategies", Body(new { name = "sneaky", code = Valid + "\nfunction helper() return io.open('/etc/passwd') end" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, forbidden.StatusCode);
        var sneaky = (await forbidden.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("diagnostics")[0];
        Assert.Equal(4, sneaky.GetProperty("line").GetInt32());
        Assert.Contains("io library", sneaky.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Validate_with_a_body_without_a_body_and_for_unknown_names()
    {
        var ok = await _server.PostJsonAsync("/api/strategies/anything/validate", Body(new { code = Valid }));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.True((await ok.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("valid").GetBoolean());

        var bad = await _server.PostJsonAsync("/api/strategies/anything/validate", Body(new { code = "function detect_opportunity() end" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Contains("missing function 'filter_commitment'", await bad.Content.ReadAsStringAsync());

        var stored = await _server.Http.PostAsync("/api/strategies/ema_crossover/validate", null);
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        var unknown = await _server.Http.PostAsync("/api/strategies/ghost/validate", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Shipped_strategies_cannot_be_changed_or_deleted_and_used_ones_cannot_be_deleted()
    {
        Assert.Equal(HttpStatusCode.Conflict, (await _server.PostJsonAsync("/api/strategies", Body(new { name = "ema_crossover", code = Valid }))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _server.PutJsonAsync("/api/strategies/ema_crossover", Body(new { code = Valid }))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _server.Http.DeleteAsync("/api/strategies/ema_crossover")).StatusCode);

        await _server.UploadStrategyAsync("used", Valid);
        await _server.CreateRunnerAsync("user", strategy: "used");
        var delete = await _server.Http.DeleteAsync("/api/strategies/used");
        Assert.Equal(HttpStatusCode.Conflict, delete.StatusCode);
        Assert.Contains("user", await delete.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("dots.not.allowed")]
    [InlineData("")]
    public async Task Invalid_names_are_400_with_the_rule(string name)
    {
        var response = await _server.PostJsonAsync("/api/strategies", Body(new { name, code = Valid }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("1 to 64 characters", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("name")[0].GetString());
    }

    [Fact]
    public async Task Unknown_strategy_is_404_on_every_route()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/api/strategies/ghost")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.DeleteAsync("/api/strategies/ghost")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.PostAsync("/api/strategies/ghost/validate", null)).StatusCode);
    }

    [Fact]
    public async Task A_strategy_that_fails_at_load_cannot_start_a_runner_and_the_engine_goes_on()
    {
        await _server.UploadStrategyAsync("fragile", Valid.Replace("return nil end\nfunction filter", "error('boom') end\nfunction filter", StringComparison.Ordinal));
        await _server.CreateRunnerAsync("fragile_runner", "SOLUSDT", "fragile");
        await _server.CreateRunnerAsync("healthy", "SOLUSDT", "ema_crossover");
        await Wait.Until(async () => (await _server.GetJsonAsync("/api/runners/fragile_runner")).GetProperty("stats").GetProperty("errors").GetInt64() > 2, what: "errors");
        // The healthy runner was created after the fragile one, so its first tick may come after the
        // fragile one's third error: wait for it rather than read it at once.
        await Wait.Until(async () => (await _server.GetJsonAsync("/api/runners/healthy")).GetProperty("stats").GetProperty("ticks_processed").GetInt64() > 0, what: "healthy ticks");
        var healthy = await _server.GetJsonAsync("/api/runners/healthy");
        Assert.Equal(0, healthy.GetProperty("stats").GetProperty("errors").GetInt64());
    }
}
