using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tickrunner.Engine.Runners;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Tests;

/// <summary>Statuses are stored where they change: by the steering request, or by the journal for a runner that stopped by itself.</summary>
public sealed class StatusDurabilityTests
{
    [Fact]
    public async Task A_runner_that_stops_by_itself_has_its_stopped_status_stored_without_waiting_for_a_checkpoint()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Tickrunner:Engine:CheckpointSeconds"] = "3600" });
        await server.UploadStrategyAsync("failing", """
            function detect_opportunity(md, ctx, ind) error("boom") end
            function filter_commitment(md, ctx, ind) return nil end
            function manage_position(md, ctx, ind) return nil end
            """);
        var created = await server.PostJsonAsync("/api/runners",
            """{"runner_id":"f","symbol":"BTCUSDT","strategy_name":"failing","config":{"stop_on_error":true}}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var rows = server.Services.GetRequiredService<RunnerRepository>();
        await Wait.Until(() => Task.FromResult(rows.List().Single().Restore.Status == RunnerStatus.Stopped), what: "the stored stopped status");
        Assert.Equal("stopped", (await server.GetJsonAsync("/api/runners/f")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Removing_or_shutting_down_does_not_store_stopped()
    {
        var data = Directory.CreateTempSubdirectory("tickrunner-consistency-").FullName;
        try
        {
            await using (var first = await RunningServer.StartAsync(dataDirectory: data))
            {
                await first.CreateRunnerAsync("keep");
                await first.CreateRunnerAsync("gone");
                Assert.Equal(HttpStatusCode.NoContent, (await first.Http.DeleteAsync("/api/runners/gone")).StatusCode);
                await first.CreateRunnerAsync("gone"); // a new runner with the old id: the old one's "removed" must not stop it
            }
            await using var second = await RunningServer.StartAsync(dataDirectory: data);
            var statuses = (await second.GetJsonAsync("/api/runners")).EnumerateArray()
                .ToDictionary(r => r.GetProperty("runner_id").GetString()!, r => r.GetProperty("status").GetString());
            Assert.Equal(new Dictionary<string, string?> { ["gone"] = "running", ["keep"] = "running" }, statuses);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }
}
