using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

using Tickrunner.Server;
using Xunit;

namespace Tickrunner.Testing;

/// <summary>The real server on a loopback port with its own data directory.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsData;

    private RunningServer(WebApplication app, string dataDirectory, bool ownsData)
    {
        _app = app;
        DataDirectory = dataDirectory;
        _ownsData = ownsData;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }
    public HttpClient Http { get; }
    public string DataDirectory { get; }
    public IServiceProvider Services => _app.Services;

    /// <summary>The admin key made before the start when asked for (<c>withAdminKey</c>), else null.</summary>
    public string? AdminKey { get; private init; }

    /// <summary>Starts a server; the feed ticks every 20 ms and no demo runners are made unless asked.</summary>
    public static async Task<RunningServer> StartAsync(Dictionary<string, string?>? settings = null, string? dataDirectory = null,
        Action<WebApplicationBuilder>? configure = null, bool withAdminKey = false)
    {
        var ownsData = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("tickrunner-server-").FullName;
        // A key in the store before the start: settings that expose the server (a proxy in front, other host names) need one.
        string? adminKey = null;
        if (withAdminKey)
        {
            var database = new Tickrunner.Server.Storage.TickrunnerDatabase(dataDirectory);
            database.Migrate();
            adminKey = new Tickrunner.Server.Security.ApiKeyStore(database).Create("test-admin", Tickrunner.Server.Security.ApiScope.Admin).Secret;
        }
        var values = new Dictionary<string, string?>
        {
            ["Tickrunner:DataDirectory"] = dataDirectory,
            ["Tickrunner:StrategiesDirectory"] = Path.Combine(AppContext.BaseDirectory, "strategies"),
            ["Tickrunner:Feed:TickIntervalMs"] = "20",
            ["Tickrunner:Demo:Enabled"] = "false",
            ["Tickrunner:Engine:CheckpointSeconds"] = "1",
        };
        foreach (var (key, value) in settings ?? []) values[key] = value;
        var app = TickrunnerApp.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(values);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            configure?.Invoke(builder);
        });
        await app.StartAsync();
        return new RunningServer(app, dataDirectory, ownsData) { AdminKey = adminKey };
    }

    public Uri WebSocketUri(string query = "") =>
        new($"ws://{BaseAddress.Authority}/ws{(query.Length > 0 ? "?" + query : "")}");

    public async Task<ClientWebSocket> ConnectAsync(string query = "")
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(WebSocketUri(query), CancellationToken.None);
        return socket;
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> PutJsonAsync(string path, string json) =>
        Http.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var response = await Http.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task CreateRunnerAsync(string id, string symbol = "BTCUSDT", string strategy = "ema_crossover")
    {
        var response = await PostJsonAsync("/api/runners", $$"""{"runner_id":"{{id}}","symbol":"{{symbol}}","strategy_name":"{{strategy}}"}""");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task UploadStrategyAsync(string name, string code)
    {
        var response = await PostJsonAsync("/api/strategies", JsonSerializer.Serialize(new { name, code }));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsData)
        {
            TempDirectory.Delete(DataDirectory);
        }
    }
}

/// <summary>Receiving and sending JSON text messages on a client WebSocket.</summary>
public static class Socket
{
    /// <summary>The next text message, or null on timeout.</summary>
    public static async Task<JsonElement?> ReceiveAsync(this ClientWebSocket socket, int timeoutMs = 10_000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        var buffer = new byte[64 * 1024];
        var length = 0;
        try
        {
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
                length += result.Count;
            }
            while (!result.EndOfMessage);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            return JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.Clone();
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Messages until one matches, skipping the rest; null on timeout.</summary>
    public static async Task<JsonElement?> ReceiveUntilAsync(this ClientWebSocket socket, Func<JsonElement, bool> match, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline)
        {
            var message = await socket.ReceiveAsync((int)Math.Max(1, deadline - Environment.TickCount64));
            if (message is null) return null;
            if (match(message.Value)) return message;
        }
        return null;
    }

    public static Task SendTextAsync(this ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public static string Tag(this JsonElement message) => message.EnumerateObject().First().Name;

    public static JsonElement Payload(this JsonElement message) => message.EnumerateObject().First().Value;
}
