using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static Tickrunner.Server.Tests.BacktestTestData;

namespace Tickrunner.Server.Tests;

public sealed class DatasetsApiTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_good_csv_is_stored_listed_and_served_as_bars()
    {
        var response = await _server.UploadAsync(Csv(500, skip: new HashSet<int> { 100, 101, 102 }), "symbol=TESTUSDT&id=test-1m");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/datasets/test-1m", response.Headers.Location!.OriginalString);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        var dataset = created.GetProperty("dataset");
        Assert.Equal("TESTUSDT", dataset.GetProperty("symbol").GetString());
        Assert.Equal("1m", dataset.GetProperty("interval").GetString());
        Assert.Equal(497, dataset.GetProperty("bars").GetInt32());
        Assert.Equal(1, dataset.GetProperty("gaps").GetInt32());
        var report = created.GetProperty("report");
        Assert.Equal("inferred", report.GetProperty("interval_source").GetString());
        Assert.Equal(1, report.GetProperty("gap_count").GetInt32());
        Assert.Equal(3, report.GetProperty("missing_bars").GetInt64());
        Assert.Equal(0, report.GetProperty("duplicate_count").GetInt32());
        Assert.Equal(102, report.GetProperty("gaps")[0].GetProperty("line").GetInt32()); // header + 100 rows, then the bar after the gap

        var list = await _server.GetJsonAsync("/api/datasets");
        var listed = Assert.Single(list.EnumerateArray());
        Assert.Equal("test-1m", listed.GetProperty("id").GetString());
        Assert.Equal(Start, listed.GetProperty("first").GetInt64());
        Assert.Equal(Start + 499 * Minute, listed.GetProperty("last").GetInt64());
        Assert.Equal(497, (await _server.GetJsonAsync("/api/datasets/test-1m")).GetProperty("bars").GetInt32());

        var bars = await _server.GetJsonAsync("/api/datasets/test-1m/bars");
        Assert.Equal(497, bars.GetArrayLength());
        var first = bars[0];
        Assert.Equal("TESTUSDT", first.GetProperty("symbol").GetString());
        Assert.Equal(Start, first.GetProperty("timestamp").GetInt64());
        Assert.True(first.GetProperty("bid").GetDouble() < first.GetProperty("ask").GetDouble());
        var page = await _server.GetJsonAsync($"/api/datasets/test-1m/bars?from={Start + 98 * Minute}&to={Start + 200 * Minute}&limit=5");
        Assert.Equal(new long[] { 98, 99, 103, 104, 105 }, page.EnumerateArray().Select(b => (b.GetProperty("timestamp").GetInt64() - Start) / Minute));
        Assert.Equal(0, (await _server.GetJsonAsync($"/api/datasets/test-1m/bars?from={Start + 100 * Minute}&to={Start + 102 * Minute}")).GetArrayLength());

        Assert.Equal(HttpStatusCode.NoContent, (await _server.Http.DeleteAsync("/api/datasets/test-1m")).StatusCode);
        await ProblemAsync(await _server.Http.GetAsync("/api/datasets/test-1m"), 404);
        await ProblemAsync(await _server.Http.DeleteAsync("/api/datasets/test-1m"), 404);
        Assert.Empty((await _server.GetJsonAsync("/api/datasets")).EnumerateArray());
    }

    [Fact]
    public async Task Bad_query_parameters_are_400_naming_them()
    {
        await _server.UploadOkAsync(Csv(50), "d");
        var problem = await ProblemAsync(await _server.UploadAsync(Csv(10), "interval=7m&id=..%2Fescape&overwrite=maybe"), 400);
        var errors = problem.GetProperty("errors");
        Assert.Contains("7m", errors.GetProperty("interval")[0].GetString());
        Assert.True(errors.TryGetProperty("id", out _));
        Assert.Contains("overwrite must be true or false", errors.GetProperty("overwrite")[0].GetString());

        foreach (var (query, field) in new[] { ("limit=0", "limit"), ("limit=100001", "limit"), ("from=abc", "from"), ($"from=10&to=5", "to") })
        {
            var bad = await ProblemAsync(await _server.Http.GetAsync($"/api/datasets/d/bars?{query}"), 400);
            Assert.True(bad.GetProperty("errors").TryGetProperty(field, out _), $"{query}: {bad}");
        }
        await ProblemAsync(await _server.Http.GetAsync("/api/datasets/nope/bars"), 404);
        await ProblemAsync(await _server.Http.GetAsync("/api/datasets/bad!id"), 400);
        await ProblemAsync(await _server.UploadAsync("", "symbol=X&id=empty"), 400);
    }

    [Fact]
    public async Task A_bad_csv_is_422_with_the_line_and_column()
    {
        var rows = Csv(20).Split('\n');
        var fields = rows[4].Split(',');
        fields[4] = "abc"; // the close of the fourth bar, on line 5
        rows[4] = string.Join(',', fields);
        var problem = await ProblemAsync(await _server.UploadAsync(string.Join('\n', rows), "symbol=TESTUSDT&id=bad"), 422);
        Assert.Equal("Invalid CSV", problem.GetProperty("title").GetString());
        Assert.Equal(5, problem.GetProperty("line").GetInt32());
        Assert.Equal("close", problem.GetProperty("column_name").GetString());
        Assert.Contains("upload.csv:5, column 5 (close): 'abc' is not a number", problem.GetProperty("detail").GetString());

        var duplicated = Csv(20).Split('\n').ToList();
        duplicated.Insert(8, duplicated[7]); // line 9 repeats line 8
        var duplicate = await ProblemAsync(await _server.UploadAsync(string.Join('\n', duplicated), "symbol=TESTUSDT&id=dup&file_name=mine.csv"), 422);
        Assert.Equal(9, duplicate.GetProperty("line").GetInt32());
        Assert.Equal(1, duplicate.GetProperty("report").GetProperty("duplicate_count").GetInt32());
        await ProblemAsync(await _server.Http.GetAsync("/api/datasets/dup"), 404);
    }

    [Fact]
    public async Task An_existing_id_is_409_unless_overwritten()
    {
        await _server.UploadOkAsync(Csv(30), "same");
        await ProblemAsync(await _server.UploadAsync(Csv(40), "symbol=TESTUSDT&id=same"), 409);
        var replaced = await _server.UploadAsync(Csv(40), "symbol=TESTUSDT&id=same&overwrite=true");
        Assert.Equal(HttpStatusCode.Created, replaced.StatusCode);
        Assert.Equal(40, (await _server.GetJsonAsync("/api/datasets/same")).GetProperty("bars").GetInt32());
    }

    [Fact]
    public async Task Uploads_may_exceed_the_global_body_limit_but_not_their_own()
    {
        var big = Csv(40_000); // about 2 MB: past the 1 MiB limit of JSON bodies
        Assert.True(big.Length > 1024 * 1024);
        Assert.Equal(HttpStatusCode.Created, (await _server.UploadAsync(big, "symbol=TESTUSDT&id=big")).StatusCode);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_server.DataDirectory, "uploads"))); // the spooled copy is gone

        await using var small = await RunningServer.StartAsync(new() { ["Tickrunner:Datasets:MaxUploadBytes"] = "4096" });
        var problem = await ProblemAsync(await small.UploadAsync(Csv(1000), "symbol=TESTUSDT&id=too-big"), 413);
        Assert.Contains("4096 bytes (Tickrunner:Datasets:MaxUploadBytes)", problem.GetProperty("detail").GetString());
        // Without a Content-Length (chunked) the limit stops the copy as it arrives.
        var chunked = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Csv(1000))));
        chunked.Headers.ContentType = new("text/csv");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/datasets?symbol=TESTUSDT&id=chunked") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await ProblemAsync(await small.Http.SendAsync(request), 413);
        Assert.Equal(HttpStatusCode.Created, (await small.UploadAsync(Csv(20), "symbol=TESTUSDT&id=fits")).StatusCode);
    }

    [Fact]
    public async Task A_download_job_fills_a_dataset_from_the_binance_rest_api()
    {
        await using var binance = await FakeBinanceRestServer.StartAsync(count: 2500);
        await using var server = await RunningServer.StartAsync(new() { ["Tickrunner:Datasets:BinanceBaseUrl"] = binance.BaseUrl });
        var last = binance.Start + 2499 * binance.IntervalMs;
        var response = await server.PostJsonAsync("/api/datasets/download",
            JsonSerializer.Serialize(new { symbol = "btcusdt", interval = "1m", from = binance.Start, to = last }));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = job.GetProperty("id").GetString();
        Assert.Equal($"/api/datasets/downloads/{id}", response.Headers.Location!.OriginalString);
        Assert.Contains(job.GetProperty("status").GetString(), new[] { "queued", "running", "done" });
        Assert.Equal("BTCUSDT-1m", job.GetProperty("dataset_id").GetString());

        JsonElement done = default;
        await Wait.Until(async () =>
        {
            done = await server.GetJsonAsync($"/api/datasets/downloads/{id}");
            return done.GetProperty("status").GetString() is "done" or "failed";
        }, what: "the download");
        Assert.Equal("done", done.GetProperty("status").GetString());
        Assert.Equal(1.0, done.GetProperty("progress").GetDouble());
        Assert.Equal(2500, done.GetProperty("bars_fetched").GetInt64());
        Assert.Equal(2500, done.GetProperty("dataset").GetProperty("bars").GetInt32());
        Assert.Equal(3, binance.Requests.Count); // pages of 1,000
        var bars = await server.GetJsonAsync("/api/datasets/BTCUSDT-1m/bars?limit=100000");
        Assert.Equal(2500, bars.GetArrayLength());
        Assert.Equal(double.Parse(binance.Bar(2499).Close, System.Globalization.CultureInfo.InvariantCulture), bars[2499].GetProperty("close").GetDouble());
        Assert.Equal(id, (await server.GetJsonAsync("/api/datasets/downloads"))[0].GetProperty("id").GetString());

        // Binance's own refusal ends the job as failed, with its message.
        var refused = await server.PostJsonAsync("/api/datasets/download",
            JsonSerializer.Serialize(new { symbol = "NOPEUSDT", interval = "1m", from = binance.Start, to = last }));
        var refusedId = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        JsonElement failed = default;
        await Wait.Until(async () =>
        {
            failed = await server.GetJsonAsync($"/api/datasets/downloads/{refusedId}");
            return failed.GetProperty("status").GetString() is "done" or "failed";
        }, what: "the refused download");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains("Invalid symbol", failed.GetProperty("error").GetString());

        var bad = await ProblemAsync(await server.PostJsonAsync("/api/datasets/download",
            JsonSerializer.Serialize(new { interval = "7m", from = 10, to = 5, id = "no/slash" })), 400);
        var errors = bad.GetProperty("errors");
        foreach (var field in new[] { "symbol", "interval", "to", "id" }) Assert.True(errors.TryGetProperty(field, out _), field);
        await ProblemAsync(await server.Http.GetAsync("/api/datasets/downloads/dl-999"), 404);
    }
}
