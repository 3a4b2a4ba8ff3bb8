using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Tickrunner.Testing;

/// <summary>Datasets and backtest jobs over a running server's HTTP API, for the server and dashboard tests.</summary>
public static class BacktestRequests
{
    public static async Task<HttpResponseMessage> UploadAsync(this RunningServer server, string csv, string query) =>
        await server.Http.PostAsync($"/api/datasets?{query}", new StringContent(csv, Encoding.UTF8, "text/csv"));

    public static async Task UploadOkAsync(this RunningServer server, string csv, string id, string symbol = "TESTUSDT")
    {
        var response = await server.UploadAsync(csv, $"symbol={symbol}&id={id}");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<string> SubmitAsync(this RunningServer server, object body)
    {
        var response = await server.PostJsonAsync("/api/backtests", JsonSerializer.Serialize(body));
        Assert.True((int)response.StatusCode == 202, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("queued", accepted.GetProperty("status").GetString());
        return accepted.GetProperty("id").GetString()!;
    }

    public static async Task<JsonElement> BacktestAsync(this RunningServer server, string id) => await server.GetJsonAsync($"/api/backtests/{id}");

    /// <summary>Polls the job until its status is one of <paramref name="statuses"/>.</summary>
    public static async Task<JsonElement> WaitForAsync(this RunningServer server, string id, params string[] statuses)
    {
        JsonElement job = default;
        await Wait.Until(async () =>
        {
            job = await server.BacktestAsync(id);
            return statuses.Contains(job.GetProperty("status").GetString());
        }, 60_000, $"backtest {id} to be {string.Join(" or ", statuses)}");
        return job;
    }
}
