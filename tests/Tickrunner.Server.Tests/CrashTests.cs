using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

/// <summary>
/// The real server as its own process, killed with SIGKILL right after acknowledging pause, resume and stop
/// requests: after a restart on the same data directory every acknowledged status is there.
/// </summary>
public sealed class CrashTests : IDisposable
{
    private readonly TempDirectory _data = new("tickrunner-crash-");

    public void Dispose() => _data.Dispose();

    /// <summary>A server process; the address comes from its "Now listening on" log line.</summary>
    internal sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;

        private ServerProcess(Process process, Uri address)
        {
            _process = process;
            Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        }

        public HttpClient Http { get; }

        /// <summary>The server from this build's output, on a loopback port chosen at bind time, with its output redirected.</summary>
        public static ProcessStartInfo StartInfo(string dataDirectory, params string[] arguments)
        {
            var bin = AppContext.BaseDirectory;
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[]
            {
                Path.Combine(bin, "Tickrunner.Server.dll"),
                "--urls", "http://127.0.0.1:0",
                $"--Tickrunner:DataDirectory={dataDirectory}",
                $"--Tickrunner:StrategiesDirectory={Path.Combine(bin, "strategies")}",
            }.Concat(arguments)) start.ArgumentList.Add(argument);
            return start;
        }

        public static async Task<ServerProcess> StartAsync(string dataDirectory)
        {
            var start = StartInfo(dataDirectory, "--Tickrunner:Demo:Enabled=false", "--Tickrunner:Engine:CheckpointSeconds=1",
                "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information");
            var process = new Process { StartInfo = start };
            var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            var output = new StringBuilder();
            process.OutputDataReceived += (_, line) =>
            {
                if (line.Data is null) { listening.TrySetException(new IOException($"the server exited:\n{output}")); return; }
                lock (output) output.AppendLine(line.Data);
                const string marker = "Now listening on: ";
                var at = line.Data.IndexOf(marker, StringComparison.Ordinal);
                if (at >= 0) listening.TrySetResult(new Uri(line.Data[(at + marker.Length)..].Trim()));
            };
            process.ErrorDataReceived += (_, line) => { if (line.Data is not null) lock (output) output.AppendLine(line.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                return new ServerProcess(process, await listening.Task.WaitAsync(TimeSpan.FromSeconds(60)));
            }
            catch
            {
                process.Kill();
                throw;
            }
        }

        public void Kill()
        {
            _process.Kill(); // SIGKILL: no shutdown, no last checkpoint
            _process.WaitForExit();
        }

        public void Dispose()
        {
            Http.Dispose();
            if (!_process.HasExited) Kill();
            _process.Dispose();
        }
    }

    [Fact]
    public async Task Every_acknowledged_pause_resume_and_stop_survives_a_kill_9()
    {
        const int runners = 300;
        var expected = new Dictionary<string, string>();
        for (var round = 0; round < 4; round++)
        {
            using var server = await ServerProcess.StartAsync(_data);
            if (round == 0)
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, runners), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
                {
                    var response = await server.Http.PostAsync("/api/runners", new StringContent(
                        $$"""{"runner_id":"r{{i}}","symbol":"BTCUSDT","strategy_name":"ema_crossover","window_size":20}""", Encoding.UTF8, "application/json"));
                    Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                });
                foreach (var i in Enumerable.Range(0, runners)) expected[$"r{i}"] = "running";
            }
            else
            {
                var restored = await Statuses(server.Http);
                var wrong = expected.Where(e => restored.GetValueOrDefault(e.Key) != e.Value)
                    .Select(e => $"{e.Key}: acknowledged {e.Value}, restored {restored.GetValueOrDefault(e.Key) ?? "missing"}").ToList();
                Assert.True(wrong.Count == 0, $"round {round}: {wrong.Count} acknowledged statuses lost:\n{string.Join("\n", wrong)}");
            }
            // Each runner is steered once per round, the requests spread over more than a checkpoint period so
            // that checkpoints run while statuses change; then the process is killed at once. (The delay paces
            // the requests; it synchronises nothing.)
            var order = new System.Collections.Concurrent.ConcurrentQueue<int>(Enumerable.Range(0, runners).OrderBy(_ => Random.Shared.Next()));
            var pace = TimeSpan.FromSeconds(1.4) / (runners / 4.0);
            await Parallel.ForEachAsync(Enumerable.Range(0, 4), async (_, _) =>
            {
                while (order.TryDequeue(out var i))
                {
                    var id = $"r{i}";
                    var verb = Random.Shared.Next(20) == 0 ? "stop" : expected[id] == "paused" ? "resume" : "pause";
                    var response = await server.Http.PostAsync($"/api/runners/{id}/{verb}", null);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    var status = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString()!;
                    lock (expected) expected[id] = status;
                    await Task.Delay(pace);
                }
            });
            server.Kill();
        }
        using var last = await ServerProcess.StartAsync(_data);
        var final = await Statuses(last.Http);
        Assert.Equal(expected.OrderBy(e => e.Key), final.OrderBy(e => e.Key).Select(e => new KeyValuePair<string, string>(e.Key, e.Value!)));
    }

    private static async Task<Dictionary<string, string?>> Statuses(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonElement>("/api/runners")).EnumerateArray()
            .ToDictionary(r => r.GetProperty("runner_id").GetString()!, r => r.GetProperty("status").GetString());
}
