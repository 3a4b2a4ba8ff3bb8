using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tickrunner.Engine.Runners;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Tests;

/// <summary>What is acknowledged is what is stored: concurrent writes on one runner id or strategy name are serialized.</summary>
public sealed class ConsistencyTests
{
    private const string Valid = """
        function detect_opportunity(market_data, context, indicators) return nil end
        function filter_commitment(market_data, context, indicators) return nil end
        function manage_position(market_data, context, indicators) return nil end
        """;

    private static void AssertEngineMatchesDatabase(RunningServer server)
    {
        var rows = server.Services.GetRequiredService<RunnerRepository>();
        var engine = server.Services.GetRequiredService<TradingEngine>();
        var stored = rows.List().Select(r => r.Definition.RunnerId).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(stored, engine.RunnerIds);
    }

    [Fact]
    public async Task A_delete_while_the_same_runners_create_is_loading_leaves_no_runner_without_a_row()
    {
        // Loading this strategy runs a long top-level loop, so the create is still loading when the delete arrives.
        await using var server = await RunningServer.StartAsync(new() { ["Tickrunner:Sandbox:InstructionBudget"] = "500000000" });
        await server.UploadStrategyAsync("slow", "for i = 1, 40000000 do end\n" + Valid);
        var rows = server.Services.GetRequiredService<RunnerRepository>();
        var engine = server.Services.GetRequiredService<TradingEngine>();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var create = server.PostJsonAsync("/api/runners", """{"runner_id":"s","symbol":"BTCUSDT","strategy_name":"slow"}""");
            await Wait.Until(() => Task.FromResult(rows.Exists("s") || create.IsCompleted), what: "the create's row");
            var delete = await server.Http.DeleteAsync("/api/runners/s");
            var created = await create;
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Contains(delete.StatusCode, new[] { HttpStatusCode.NoContent, HttpStatusCode.NotFound });
            AssertEngineMatchesDatabase(server);
            if (engine.Contains("s")) Assert.Equal(HttpStatusCode.NoContent, (await server.Http.DeleteAsync("/api/runners/s")).StatusCode);
            AssertEngineMatchesDatabase(server);
        }
    }

    [Fact]
    public async Task Rapid_creates_deletes_and_steering_on_a_few_ids_from_many_threads_keep_engine_and_database_equal()
    {
        await using var server = await RunningServer.StartAsync();
        var ids = new[] { "a", "b", "c", "d" };
        var acknowledged = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 600), new ParallelOptions { MaxDegreeOfParallelism = 12 }, async (i, _) =>
        {
            var id = ids[Random.Shared.Next(ids.Length)];
            var response = Random.Shared.Next(6) switch
            {
                0 or 1 or 2 => await server.PostJsonAsync("/api/runners", $$"""{"runner_id":"{{id}}","symbol":"BTCUSDT","strategy_name":"ema_crossover"}"""),
                3 or 4 => await server.Http.DeleteAsync($"/api/runners/{id}"),
                _ => await server.PostJsonAsync($"/api/runners/{id}/{(Random.Shared.Next(2) == 0 ? "pause" : "stop")}", ""),
            };
            Assert.True((int)response.StatusCode is 200 or 201 or 204 or 404 or 409, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            if (response.IsSuccessStatusCode) Interlocked.Increment(ref acknowledged);
        });
        Assert.True(acknowledged > 100);
        AssertEngineMatchesDatabase(server);
        // And what the API lists is what a restart would bring back.
        var listed = (await server.GetJsonAsync("/api/runners")).EnumerateArray().Select(r => r.GetProperty("runner_id").GetString()!).ToList();
        var rows = server.Services.GetRequiredService<RunnerRepository>();
        Assert.Equal(rows.List().Select(r => r.Definition.RunnerId).Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Concurrent_uploads_of_one_name_give_exactly_one_201_and_the_rest_409()
    {
        await using var server = await RunningServer.StartAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            server.PostJsonAsync("/api/strategies", JsonSerializer.Serialize(new { name = "same", code = $"-- upload {i}\n" + Valid }))));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(19, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        var winner = Array.FindIndex(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.StartsWith($"-- upload {winner}\n", (await server.GetJsonAsync("/api/strategies/same")).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Concurrent_puts_of_one_name_create_once_and_the_last_acknowledged_code_is_stored()
    {
        await using var server = await RunningServer.StartAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var response = await server.PutJsonAsync("/api/strategies/same", JsonSerializer.Serialize(new { code = $"-- put {i}\n" + Valid }));
            var modified = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("last_modified").GetInt64();
            return (response.StatusCode, Index: i, Modified: modified);
        }));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(19, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        // Writes are serialized, so the stored code is one of those with the newest modification time.
        var newest = responses.Max(r => r.Modified);
        var stored = await server.GetJsonAsync("/api/strategies/same");
        Assert.Equal(newest, stored.GetProperty("last_modified").GetInt64());
        var storedIndex = int.Parse(stored.GetProperty("code").GetString()!.Split('\n')[0]["-- put ".Length..]);
        Assert.Contains(storedIndex, responses.Where(r => r.Modified == newest).Select(r => r.Index));
    }
}
