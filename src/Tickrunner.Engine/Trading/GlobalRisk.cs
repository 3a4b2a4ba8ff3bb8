namespace Tickrunner.Engine.Trading;

/// <summary>
/// What every runner of one engine shares: the kill switch (halt, with an optional flatten) and the limits across runners (total
/// notional and open positions). Runners run on different threads, so the counts are reserved and released with
/// <see cref="Interlocked"/> compare-and-swap, never a lock, and nothing allocates.
/// </summary>
public sealed class GlobalRisk
{
    private volatile bool _halted;
    private long _flattenRequests;
    private int _open;
    private double _notional;

    /// <summary>Limits across runners; null leaves one unchecked.</summary>
    public GlobalRisk(double? maxTotalNotional = null, int? maxOpenPositions = null)
    {
        if (maxTotalNotional is { } n && !(double.IsFinite(n) && n > 0))
            throw new ArgumentOutOfRangeException(nameof(maxTotalNotional), n, "MaxTotalNotional must be a finite number > 0.");
        if (maxOpenPositions is < 1) throw new ArgumentOutOfRangeException(nameof(maxOpenPositions), maxOpenPositions, "MaxOpenPositions must be at least 1.");
        MaxTotalNotional = maxTotalNotional;
        MaxOpenPositions = maxOpenPositions;
    }

    /// <summary>Largest sum of the open positions' notional at entry, across runners.</summary>
    public double? MaxTotalNotional { get; }

    /// <summary>Most positions open at once, across runners.</summary>
    public int? MaxOpenPositions { get; }

    /// <summary>True while the kill switch is on: every runner's entries are refused.</summary>
    public bool Halted => _halted;

    /// <summary>How many halts asked to flatten; a runner that sees this change closes its position at its next bar.</summary>
    public long FlattenRequests => Volatile.Read(ref _flattenRequests);

    /// <summary>Positions open across runners.</summary>
    public int OpenPositions => Volatile.Read(ref _open);

    /// <summary>Notional at entry of the open positions across runners.</summary>
    public double TotalNotional => Volatile.Read(ref _notional);

    /// <summary>Turns the kill switch on; <paramref name="flatten"/> also closes every open position at its runner's next bar.</summary>
    public void Halt(bool flatten)
    {
        _halted = true;
        if (flatten) Interlocked.Increment(ref _flattenRequests);
    }

    /// <summary>Turns the kill switch off: entries are checked as before.</summary>
    public void Resume() => _halted = false;

    /// <summary>
    /// Reserves one open position of <paramref name="notional"/>, or says which limit refuses it with the value it would reach
    /// and the threshold. Nothing is reserved when refused.
    /// </summary>
    public RiskLimit? TryReserve(double notional, out double value, out double threshold)
    {
        value = threshold = 0;
        if (MaxOpenPositions is { } maxOpen)
        {
            while (true)
            {
                var open = Volatile.Read(ref _open);
                if (open >= maxOpen)
                {
                    value = open + 1;
                    threshold = maxOpen;
                    return RiskLimit.MaxOpenPositions;
                }
                if (Interlocked.CompareExchange(ref _open, open + 1, open) == open) break;
            }
        }
        else
        {
            Interlocked.Increment(ref _open);
        }
        while (true)
        {
            var total = Volatile.Read(ref _notional);
            var next = total + notional;
            if (MaxTotalNotional is { } max && next > max)
            {
                Interlocked.Decrement(ref _open);
                value = next;
                threshold = max;
                return RiskLimit.MaxTotalNotional;
            }
            if (Interlocked.CompareExchange(ref _notional, next, total).Equals(total)) return null;
        }
    }

    /// <summary>Counts a position that is open already (one restored after a restart), whatever the limits.</summary>
    public void Add(double notional)
    {
        Interlocked.Increment(ref _open);
        AddNotional(notional);
    }

    /// <summary>Releases a position reserved or added before.</summary>
    public void Release(double notional)
    {
        Interlocked.Decrement(ref _open);
        AddNotional(-notional);
    }

    private void AddNotional(double delta)
    {
        while (true)
        {
            var total = Volatile.Read(ref _notional);
            if (Interlocked.CompareExchange(ref _notional, total + delta, total).Equals(total)) return;
        }
    }
}
