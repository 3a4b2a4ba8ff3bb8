using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tickrunner.Testing;

/// <summary>
/// A local HTTP server answering <c>GET /api/v3/klines</c> as Binance does (startTime/endTime inclusive, at most
/// <c>limit</c> rows, decimal strings, <c>X-MBX-USED-WEIGHT-1m</c>) from a generated series, with answers the tests script.
/// </summary>
public sealed class FakeBinanceRestServer : IAsyncDisposable
{
    public sealed record Request(string Symbol, string Interval, long StartTime, long EndTime, int Limit);

    private readonly WebApplication _app;
    private int _requests;

    /// <summary>Every request, in arrival order.</summary>
    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>Answers for the next requests, instead of klines; each writes the whole response.</summary>
    public ConcurrentQueue<Func<HttpResponse, Task>> Scripted { get; } = new();

    /// <summary>The value of X-MBX-USED-WEIGHT-1m for the n-th request (1-based); default 2 per request.</summary>
    public Func<int, int> UsedWeight { get; set; } = n => 2 * n;

    public string Symbol { get; init; } = "BTCUSDT";
    public long Start { get; init; } = 1_704_067_200_000; // 2024-01-01
    public long IntervalMs { get; init; } = 60_000;
    public int Count { get; init; } = 3500;
    public string BaseUrl { get; }

    private FakeBinanceRestServer(WebApplication app)
    {
        _app = app;
        BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public static async Task<FakeBinanceRestServer> StartAsync(int count = 3500, long intervalMs = 60_000)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeBinanceRestServer? server = null;
        app.MapGet("/api/v3/klines", context => server!.ServeAsync(context));
        await app.StartAsync();
        server = new FakeBinanceRestServer(app) { Count = count, IntervalMs = intervalMs };
        return server;
    }

    /// <summary>The n-th bar's open time and decimal strings, as served.</summary>
    public (long OpenTime, string Open, string High, string Low, string Close, string Volume) Bar(int i)
    {
        var open = 42_000 + i * 0.37 + Math.Sin(i) * 15.123456;
        var close = open + Math.Cos(i) * 7.654321;
        string F(double x) => x.ToString("F8", CultureInfo.InvariantCulture);
        return (Start + i * IntervalMs, F(open), F(Math.Max(open, close) + 3.21), F(Math.Min(open, close) - 2.34), F(close), F(1 + i % 9 * 0.125));
    }

    private async Task ServeAsync(HttpContext context)
    {
        var q = context.Request.Query;
        var request = new Request(q["symbol"].ToString(), q["interval"].ToString(),
            long.Parse(q["startTime"].ToString(), CultureInfo.InvariantCulture), long.Parse(q["endTime"].ToString(), CultureInfo.InvariantCulture),
            int.Parse(q["limit"].ToString(), CultureInfo.InvariantCulture));
        Requests.Enqueue(request);
        var n = Interlocked.Increment(ref _requests);
        if (Scripted.TryDequeue(out var script))
        {
            await script(context.Response);
            return;
        }
        context.Response.Headers["X-MBX-USED-WEIGHT-1m"] = UsedWeight(n).ToString(CultureInfo.InvariantCulture);
        if (request.Symbol != Symbol)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync("""{"code":-1121,"msg":"Invalid symbol."}""");
            return;
        }
        var first = (int)Math.Max(0, (request.StartTime - Start + IntervalMs - 1) / IntervalMs);
        var json = new StringBuilder("[");
        for (int i = first, rows = 0; i < Count && rows < request.Limit; i++, rows++)
        {
            var bar = Bar(i);
            if (bar.OpenTime > request.EndTime) break;
            if (rows > 0) json.Append(',');
            json.Append(CultureInfo.InvariantCulture,
                $"[{bar.OpenTime},\"{bar.Open}\",\"{bar.High}\",\"{bar.Low}\",\"{bar.Close}\",\"{bar.Volume}\",{bar.OpenTime + IntervalMs - 1},\"1.0\",10,\"0.5\",\"0.5\",\"0\"]");
        }
        json.Append(']');
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json.ToString());
    }

    public static Func<HttpResponse, Task> Status(int status, string? retryAfter = null, string body = """{"code":-1003,"msg":"Too many requests."}""") =>
        async response =>
        {
            response.StatusCode = status;
            if (retryAfter is not null) response.Headers.RetryAfter = retryAfter;
            await response.WriteAsync(body);
        };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
