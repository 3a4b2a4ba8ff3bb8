using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Tickrunner.Engine.Feeds;

/// <summary>Random-walk bars for several symbols at once, each paced by its own interval (the default feed).</summary>
/// <remarks>Each subscription runs its own copy of the simulation from the start, so equal seeds give equal bars.</remarks>
public sealed class SimulatedFeed : IMarketDataFeed
{
    private readonly SimulatedFeedOptions _options;
    private readonly FeedCounters _counters = new();

    /// <summary>Creates the feed; throws when a symbol's settings are out of range.</summary>
    public SimulatedFeed(SimulatedFeedOptions? options = null)
    {
        _options = options ?? new SimulatedFeedOptions();
        if (_options.TickInterval < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), _options.TickInterval, "TickInterval must not be negative.");
        var symbols = _options.EffectiveSymbols.Select(s => s.Symbol).ToList();
        if (symbols.Distinct(StringComparer.Ordinal).Count() != symbols.Count)
            throw new ArgumentException("Each simulated symbol may appear only once.", nameof(options));
        Symbols = symbols;
        foreach (var symbol in _options.EffectiveSymbols) CreateSeries(symbol, 0); // validates every symbol now
    }

    /// <inheritdoc />
    public string Kind => "Simulated";

    /// <inheritdoc />
    public IReadOnlyList<string> Symbols { get; }

    /// <inheritdoc />
    public FeedStatus Status => _counters.Snapshot(Kind);

    /// <inheritdoc />
    public long BarsRejected => _counters.RejectedCount;

    /// <summary>The series a subscription would produce for one symbol, without pacing (for tests and backtests).</summary>
    public SimulatedSeries CreateSeries(string symbol, long startTimestamp)
    {
        var settings = _options.EffectiveSymbols.FirstOrDefault(s => s.Symbol == symbol)
            ?? throw new ArgumentException($"Symbol '{symbol}' is not simulated by this feed.", nameof(symbol));
        return CreateSeries(settings, startTimestamp);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SimulatedSeries> _latest = new(StringComparer.Ordinal);

    /// <summary>
    /// The last close of each symbol a subscription has streamed, and the price decimals it used: what a later run continues
    /// from (the server keeps them across restarts, so the market moves on instead of replaying the same path).
    /// </summary>
    public IReadOnlyDictionary<string, (double Close, int Decimals)> LastCloses() =>
        _latest.ToDictionary(p => p.Key, p => (p.Value.LastClose, p.Value.PriceDecimals), StringComparer.Ordinal);

    /// <inheritdoc />
    public async IAsyncEnumerable<MarketData> SubscribeAsync(IReadOnlyCollection<string> symbols,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        FeedSymbols.EnsureKnown(symbols, Symbols, Kind);
        var start = _options.StartTimestamp ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var channel = Channel.CreateBounded<MarketData>(new BoundedChannelOptions(1024)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // our own producers: they wait for the reader, nothing is lost
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producers = symbols.Distinct(StringComparer.Ordinal)
            .Select(symbol => ProduceAsync(_latest[symbol] = CreateSeries(symbol, start), IntervalOf(symbol), channel.Writer, stop.Token))
            .ToArray();
        var completion = Task.WhenAll(producers).ContinueWith(
            t => channel.Writer.TryComplete(t.Exception?.GetBaseException()), TaskScheduler.Default);
        _counters.SubscriptionStarted();
        try
        {
            await foreach (var bar in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                cancellationToken.ThrowIfCancellationRequested(); // ReadAllAsync drains its buffer before it looks
                _counters.Delivered(bar.Timestamp);
                yield return bar;
            }
        }
        finally
        {
            _counters.SubscriptionEnded();
            await stop.CancelAsync().ConfigureAwait(false);
            await completion.ConfigureAwait(false);
        }
    }

    private TimeSpan IntervalOf(string symbol) =>
        _options.EffectiveSymbols.First(s => s.Symbol == symbol).TickInterval ?? _options.TickInterval;

    private SimulatedSeries CreateSeries(SimulatedSymbol settings, long startTimestamp)
    {
        var interval = settings.TickInterval ?? _options.TickInterval;
        if (interval < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(settings), interval, $"{settings.Symbol}: TickInterval must not be negative.");
        var seed = settings.Seed ?? SimulatedSeries.DeriveSeed(_options.Seed, settings.Symbol);
        // A bar's timestamp advances by the interval (1 ms when unpaced), so timestamps stay strictly increasing.
        return new SimulatedSeries(settings, seed, startTimestamp, interval);
    }

    private async Task ProduceAsync(SimulatedSeries series, TimeSpan interval, ChannelWriter<MarketData> writer, CancellationToken ct)
    {
        using var timer = interval > TimeSpan.Zero ? new PeriodicTimer(interval) : null;
        var max = _options.MaxBarsPerSymbol ?? long.MaxValue;
        try
        {
            for (long i = 0; i < max; i++)
            {
                await writer.WriteAsync(series.Next(), ct).ConfigureAwait(false);
                if (timer is not null && !await timer.WaitForNextTickAsync(ct).ConfigureAwait(false)) break;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Unsubscribed: a normal end.
        }
    }
}
