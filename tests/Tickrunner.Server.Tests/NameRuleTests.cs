using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Tests;

/// <summary>Names and ids are exactly what the rule says: a trailing newline is not a valid character.</summary>
public sealed class NameRuleTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string Valid = """
        function detect_opportunity(market_data, context, indicators) return nil end
        function filter_commitment(market_data, context, indicators) return nil end
        function manage_position(market_data, context, indicators) return nil end
        """;

    private static async Task AssertProblem(HttpResponseMessage response, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), text);
    }

    [Theory]
    [InlineData("evil\n")]
    [InlineData("ema_crossover\n")]
    [InlineData("evil\r\n")]
    public async Task A_strategy_name_with_a_trailing_newline_is_refused_and_nothing_is_stored(string name)
    {
        await AssertProblem(await _server.PostJsonAsync("/api/strategies", JsonSerializer.Serialize(new { name, code = Valid })), "name");
        await AssertProblem(await _server.PutJsonAsync($"/api/strategies/{Uri.EscapeDataString(name)}", JsonSerializer.Serialize(new { code = Valid })), "name");
        var names = (await _server.GetJsonAsync("/api/strategies")).EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Equal(["ema_crossover", "range_breakout", "rsi_mean_reversion"], names);
        Assert.DoesNotContain(_server.Services.GetRequiredService<StrategyCatalog>().List(), s => s.Name.Contains('\n'));
    }

    [Theory]
    [InlineData("x\n")]
    [InlineData("btc.1\n")]
    public async Task A_runner_id_with_a_trailing_newline_is_refused_and_nothing_is_stored_or_started(string id)
    {
        await AssertProblem(await _server.PostJsonAsync("/api/runners",
            JsonSerializer.Serialize(new { runner_id = id, symbol = "BTCUSDT", strategy_name = "ema_crossover" })), "runner_id");
        Assert.Equal(0, (await _server.GetJsonAsync("/api/runners")).GetArrayLength());
        var rows = _server.Services.GetRequiredService<RunnerRepository>();
        var engine = _server.Services.GetRequiredService<TradingEngine>();
        Assert.Empty(rows.List());
        Assert.Empty(engine.RunnerIds);
    }

    [Fact]
    public async Task A_strategy_name_with_a_trailing_newline_is_not_valid_for_a_runner_either()
    {
        var response = await _server.PostJsonAsync("/api/runners",
            JsonSerializer.Serialize(new { runner_id = "r", symbol = "BTCUSDT", strategy_name = "ema_crossover\n" }));
        await AssertProblem(response, "strategy_name");
        Assert.Equal(0, (await _server.GetJsonAsync("/api/runners")).GetArrayLength());
    }

    [Fact]
    public void The_rules_themselves_refuse_a_final_newline()
    {
        Assert.False(Tickrunner.Engine.Strategies.StrategyName.IsValid("evil\n"));
        Assert.True(Tickrunner.Engine.Strategies.StrategyName.IsValid("evil"));
        Assert.False(Tickrunner.Engine.Runners.RunnerDefinition.IsValidId("x\n"));
        Assert.True(Tickrunner.Engine.Runners.RunnerDefinition.IsValidId("x"));
    }
}
