using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Engine;
using Tickrunner.Engine.Datasets;
using Tickrunner.Server.Common;
using Tickrunner.Server.Datasets;
using Tickrunner.Server.Security;

namespace Tickrunner.Server.Api;

/// <summary><c>/api/datasets</c>: upload CSV, list, read bars, delete, and download from Binance, each a call on <see cref="DatasetService"/>.</summary>
public static class DatasetsApi
{
    /// <summary>Maps the dataset endpoints; the group is returned so authorization can be attached to it.</summary>
    public static RouteGroupBuilder MapDatasetsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/datasets").WithTags("Datasets");
        group.MapGet("/", List).WithSummary("Every dataset: id, symbol, interval, first and last bar time, bars, gaps");
        group.MapPost("/", Upload).Accepts<string>("text/csv")
            .WithSummary("Import a CSV file sent as the body (?symbol=&interval=&id=&overwrite=&drop_duplicates=&file_name=); 201 with the import report")
            .RequireRateLimiting(RateLimits.Uploads);
        group.MapPost("/download", StartDownload).Accepts<DownloadRequest>("application/json")
            .WithSummary("Download Binance klines into a dataset in the background; 202 with the download job")
            .RequireRateLimiting(RateLimits.Uploads);
        group.MapGet("/downloads", Downloads).WithSummary("Download jobs since the server started, newest first");
        group.MapGet("/downloads/{id}", GetDownload).WithSummary("One download job: status and progress");
        group.MapGet("/{id}", Get).WithSummary("One dataset");
        group.MapGet("/{id}/bars", Bars).WithSummary("Bars with from ≤ time ≤ to (Unix ms), oldest first, at most ?limit (default 1,000, at most 100,000)");
        group.MapDelete("/{id}", Delete).WithSummary("Delete a dataset that no backtest or download uses");
        return group;
    }

    private static Ok<IReadOnlyList<DatasetInfo>> List(DatasetService datasets) => TypedResults.Ok(datasets.List());

    private static Results<Ok<DatasetInfo>, ProblemHttpResult> Get(string id, DatasetService datasets)
    {
        try
        {
            return TypedResults.Ok(datasets.Get(id));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static Results<Ok<IReadOnlyList<MarketData>>, ProblemHttpResult> Bars(string id, string? from, string? to, string? limit, DatasetService datasets)
    {
        var errors = new Dictionary<string, string>();
        long? first = from is null ? null : QueryNumber.Read(from, "from", long.MinValue, long.MaxValue, 0, errors);
        long? last = to is null ? null : QueryNumber.Read(to, "to", long.MinValue, long.MaxValue, 0, errors);
        var n = (int)QueryNumber.Read(limit, "limit", 1, DatasetService.MaxBarsPerRequest, 1000, errors);
        if (errors.Count > 0) return Problems.Invalid(errors);
        try
        {
            return TypedResults.Ok(datasets.Bars(id, first, last, n));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    // The body is copied to a file as it arrives (never held in memory) under the upload limit, which replaces the global
    // request-body limit for this endpoint only; the file is read from disk and removed, whatever happens.
    private static async Task<Results<Created<DatasetImported>, ProblemHttpResult>> Upload(HttpRequest request, DatasetService datasets,
        string? symbol, string? interval, string? id, string? overwrite, string? drop_duplicates, string? file_name)
    {
        var errors = new Dictionary<string, string>();
        var upload = new DatasetUpload(symbol, interval, id, QueryFlag.Read(overwrite, "overwrite", false, errors),
            QueryFlag.Read(drop_duplicates, "drop_duplicates", false, errors), file_name);
        foreach (var (field, problem) in DatasetService.Problems(upload)) errors[field] = problem;
        if (errors.Count > 0) return Problems.Invalid(errors);
        var limit = datasets.MaxUploadBytes;
        var tooLarge = $"The CSV is larger than the upload limit of {limit} bytes (Tickrunner:Datasets:MaxUploadBytes).";
        var path = datasets.NewUploadPath();
        try
        {
            if (request.ContentLength > limit) return Problems.PayloadTooLarge(tooLarge);
            if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit;
            long length;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await request.Body.CopyToAsync(file, request.HttpContext.RequestAborted);
                length = file.Length;
            }
            if (length == 0) return Problems.Invalid(new Dictionary<string, string> { ["body"] = "The body is empty; send the CSV file as the request body." });
            var imported = await Task.Run(() => datasets.Import(path, upload)); // parsing a large file is CPU work, not request I/O
            return TypedResults.Created($"/api/datasets/{imported.Dataset.Id}", imported);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problems.PayloadTooLarge(tooLarge);
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
        finally
        {
            try { File.Delete(path); } catch (IOException) { } // a leftover in uploads/ is harmless and can be deleted
        }
    }

    private static Results<NoContent, ProblemHttpResult> Delete(string id, DatasetService datasets)
    {
        try
        {
            datasets.Delete(id);
            return TypedResults.NoContent();
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static async Task<Results<Accepted<DownloadView>, ProblemHttpResult>> StartDownload(HttpRequest request, DatasetService datasets)
    {
        var (body, problem) = await RequestBody.ReadAsync<DownloadRequest>(request);
        if (problem is not null) return problem;
        try
        {
            var job = datasets.StartDownload(body!);
            return TypedResults.Accepted($"/api/datasets/downloads/{job.Id}", job);
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }

    private static Ok<IReadOnlyList<DownloadView>> Downloads(DatasetService datasets) => TypedResults.Ok(datasets.Downloads());

    private static Results<Ok<DownloadView>, ProblemHttpResult> GetDownload(string id, DatasetService datasets)
    {
        try
        {
            return TypedResults.Ok(datasets.GetDownload(id));
        }
        catch (ServiceException e)
        {
            return Problems.From(e);
        }
    }
}
