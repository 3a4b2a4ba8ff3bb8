using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static Tickrunner.Server.Tests.BacktestTestData;

namespace Tickrunner.Server.Tests;

/// <summary>Declared strategy parameters over HTTP: listed with the strategy, set per runner (kept across a restart) and per backtest.</summary>
public sealed class ParamsApiTests : IDisposable
{
    private readonly TempDirectory _data = new("tickrunner-params-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_strategy_lists_its_declared_parameters()
    {
        await using var server = await RunningServer.StartAsync(dataDirectory: _data);
        var declared = (await server.GetJsonAsync("/api/strategies/ema_crossover")).GetProperty("params");
        var fast = declared.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "fast");
        Assert.Equal("integer", fast.GetProperty("kind").GetString());
        Assert.Equal(10, fast.GetProperty("default").GetInt32());
        Assert.Equal(2, fast.GetProperty("min").GetDouble());
        Assert.Equal(50, fast.GetProperty("max").GetDouble());
        Assert.Equal(1, fast.GetProperty("step").GetDouble());
        var stop = declared.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "stop_loss");
        Assert.Equal("number", stop.GetProperty("kind").GetString());
        Assert.Equal(0.02, stop.GetProperty("default").GetDouble());
        Assert.Equal(6, declared.GetArrayLength());
        await server.UploadStrategyAsync("plain", Trader);
        Assert.Equal(0, (await server.GetJsonAsync("/api/strategies/plain")).GetProperty("params").GetArrayLength());
    }

    [Fact]
    public async Task A_runners_params_show_in_its_snapshot_and_survive_a_restart()
    {
        await using (var server = await RunningServer.StartAsync(dataDirectory: _data))
        {
            var created = await server.PostJsonAsync("/api/runners",
                """{"runner_id": "tuned", "symbol": "BTCUSDT", "strategy_name": "ema_crossover", "params": {"fast": 8, "slow": 30}}""");
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var values = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("params");
            Assert.Equal(8, values.GetProperty("fast").GetInt32());
            Assert.Equal(30, values.GetProperty("slow").GetInt32());
            Assert.Equal(0.1, values.GetProperty("size").GetDouble()); // the others at their defaults
        }
        await using (var again = await RunningServer.StartAsync(dataDirectory: _data))
        {
            var values = (await again.GetJsonAsync("/api/runners/tuned")).GetProperty("params");
            Assert.Equal(8, values.GetProperty("fast").GetInt32());
            Assert.Equal(30, values.GetProperty("slow").GetInt32());
        }
    }

    [Theory]
    [InlineData("""{"fast": 1}""", "params.fast", "between 2 and 50")]
    [InlineData("""{"fast": 8.5}""", "params.fast", "must be an integer")]
    [InlineData("""{"nope": 3}""", "params.nope", "no parameter 'nope'")]
    [InlineData("""{"fast": [1]}""", "params.fast", "a number, a string or a boolean")]
    public async Task Params_that_do_not_fit_are_400_naming_the_parameter_and_nothing_is_stored(string body, string field, string problem)
    {
        await using var server = await RunningServer.StartAsync(dataDirectory: _data);
        var response = await server.PostJsonAsync("/api/runners",
            $$"""{"runner_id": "bad", "symbol": "BTCUSDT", "strategy_name": "ema_crossover", "params": {{body}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains(problem, errors.GetProperty(field)[0].GetString());
        Assert.Equal(0, (await server.GetJsonAsync("/api/runners")).GetArrayLength());

        await server.UploadOkAsync(Csv(500), "bars");
        var backtest = await server.PostJsonAsync("/api/backtests",
            $$"""{"strategy_name": "ema_crossover", "dataset": "bars", "params": {{body}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, backtest.StatusCode);
        Assert.Contains(problem, (await backtest.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty(field)[0].GetString());
    }

    [Fact]
    public async Task A_backtests_params_are_in_its_settings_and_change_its_trades()
    {
        await using var server = await RunningServer.StartAsync(dataDirectory: _data);
        await server.UploadOkAsync(Csv(3000), "bars");
        var plain = await server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "bars" });
        var tuned = await server.SubmitAsync(new { strategy_name = "ema_crossover", dataset = "bars", @params = new { fast = 4, slow = 9 } });
        var a = await server.WaitForAsync(plain, "done", "failed");
        var b = await server.WaitForAsync(tuned, "done", "failed");
        Assert.Equal("done", b.GetProperty("status").GetString());
        Assert.False(a.GetProperty("settings").TryGetProperty("params", out _)); // no params: the settings (and digest) of before
        Assert.Equal(4, b.GetProperty("settings").GetProperty("params").GetProperty("fast").GetDouble());
        Assert.NotEqual(a.GetProperty("report").GetProperty("trades").GetInt32(), b.GetProperty("report").GetProperty("trades").GetInt32());
    }
}
