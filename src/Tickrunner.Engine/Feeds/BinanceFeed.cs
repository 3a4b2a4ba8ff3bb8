using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tickrunner.Engine.Feeds;

/// <summary>
/// Live candles from Binance's combined stream: <c>&lt;symbol&gt;@kline_&lt;interval&gt;</c> for bars (closed klines only)
/// and <c>&lt;symbol&gt;@bookTicker</c> for bid/ask. Symbols come and go through SUBSCRIBE/UNSUBSCRIBE on the open
/// connection; a dropped or silent connection is replaced with exponential backoff and jitter, resubscribed, and
/// the bars a gap cost are counted. Malformed or unknown messages are counted and logged, never fatal.
/// </summary>
public sealed partial class BinanceFeed : IMarketDataFeed
{
    /// <summary>Half-spread for bid/ask when no book ticker has arrived for a symbol (docs/engine-contract.md §1.4).</summary>
    public const double FallbackHalfSpread = 0.0005;

    private readonly BinanceFeedOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly SortedSet<string> _symbols = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (double Bid, double Ask)> _books = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _lastOpenTime = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _send = new(1, 1);
    private ClientWebSocket? _socket;
    private long _delivered, _rejected, _malformed, _unknown, _reconnects, _gaps, _lastMessageAt, _requestId;
    private volatile bool _connected, _heardOnThisConnection;
    private volatile string? _lastError;

    /// <summary>Creates the feed; nothing connects until a subscription starts.</summary>
    public BinanceFeed(BinanceFeedOptions options, ILogger<BinanceFeed>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!BinanceFeedOptions.Intervals.Contains(options.Interval))
            throw new ArgumentException($"Binance interval '{options.Interval}' is not one of {string.Join(", ", BinanceFeedOptions.Intervals)}.", nameof(options));
        if (!Uri.TryCreate(options.EffectiveBaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
            throw new ArgumentException($"Binance base URL '{options.EffectiveBaseUrl}' must be a ws:// or wss:// URL.", nameof(options));
        foreach (var symbol in options.Symbols) _symbols.Add(Normalize(symbol));
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public string Kind => "Binance";

    /// <inheritdoc />
    public IReadOnlyList<string> Symbols
    {
        get { lock (_gate) return [.. _symbols]; }
    }

    /// <inheritdoc />
    public long BarsRejected => Interlocked.Read(ref _rejected);

    /// <inheritdoc />
    public FeedStatus Status
    {
        get
        {
            long? last;
            lock (_gate) last = _lastOpenTime.Count == 0 ? null : _lastOpenTime.Values.Max();
            var heard = Interlocked.Read(ref _lastMessageAt);
            return new FeedStatus(Kind, _connected, Interlocked.Read(ref _delivered), Interlocked.Read(ref _rejected), last,
                heard == 0 ? null : (long)Stopwatch.GetElapsedTime(heard).TotalMilliseconds,
                Interlocked.Read(ref _reconnects), Interlocked.Read(ref _malformed), Interlocked.Read(ref _unknown),
                Interlocked.Read(ref _gaps), _lastError);
        }
    }

    [GeneratedRegex(@"^[A-Z0-9]{2,20}\z")] // \z, not $: $ also matches before a final newline
    private static partial Regex SymbolPattern();

    private static string Normalize(string symbol)
    {
        var upper = (symbol ?? "").Trim().ToUpperInvariant();
        if (!SymbolPattern().IsMatch(upper))
            throw new ArgumentException($"'{symbol}' is not a Binance symbol (2-20 letters and digits, e.g. BTCUSDT).", nameof(symbol));
        return upper;
    }

    private string[] StreamsOf(string symbol)
    {
        var lower = symbol.ToLowerInvariant();
        return [$"{lower}@kline_{_options.Interval}", $"{lower}@bookTicker"];
    }

    /// <summary>Starts streaming a symbol on the open connection (SUBSCRIBE); it is also in every later reconnect.</summary>
    public async Task AddSymbolAsync(string symbol, CancellationToken cancellationToken = default)
    {
        var normalized = Normalize(symbol);
        lock (_gate)
            if (!_symbols.Add(normalized)) return;
        await RequestAsync("SUBSCRIBE", StreamsOf(normalized), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops streaming a symbol (UNSUBSCRIBE on the open connection).</summary>
    public async Task RemoveSymbolAsync(string symbol, CancellationToken cancellationToken = default)
    {
        var normalized = Normalize(symbol);
        lock (_gate)
        {
            if (!_symbols.Remove(normalized)) return;
            _books.Remove(normalized); // re-added later, it starts afresh: no stale quote, no false gap
            _lastOpenTime.Remove(normalized);
        }
        await RequestAsync("UNSUBSCRIBE", StreamsOf(normalized), cancellationToken).ConfigureAwait(false);
    }

    // Sends on the current connection; without one, the next connection subscribes to the current set anyway.
    private async Task RequestAsync(string method, IReadOnlyList<string> streams, CancellationToken ct, ClientWebSocket? on = null)
    {
        var socket = on ?? _socket;
        if (socket is not { State: WebSocketState.Open } || streams.Count == 0) return;
        var id = Interlocked.Increment(ref _requestId);
        var json = RequestJson(method, streams, id);
        await _send.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(json, WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
            // The connection is going; its replacement subscribes to the whole set.
        }
        finally
        {
            _send.Release();
        }
    }

    private static byte[] RequestJson(string method, IReadOnlyList<string> streams, long id)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("method", method);
            json.WriteStartArray("params");
            foreach (var stream in streams) json.WriteStringValue(stream);
            json.WriteEndArray();
            json.WriteNumber("id", id);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<MarketData> SubscribeAsync(IReadOnlyCollection<string> symbols,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        FeedSymbols.EnsureKnown(symbols, Symbols, Kind);
        var channel = Channel.CreateUnbounded<MarketData>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var connection = Task.Run(() => MaintainConnectionAsync(channel.Writer, stop.Token), CancellationToken.None);
        try
        {
            await foreach (var bar in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return bar;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await connection.ConfigureAwait(false);
        }
    }

    private async Task MaintainConnectionAsync(ChannelWriter<MarketData> writer, CancellationToken ct)
    {
        var attempt = 0;
        var connectedBefore = false;
        while (!ct.IsCancellationRequested)
        {
            _heardOnThisConnection = false;
            try
            {
                using var socket = new ClientWebSocket();
                socket.Options.KeepAliveInterval = _options.PingInterval;
                using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    connectTimeout.CancelAfter(_options.SilenceTimeout);
                    await socket.ConnectAsync(new Uri(_options.EffectiveBaseUrl + "/stream"), connectTimeout.Token).ConfigureAwait(false);
                }
                if (connectedBefore) Interlocked.Increment(ref _reconnects);
                connectedBefore = true;
                _socket = socket;
                _connected = true;
                // Quotes from before an outage say nothing about now: bid/ask fall back until new book tickers arrive.
                lock (_gate) _books.Clear();
                LogConnected(_options.EffectiveBaseUrl, Symbols.Count);
                await RequestAsync("SUBSCRIBE", Symbols.SelectMany(StreamsOf).ToList(), ct, socket).ConfigureAwait(false);
                await ReceiveAsync(socket, writer, ct).ConfigureAwait(false);
                _lastError = "the server closed the connection";
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (TimeoutException e)
            {
                _lastError = e.Message;
            }
            catch (Exception e)
            {
                _lastError = e.Message;
            }
            finally
            {
                _connected = false;
                _socket = null;
            }
            if (ct.IsCancellationRequested) break;
            if (_heardOnThisConnection) attempt = 0; // a connection that worked starts the backoff afresh, however it ended
            var delay = Backoff(attempt++);
            LogReconnecting(_lastError ?? "unknown", delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        writer.TryComplete();
    }

    private TimeSpan Backoff(int attempt)
    {
        var exponential = _options.ReconnectBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 20));
        var capped = Math.Min(exponential, _options.ReconnectMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + 0.5 * Random.Shared.NextDouble())); // jitter within the cap: clients do not return in step
    }

    // Returns when the server closes; throws TimeoutException after SilenceTimeout without a message.
    private async Task ReceiveAsync(ClientWebSocket socket, ChannelWriter<MarketData> writer, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(ct);
        while (socket.State == WebSocketState.Open)
        {
            buffer.ResetWrittenCount();
            silence.CancelAfter(_options.SilenceTimeout);
            ValueWebSocketReceiveResult result;
            try
            {
                do
                {
                    result = await socket.ReceiveAsync(buffer.GetMemory(8 * 1024), silence.Token).ConfigureAwait(false);
                    buffer.Advance(result.Count);
                }
                while (!result.EndOfMessage);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"no message for {_options.SilenceTimeout.TotalSeconds:0.#} s");
            }
            if (result.MessageType == WebSocketMessageType.Close) return;
            _heardOnThisConnection = true;
            Interlocked.Exchange(ref _lastMessageAt, Stopwatch.GetTimestamp());
            Handle(buffer.WrittenSpan, writer);
        }
    }

    /// <summary>Handles one message; public to the tests through the feed's behaviour only.</summary>
    private void Handle(ReadOnlySpan<byte> utf8, ChannelWriter<MarketData> writer)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8.ToArray());
        }
        catch (JsonException e)
        {
            Interlocked.Increment(ref _malformed);
            LogMalformed(e.Message, Preview(utf8));
            return;
        }
        using (document)
        {
            try
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new FormatException("not a JSON object");
                // Combined streams wrap each event: {"stream": "...", "data": {...}}.
                var data = root.TryGetProperty("data", out var wrapped) && root.TryGetProperty("stream", out _) ? wrapped : root;
                if (data.TryGetProperty("k", out var kline) && Text(data, "e") is "kline" or null)
                    OnKline(kline, writer);
                else if (data.TryGetProperty("b", out _) && data.TryGetProperty("a", out _) && data.TryGetProperty("s", out _))
                    OnBookTicker(data);
                else if (root.TryGetProperty("id", out _) && (root.TryGetProperty("result", out _) || root.TryGetProperty("code", out _)))
                    OnReply(root);
                else
                {
                    Interlocked.Increment(ref _unknown);
                    LogUnknown(Preview(utf8));
                }
            }
            catch (Exception e) when (e is FormatException or KeyNotFoundException or InvalidOperationException or OverflowException or ArgumentException)
            {
                Interlocked.Increment(ref _malformed);
                LogMalformed(e.Message, Preview(utf8));
            }
        }
    }

    private void OnKline(JsonElement k, ChannelWriter<MarketData> writer)
    {
        if (!k.GetProperty("x").GetBoolean()) return; // still forming: only closed klines are bars
        var symbol = Normalize(Text(k, "s") ?? throw new FormatException("kline without a symbol"));
        var openTime = k.GetProperty("t").GetInt64();
        var close = Number(k, "c");
        lock (_gate)
        {
            if (!_symbols.Contains(symbol)) return; // unsubscribed meanwhile
            if (_lastOpenTime.TryGetValue(symbol, out var last))
            {
                if (openTime <= last) return; // sent again after a reconnect: already delivered
                var missing = _options.Interval == "1M" ? MonthsBetween(last, openTime) - 1 : (openTime - last) / _options.IntervalMs - 1;
                if (missing > 0)
                {
                    Interlocked.Increment(ref _gaps);
                    LogGap(symbol, missing, last, openTime);
                }
            }
            _lastOpenTime[symbol] = openTime;
        }
        var (bid, ask) = BookOf(symbol, close);
        var bar = new MarketData(symbol, openTime, Number(k, "o"), Number(k, "h"), Number(k, "l"), close, Number(k, "v"), bid, ask);
        if (bar.Validate() is { } problem)
        {
            Interlocked.Increment(ref _rejected);
            LogRejected(symbol, openTime, problem.Message);
            return;
        }
        writer.TryWrite(bar);
        Interlocked.Increment(ref _delivered);
    }

    private static long MonthsBetween(long fromMs, long toMs)
    {
        var from = DateTimeOffset.FromUnixTimeMilliseconds(fromMs);
        var to = DateTimeOffset.FromUnixTimeMilliseconds(toMs);
        return (to.Year - from.Year) * 12L + to.Month - from.Month;
    }

    private (double Bid, double Ask) BookOf(string symbol, double close)
    {
        lock (_gate)
            if (_books.TryGetValue(symbol, out var book) && book.Bid > 0 && book.Ask >= book.Bid) return book;
        return (close * (1 - FallbackHalfSpread), close * (1 + FallbackHalfSpread));
    }

    private void OnBookTicker(JsonElement data)
    {
        var symbol = Normalize(Text(data, "s")!);
        var book = (Number(data, "b"), Number(data, "a"));
        lock (_gate) _books[symbol] = book;
    }

    private void OnReply(JsonElement root)
    {
        if (root.TryGetProperty("code", out var code))
            LogRequestFailed(root.GetProperty("id").ToString(), code.ToString(), Text(root, "msg") ?? "");
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // Binance sends prices and sizes as decimal strings; parsing them as doubles is correctly rounded.
    private static double Number(JsonElement element, string name)
    {
        var value = element.GetProperty(name);
        return value.ValueKind switch
        {
            JsonValueKind.String => double.Parse(value.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture),
            JsonValueKind.Number => value.GetDouble(),
            _ => throw new FormatException($"'{name}' is not a number"),
        };
    }

    private static string Preview(ReadOnlySpan<byte> utf8) =>
        Encoding.UTF8.GetString(utf8[..Math.Min(utf8.Length, 200)]);

    [LoggerMessage(Level = LogLevel.Information, Message = "Binance: connected to {Url}, subscribing {Count} symbols")]
    private partial void LogConnected(string url, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Binance: connection lost ({Reason}); reconnecting in {DelayMs:0} ms")]
    private partial void LogReconnecting(string reason, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Binance: {Symbol} missed {Missing} bar(s) between {From} and {To}")]
    private partial void LogGap(string symbol, long missing, long from, long to);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Binance: malformed message ({Problem}): {Preview}")]
    private partial void LogMalformed(string problem, string preview);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Binance: unknown message: {Preview}")]
    private partial void LogUnknown(string preview);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Binance: bar {Symbol}@{OpenTime} rejected: {Problem}")]
    private partial void LogRejected(string symbol, long openTime, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Binance: request {Id} failed with code {Code}: {Message}")]
    private partial void LogRequestFailed(string id, string code, string message);
}
