using System.Diagnostics;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

/// <summary>Structured logs: the server as its own process with ASP.NET Core's JSON console formatter writes one JSON object per line.</summary>
public sealed class JsonLogTests : IDisposable
{
    private readonly TempDirectory _data = new("tickrunner-jsonlog-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Logging_Console_FormatterName_json_makes_every_log_line_a_JSON_object()
    {
        var start = CrashTests.ServerProcess.StartInfo(_data.Path, "--Logging:Console:FormatterName=json");
        using var process = Process.Start(start)!;
        var lines = new List<string>();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new Xunit.Sdk.XunitException($"the server exited before listening:\n{string.Join('\n', lines)}\n{await process.StandardError.ReadToEndAsync()}");
                lines.Add(line);
                using var entry = JsonDocument.Parse(line); // throws on a line that is not one JSON object
                var root = entry.RootElement;
                Assert.Equal(JsonValueKind.Object, root.ValueKind);
                Assert.True(root.TryGetProperty("LogLevel", out _), line);
                if (root.GetProperty("Category").GetString() == "Microsoft.Hosting.Lifetime"
                    && root.GetProperty("Message").GetString()!.StartsWith("Now listening on: http://127.0.0.1:", StringComparison.Ordinal))
                {
                    Assert.Equal("Information", root.GetProperty("LogLevel").GetString());
                    // The message's parts are fields of their own, for a log pipeline to query.
                    Assert.StartsWith("http://127.0.0.1:", root.GetProperty("State").GetProperty("address").GetString());
                    break;
                }
            }
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }
}
