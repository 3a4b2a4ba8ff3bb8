using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Tickrunner.Engine.Events;

/// <summary>
/// The dashboard's common case under load: each WebSocket client watches one runner (<c>?runner_id=</c>), many runners on a
/// simulated feed that ticks every symbol at once, the clients in a child process of their own (as browsers are), optionally a
/// few clients on the full stream and a snapshot poller that opens a new connection for every request.
/// </summary>
/// <remarks>
/// Latency is the bar's arrival at its runner to the client's receive. The server (this process) records each event's arrival
/// by seq with an in-process hub subscriber; the child stamps each frame with <see cref="Stopwatch.GetTimestamp"/> and sends
/// (seq, stamp) pairs back in a file. Both read CLOCK_MONOTONIC on Linux, so the stamps of the two processes compare.
/// </remarks>
internal static class FilteredStreamScenario
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(4);

    public static async Task<int> RunAsync(string[] args, int seconds, bool auth)
    {
        var clients = Int(args, "--clients", 100);
        var runners = Int(args, "--runners", 100);
        var symbols = Int(args, "--symbols", 4);
        var tickMs = Int(args, "--tick-ms", 10);
        var full = Int(args, "--full", 0);
        var pollRate = Int(args, "--poll-per-second", 0);
        if (runners % symbols != 0) throw new ArgumentException("--runners must be a multiple of --symbols");

        await using var harness = await Harness.StartAsync(symbols, tickMs, auth, runners / symbols);
        var hub = harness.Services.GetRequiredService<EventHub>();
        // seq → when the bar behind the event reached its runner; events no bar caused (0) are not timed.
        var arrivals = new long[50_000_000];
        // seq → how long after that arrival the hub published the event (Stopwatch ticks): splits the latency into engine and delivery.
        var toHub = new int[arrivals.Length];
        using var recorder = hub.Subscribe(queueSize: 1 << 20);
        using var stop = new CancellationTokenSource();
        var recording = Task.Factory.StartNew(() =>
        {
            try
            {
                while (recorder.WaitToReadAsync(stop.Token).AsTask().GetAwaiter().GetResult())
                    while (recorder.TryRead(out var m))
                        if (m.Frame is { } f && f.Seq < arrivals.Length)
                        {
                            toHub[f.Seq] = (int)Math.Min(int.MaxValue, f.PublishedAt - f.Event.ReceivedAt);
                            Volatile.Write(ref arrivals[f.Seq], f.Event.ReceivedAt);
                        }
            }
            catch (OperationCanceledException)
            {
            }
        }, TaskCreationOptions.LongRunning);

        var output = Path.Combine(Path.GetTempPath(), $"tickrunner-filtered-{Environment.ProcessId}.bin");
        var childArgs = new List<string>();
        var self = Environment.ProcessPath!;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") childArgs.Add(typeof(FilteredStreamScenario).Assembly.Location);
        childArgs.AddRange(["clients", "--url", harness.Base.ToString(), "--clients", $"{clients}", "--runners", $"{runners}", "--full", $"{full}",
            "--poll-per-second", $"{pollRate}", "--seconds", $"{seconds}", "--warmup", $"{WarmUp.TotalSeconds}", "--out", output]);
        if (harness.Key is { } key) childArgs.AddRange(["--key", key]);
        var start = new ProcessStartInfo(self, childArgs) { RedirectStandardOutput = true, UseShellExecute = false };
        using var child = Process.Start(start)!;
        var server = Process.GetCurrentProcess();
        TimeSpan cpuAtStart = default;
        long seqAtStart = 0, wallAtStart = 0;
        double serverCpu = 0, eventsPerSecond = 0;
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line == "measuring")
            {
                server.Refresh();
                cpuAtStart = server.TotalProcessorTime;
                seqAtStart = hub.LastSeq;
                wallAtStart = Stopwatch.GetTimestamp();
            }
            else if (line == "measured")
            {
                server.Refresh();
                var wall = Stopwatch.GetElapsedTime(wallAtStart).TotalSeconds;
                serverCpu = (server.TotalProcessorTime - cpuAtStart).TotalSeconds / wall / Environment.ProcessorCount;
                eventsPerSecond = (hub.LastSeq - seqAtStart) / wall;
            }
            else
            {
                Console.WriteLine($"    client process: {line}");
            }
        }
        await child.WaitForExitAsync();
        if (child.ExitCode != 0) throw new InvalidOperationException($"the client process exited with {child.ExitCode}");
        for (var wait = 0; wait < 200 && recorder.Pending > 0; wait++) await Task.Delay(10); // the recorder catches up
        await stop.CancelAsync();
        await recording;

        var result = ClientResult.Read(output);
        File.Delete(output);
        var filtered = Latencies(result.Filtered, arrivals);
        var fullStream = Latencies(result.Full, arrivals);
        Console.WriteLine($"{clients} clients each on one of {runners} runners ({symbols} symbols, a bar every {tickMs} ms), {full} on the full stream: " +
                          $"{eventsPerSecond:N0} events/s, {result.Filtered.Count / (double)seconds:N0} frames/s to the filtered clients, dropped {result.Dropped:N0}");
        Console.WriteLine($"    filtered clients: tick → client {Describe(filtered)}");
        Console.WriteLine($"        of which tick → hub {Describe(Latencies(result.Filtered, arrivals, (seq, _, _) => toHub[seq]))}");
        Console.WriteLine($"        and hub → client {Describe(Latencies(result.Filtered, arrivals, (seq, arrived, received) => received - arrived - toHub[seq]))}");
        if (full > 0) Console.WriteLine($"    full-stream clients: tick → client {Describe(fullStream)}");
        if (pollRate > 0)
        {
            var polls = result.Polls;
            polls.Sort();
            Console.WriteLine($"    snapshot over a new connection ({polls.Count} requests, {result.PollErrors} not 200): p50 {Harness.At(polls, 0.5):F2} ms, " +
                              $"p99 {Harness.At(polls, 0.99):F2} ms, max {(polls.Count > 0 ? polls[^1] : double.NaN):F2} ms");
        }
        Console.WriteLine($"    CPU: server {serverCpu:P0} of {Environment.ProcessorCount} cores, client process {result.CpuShare:P0}");
        return 0;
    }

    // Each frame's latency (arrival → received), or the part of it that part(seq, arrived, received) picks, in Stopwatch ticks.
    private static List<double> Latencies(List<(long Seq, long ReceivedAt)> frames, long[] arrivals, Func<long, long, long, long>? part = null)
    {
        var latencies = new List<double>(frames.Count);
        foreach (var (seq, receivedAt) in frames)
            if (seq > 0 && seq < arrivals.Length && arrivals[seq] is var arrived and not 0)
                latencies.Add((part?.Invoke(seq, arrived, receivedAt) ?? receivedAt - arrived) * 1000.0 / Stopwatch.Frequency);
        latencies.Sort();
        return latencies;
    }

    private static string Describe(List<double> sorted) =>
        $"p50 {Harness.At(sorted, 0.5):F2} ms, p99 {Harness.At(sorted, 0.99):F2} ms, p99.9 {Harness.At(sorted, 0.999):F2} ms, " +
        $"max {(sorted.Count > 0 ? sorted[^1] : double.NaN):F1} ms ({sorted.Count:N0} frames)";

    /// <summary>The child: connects the clients, streams through the warm-up, measures, writes what each frame's seq and stamp were.</summary>
    public static async Task<int> RunClientsAsync(string[] args)
    {
        var server = new Uri(String(args, "--url"));
        var clients = Int(args, "--clients", 100);
        var runners = Int(args, "--runners", 100);
        var full = Int(args, "--full", 0);
        var pollRate = Int(args, "--poll-per-second", 0);
        var seconds = Int(args, "--seconds", 10);
        var warmUp = TimeSpan.FromSeconds(double.Parse(String(args, "--warmup"), CultureInfo.InvariantCulture));
        var output = String(args, "--out");
        var key = args.Contains("--key") ? String(args, "--key") : null;

        var sockets = new List<LeanWebSocketClient>();
        for (var i = 0; i < clients; i++) sockets.Add(await LeanWebSocketClient.ConnectAsync(server, $"/ws?runner_id=r{i % runners}", key));
        for (var i = 0; i < full; i++) sockets.Add(await LeanWebSocketClient.ConnectAsync(server, "/ws", key));
        var frames = sockets.Select(_ => new List<(long, long)>(1 << 16)).ToArray();
        long dropped = 0;
        var measuring = 0;
        var readers = sockets.Select((socket, index) => Task.Run(async () =>
        {
            var mine = frames[index];
            void OnText(ReadOnlyMemory<byte> frame)
            {
                var now = Stopwatch.GetTimestamp();
                if (Volatile.Read(ref measuring) == 0) return;
                var text = frame.Span;
                if (text.StartsWith("{\"Lagged\""u8))
                {
                    Interlocked.Add(ref dropped, Harness.ReadNumber(text, "\"dropped\":"u8));
                    return;
                }
                var seq = Harness.ReadNumber(text, "\"seq\":"u8);
                if (seq > 0 && !text.StartsWith("{\"Heartbeat\""u8)) mine.Add((seq, now));
            }
            try
            {
                while (await socket.ReadAsync(OnText, CancellationToken.None)) { }
            }
            catch (Exception e) when (e is OperationCanceledException or System.Net.Sockets.SocketException or IOException or ObjectDisposedException)
            {
            }
        })).ToArray();

        using var polling = new CancellationTokenSource();
        var polls = new List<double>();
        var pollErrors = 0;
        var poller = pollRate <= 0 ? Task.CompletedTask : Task.Run(async () =>
        {
            var interval = TimeSpan.FromSeconds(1.0 / pollRate);
            for (var n = 0; !polling.IsCancellationRequested; n++)
            {
                var started = Stopwatch.GetTimestamp();
                using (var http = await LeanHttpClient.ConnectAsync(server, key))
                {
                    var status = await http.GetAsync($"/api/runners/r{n % runners}/snapshot");
                    if (Volatile.Read(ref measuring) == 1)
                    {
                        if (status == 200) polls.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        else pollErrors++;
                    }
                }
                var left = interval - Stopwatch.GetElapsedTime(started);
                if (left > TimeSpan.Zero) await Task.Delay(left);
            }
        });

        await Task.Delay(warmUp);
        var self = Process.GetCurrentProcess();
        var cpuAtStart = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref measuring, 1);
        Console.WriteLine("measuring");
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        Volatile.Write(ref measuring, 0);
        Console.WriteLine("measured");
        self.Refresh();
        var cpuShare = (self.TotalProcessorTime - cpuAtStart).TotalSeconds / clock.Elapsed.TotalSeconds / Environment.ProcessorCount;
        await polling.CancelAsync();
        await poller;
        foreach (var socket in sockets) socket.Dispose();
        await Task.WhenAll(readers);

        await using var file = new BinaryWriter(File.Create(output));
        file.Write(dropped);
        file.Write(cpuShare);
        file.Write(pollErrors);
        file.Write(polls.Count);
        foreach (var poll in polls) file.Write(poll);
        foreach (var group in new[] { frames[..clients], frames[clients..] })
        {
            file.Write(group.Sum(f => f.Count));
            foreach (var (seq, at) in group.SelectMany(f => f))
            {
                file.Write(seq);
                file.Write(at);
            }
        }
        return 0;
    }

    private sealed record ClientResult(long Dropped, double CpuShare, int PollErrors, List<double> Polls,
        List<(long Seq, long ReceivedAt)> Filtered, List<(long Seq, long ReceivedAt)> Full)
    {
        public static ClientResult Read(string path)
        {
            using var file = new BinaryReader(File.OpenRead(path));
            var dropped = file.ReadInt64();
            var cpu = file.ReadDouble();
            var pollErrors = file.ReadInt32();
            var polls = Enumerable.Range(0, file.ReadInt32()).Select(_ => file.ReadDouble()).ToList();
            List<(long, long)> Frames() => Enumerable.Range(0, file.ReadInt32()).Select(_ => (file.ReadInt64(), file.ReadInt64())).ToList();
            var filtered = Frames();
            return new ClientResult(dropped, cpu, pollErrors, polls, filtered, Frames());
        }
    }

    private static int Int(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }

    private static string String(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{name} is required");
    }
}
