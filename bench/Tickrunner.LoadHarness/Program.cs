using System.Diagnostics;
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
using Tickrunner.Engine.Events;
using Tickrunner.Server;

// The server under load on loopback: runners on a fast simulated feed, N WebSocket clients subscribed to
// TickReceived, delivered messages/s, drops, and tick → client latency (the bar's arrival at the runner to
// the client's receive, both read from the same Stopwatch because the harness hosts the server in process).
// The clients are lean raw-socket WebSocket readers (LeanWebSocketClient) so they take little of the CPU.
//   dotnet run -c Release --project bench/Tickrunner.LoadHarness -- [--seconds 10] [--scenario all|snapshot|100x1000|1000x100] [--auth]
// (--auth: the server asks for keys and every request and WebSocket carries one, to price authentication)
// A backtest through the API against the engine's own Backtest.Run over the same bars (not part of "all"):
//   dotnet run -c Release --project bench/Tickrunner.LoadHarness -- --scenario backtest-api [--bars 1000000] [--runs 3] [--data-dir DIR]
// (--data-dir keeps the server's data directory, so the CLI's backtest can be timed over the same dataset)
// Each client watching its own runner, the clients in a child process (not part of "all"; see FilteredStreamScenario):
//   dotnet run -c Release --project bench/Tickrunner.LoadHarness -- --scenario filtered [--clients 100] [--runners 100] [--symbols 4]
//       [--tick-ms 10] [--full 0] [--poll-per-second 0]
if (args.Length > 0 && args[0] == "clients") return await FilteredStreamScenario.RunClientsAsync(args[1..]); // the child process of --scenario filtered
var seconds = IntArg("--seconds", 10);
var scenario = StringArg("--scenario", "all");
var auth = args.Contains("--auth");
Console.WriteLine($"Tickrunner load harness: {Environment.ProcessorCount} cores, {seconds} s per scenario, loopback, auth {(auth ? "on (Bearer key)" : "off")}");

if (scenario == "backtest-api")
    return await BacktestApiHarness.RunAsync(IntArg("--bars", 1_000_000), IntArg("--runs", 3), args.Contains("--data-dir") ? StringArg("--data-dir", "") : null);
if (scenario == "filtered")
    return await FilteredStreamScenario.RunAsync(args, seconds, auth);
if (scenario is "all" or "snapshot")
{
    await using var idle = await Harness.StartAsync(symbols: 10, tickIntervalMs: 1000, auth);
    var (p50, p99) = await idle.SnapshotLatencyAsync(5_000);
    Console.WriteLine($"snapshot over HTTP, idle (10 runners, 1 bar/s each): p50 {p50:F0} µs, p99 {p99:F0} µs   [targets p50 ≤ 200 µs, p99 ≤ 1 ms]");
}
if (scenario is "all" or "100x1000")
    await RunStreaming(clients: 100, symbols: 10, tickIntervalMs: 10, "[targets p50 ≤ 1.5 ms, p99 ≤ 5 ms]");
if (scenario is "all" or "1000x100")
    await RunStreaming(clients: 1000, symbols: 10, tickIntervalMs: 100, "[target p99 ≤ 50 ms, no drops]");
return 0;

async Task RunStreaming(int clients, int symbols, int tickIntervalMs, string targets)
{
    await using var harness = await Harness.StartAsync(symbols, tickIntervalMs, auth);
    var result = await harness.StreamAsync(clients, TimeSpan.FromSeconds(seconds));
    var (snapshotP50, snapshotP99) = await harness.SnapshotLatencyAsync(500);
    Console.WriteLine($"{clients} clients × {result.EventsPerSecond:N0} events/s: delivered {result.MessagesPerSecond:N0} msgs/s, " +
                      $"dropped {result.Dropped:N0}, tick → client p50 {result.P50:F2} ms, p99 {result.P99:F2} ms, p99.9 {result.P999:F2} ms, max {result.Max:F1} ms  {targets}");
    Console.WriteLine($"    snapshot over HTTP under that load: p50 {snapshotP50:F0} µs, p99 {snapshotP99:F0} µs   [target ≤ 5 ms]");
}

int IntArg(string name, int fallback) => HarnessArgs.Int(args, name, fallback);

string StringArg(string name, string fallback) => HarnessArgs.String(args, name, fallback)!;

internal sealed record StreamResult(double EventsPerSecond, double MessagesPerSecond, long Dropped, double P50, double P99, double P999, double Max);

internal sealed class Harness : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _data;
    private readonly Uri _base;
    private readonly HttpClient _http;
    private readonly int _symbols;
    private readonly string? _key;

    private Harness(WebApplication app, string data, int symbols, string? key)
    {
        _app = app;
        _data = data;
        _symbols = symbols;
        _key = key;
        _base = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        _http = new HttpClient { BaseAddress = _base };
        if (key is not null) _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
    }

    /// <summary>The server's base address.</summary>
    public Uri Base => _base;

    /// <summary>The API key every request carries, or null (auth off).</summary>
    public string? Key => _key;

    /// <summary>The server's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// The server with <paramref name="runnersPerSymbol"/> ema_crossover runners on each of <paramref name="symbols"/> symbols:
    /// one per symbol is named r00, r01, …; several per symbol r0, r1, … (runner i on symbol i % symbols).
    /// </summary>
    public static async Task<Harness> StartAsync(int symbols, int tickIntervalMs, bool auth = false, int runnersPerSymbol = 1)
    {
        var data = Directory.CreateTempSubdirectory("tickrunner-load-").FullName;
        var settings = new Dictionary<string, string?>
        {
            ["Tickrunner:DataDirectory"] = data,
            ["Tickrunner:StrategiesDirectory"] = Path.Combine(AppContext.BaseDirectory, "strategies"),
            ["Tickrunner:Feed:TickIntervalMs"] = tickIntervalMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tickrunner:Demo:Enabled"] = "false",
            ["Tickrunner:WebSockets:MaxConnections"] = "5000",
            ["Tickrunner:RateLimits:WebSockets:MaxConnectionsPerClient"] = "5000", // every client is on loopback, one address
        };
        for (var i = 0; i < symbols; i++) settings[$"Tickrunner:Feed:Symbols:{i}"] = $"SYM{i:D2}";
        var app = TickrunnerApp.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await app.StartAsync();
        // With a key in the store the server asks for one on every request, as on a machine reached over the network.
        var key = auth ? app.Services.GetRequiredService<Tickrunner.Server.Security.AccessControl>().CreateKey("load", Tickrunner.Server.Security.ApiScope.Admin).Secret : null;
        var harness = new Harness(app, data, symbols, key);
        for (var i = 0; i < symbols * runnersPerSymbol; i++)
        {
            var id = runnersPerSymbol == 1 ? $"r{i:D2}" : $"r{i}";
            var response = await harness._http.PostAsync("/api/runners", new StringContent(
                $$"""{"runner_id":"{{id}}","symbol":"SYM{{i % symbols:D2}}","strategy_name":"ema_crossover"}""", Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
        }
        await Task.Delay(1000); // windows fill, JIT settles
        return harness;
    }

    public async Task<(double P50, double P99)> SnapshotLatencyAsync(int requests)
    {
        var samples = new List<double>(requests);
        using var client = await LeanHttpClient.ConnectAsync(_base, _key); // keep-alive, as a dashboard's browser would
        for (var i = 0; i < requests; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var status = await client.GetAsync($"/api/runners/r{i % _symbols:D2}/snapshot");
            if (status != 200) throw new InvalidOperationException($"snapshot answered {status}");
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }
        samples.Sort();
        return (At(samples, 0.50), At(samples, 0.99));
    }

    // Streaming before measuring: with 1 s the tiered JIT was still recompiling hot methods during the
    // measurement (a fifth of the CPU samples of a profiled run were the JIT).
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("WARMUP"), out var w) ? w : 4);

    public async Task<StreamResult> StreamAsync(int clients, TimeSpan duration)
    {
        var hub = _app.Services.GetRequiredService<EventHub>();
        // seq → when the bar reached the runner (Stopwatch ticks), recorded by an in-process hub subscriber.
        var arrivals = new long[50_000_000];
        using var recorder = hub.Subscribe(new EventFilter([], [], [RunnerEventKind.TickReceived]), queueSize: 1 << 20);
        using var stop = new CancellationTokenSource();
        var recording = Task.Factory.StartNew(() =>
        {
            try
            {
                while (recorder.WaitToReadAsync(stop.Token).AsTask().GetAwaiter().GetResult())
                    while (recorder.TryRead(out var m))
                        if (m.Frame is { } f && f.Seq < arrivals.Length) Volatile.Write(ref arrivals[f.Seq], f.Event.ReceivedAt);
            }
            catch (OperationCanceledException)
            {
            }
        }, TaskCreationOptions.LongRunning);

        var clientsList = new List<LeanWebSocketClient>();
        for (var i = 0; i < clients; i++) clientsList.Add(await LeanWebSocketClient.ConnectAsync(_base, "/ws?type=TickReceived", _key));
        var latencies = new List<double>[clients];
        var unresolved = Enumerable.Range(0, clients).Select(_ => new List<(long Seq, long ReceivedAt)>()).ToArray();
        var counts = new long[clients];
        long dropped = 0;
        var measuring = 0;
        var readers = clientsList.Select((client, index) => Task.Run(async () =>
        {
            var mine = latencies[index] = new List<double>(200_000);
            void OnText(ReadOnlyMemory<byte> frame)
            {
                var now = Stopwatch.GetTimestamp();
                if (Volatile.Read(ref measuring) == 0) return;
                var text = frame.Span;
                if (text.StartsWith("{\"Lagged\""u8))
                {
                    Interlocked.Add(ref dropped, ReadNumber(text, "\"dropped\":"u8));
                    return;
                }
                var seq = ReadNumber(text, "\"seq\":"u8);
                if (seq <= 0) return; // heartbeats and the like
                counts[index]++;
                if (seq >= arrivals.Length) return;
                // The recorder may not have seen this seq yet: then it is resolved after the run, so a client never
                // waits (or spins) for the recorder and takes no CPU from the server.
                var arrived = Volatile.Read(ref arrivals[seq]);
                if (arrived != 0) mine.Add(Milliseconds(now - arrived));
                else unresolved[index].Add((seq, now));
            }
            try
            {
                // No token on the reads (each pending read would register with the one shared source): the
                // clients are disposed to end them.
                while (!stop.IsCancellationRequested && await client.ReadAsync(OnText, CancellationToken.None)) { }
            }
            catch (Exception e) when (e is OperationCanceledException or System.Net.Sockets.SocketException or IOException or ObjectDisposedException)
            {
            }
        })).ToArray();

        await Task.Delay(WarmUp); // connections settle, the JIT finishes tiering the hot paths
        var startSeq = hub.LastSeq;
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref measuring, 1);
        await Task.Delay(duration);
        Volatile.Write(ref measuring, 0);
        var elapsed = clock.Elapsed.TotalSeconds;
        var events = hub.LastSeq - startSeq;
        for (var wait = 0; wait < 200 && recorder.Pending > 0; wait++) await Task.Delay(10); // the recorder catches up
        await stop.CancelAsync();
        foreach (var client in clientsList) client.Dispose();
        await Task.WhenAll(readers);
        await recording;

        for (var i = 0; i < clients; i++)
            foreach (var (seq, receivedAt) in unresolved[i])
                if (arrivals[seq] != 0) latencies[i].Add(Milliseconds(receivedAt - arrivals[seq]));
        var all = latencies.Where(l => l is not null).SelectMany(l => l).ToList();
        all.Sort();
        return new StreamResult(events / elapsed, counts.Sum() / elapsed, dropped, At(all, 0.50), At(all, 0.99), At(all, 0.999), all.Count > 0 ? all[^1] : double.NaN);
    }

    private static double Milliseconds(long stopwatchTicks) => stopwatchTicks * 1000.0 / Stopwatch.Frequency;

    internal static long ReadNumber(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key)
    {
        var at = json.IndexOf(key);
        if (at < 0) return -1;
        long value = 0;
        for (var i = at + key.Length; i < json.Length && json[i] is >= (byte)'0' and <= (byte)'9'; i++) value = value * 10 + (json[i] - '0');
        return value;
    }

    internal static double At(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
