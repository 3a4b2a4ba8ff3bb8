using System.Globalization;

namespace Tickrunner.Engine.Trading;

/// <summary>The limits of <see cref="RiskLimits"/>, by their wire names (<see cref="RiskNames"/>).</summary>
public enum RiskLimit : byte
{
    /// <summary><c>max_position_notional</c>.</summary>
    MaxPositionNotional,
    /// <summary><c>max_quantity</c>.</summary>
    MaxQuantity,
    /// <summary><c>max_entries_per_hour</c>.</summary>
    MaxEntriesPerHour,
    /// <summary><c>daily_loss_limit</c>.</summary>
    DailyLossLimit,
    /// <summary><c>max_drawdown_pct</c>.</summary>
    MaxDrawdownPct,
    /// <summary><c>halt</c>: the engine's kill switch is on (<see cref="GlobalRisk"/>).</summary>
    Halt,
    /// <summary><c>max_total_notional</c>, across runners.</summary>
    MaxTotalNotional,
    /// <summary><c>max_open_positions</c>, across runners.</summary>
    MaxOpenPositions,
}

/// <summary>What a limit did when it was hit: refused an entry, blocked entries for the day, flattened, or stopped the runner.</summary>
public enum RiskAction : byte
{
    /// <summary>An <c>enter_long</c> was refused.</summary>
    EnterLong,
    /// <summary>An <c>enter_short</c> was refused.</summary>
    EnterShort,
    /// <summary>The daily loss limit was reached with no position to close: entries stop until the next UTC day.</summary>
    BlockEntries,
    /// <summary>The daily loss limit was reached: the position was closed and entries stop until the next UTC day.</summary>
    Flatten,
    /// <summary>The maximum drawdown was reached: the position was closed and the runner stops.</summary>
    Stop,
}

/// <summary>The wire names of limits and risk actions.</summary>
public static class RiskNames
{
    private static readonly string[] Limits =
        ["max_position_notional", "max_quantity", "max_entries_per_hour", "daily_loss_limit", "max_drawdown_pct", "halt", "max_total_notional", "max_open_positions"];
    private static readonly string[] Actions = ["enter_long", "enter_short", "block_entries", "flatten", "stop"];

    /// <summary>The wire name of <paramref name="limit"/>, e.g. <c>max_quantity</c>.</summary>
    public static string Of(RiskLimit limit) => Limits[(int)limit];

    /// <summary>The wire name of <paramref name="action"/>, e.g. <c>enter_long</c>.</summary>
    public static string Of(RiskAction action) => Actions[(int)action];

    /// <summary>Every limit, in enum order.</summary>
    public static IReadOnlyList<RiskLimit> AllLimits { get; } = Enum.GetValues<RiskLimit>();
}

/// <summary>
/// One time a limit was hit: which, the value that hit it, its threshold and what it did. For refusals the value is the
/// entry's notional or quantity, or the entries of the last hour, or the day's loss (a positive number); for the drawdown,
/// the drawdown in percent.
/// </summary>
public readonly record struct RiskHit(RiskLimit Limit, double Value, double Threshold, RiskAction Action)
{
    /// <summary>The limit's wire name.</summary>
    public string LimitName => RiskNames.Of(Limit);

    /// <summary>The action's wire name.</summary>
    public string ActionName => RiskNames.Of(Action);
}

/// <summary>What the guard wants done at a bar's close.</summary>
public enum RiskCloseAction : byte
{
    /// <summary>Nothing.</summary>
    None,
    /// <summary>Close the open position ("daily loss limit"); the runner goes on.</summary>
    Flatten,
    /// <summary>Close the open position ("max drawdown") and stop the runner.</summary>
    Stop,
    /// <summary>Close the open position ("halt"): the engine was halted with flatten.</summary>
    Halt,
}

/// <summary>What a guard resumes with after a restart or a reload (<see cref="RiskGuard.Capture"/>).</summary>
public sealed record RiskState(long NextDay, double DayStartEquity, bool EntriesBlocked, double PeakEquity, bool Stopped,
    IReadOnlyList<long> EntryTimes, IReadOnlyList<long> Rejections);

/// <summary>
/// Enforces one runner's <see cref="RiskLimits"/> by bar time (docs/backtesting.md §2.4): refuses entries before they fill,
/// keeps the entries of the last hour in a fixed ring, the equity at the start of the UTC day and the equity peak, and
/// says at each close whether to flatten or stop. One per <c>TickProcessor</c>; nothing on the per-bar path allocates.
/// </summary>
public sealed class RiskGuard
{
    /// <summary>The window of <see cref="RiskLimits.MaxEntriesPerHour"/>, in ms of bar time.</summary>
    public const long HourMs = 3_600_000;

    /// <summary>A UTC day in ms.</summary>
    public const long DayMs = 86_400_000;

    // The hits of the bar in progress: a refusal at the open, a manual action's and the strategy's at the close, and the
    // close's three checks at most.
    private const int MaxHitsPerBar = 8;

    private readonly RiskLimits _limits;
    private readonly long[]? _entries; // bar times of the last entries, a ring of MaxEntriesPerHour slots
    private int _oldest, _entryCount;
    private static readonly int LimitCount = Enum.GetValues<RiskLimit>().Length;
    private readonly long[] _rejections = new long[LimitCount];
    private readonly GlobalRisk? _global;
    private readonly RiskHit[] _hits = new RiskHit[MaxHitsPerBar];
    private int _hitCount;
    private long _nextDay = long.MinValue;

    /// <summary>
    /// A guard for <paramref name="limits"/> over an account whose equity is <paramref name="equity"/> now (the first peak),
    /// and for the engine's kill switch and limits across runners when <paramref name="global"/> is given.
    /// </summary>
    public RiskGuard(RiskLimits limits, double equity, GlobalRisk? global = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _limits = limits;
        _global = global;
        FlattenSeen = global?.FlattenRequests ?? 0; // a flatten asked before this runner existed is not its own
        if (limits.MaxEntriesPerHour is { } perHour) _entries = new long[Math.Clamp(perHour, 1, RiskLimits.MaxEntriesPerHourLimit)];
        PeakEquity = equity;
        DayStartEquity = equity;
    }

    /// <summary>The limits enforced.</summary>
    public RiskLimits Limits => _limits;

    /// <summary>
    /// The engine's flatten requests (<see cref="GlobalRisk.FlattenRequests"/>) this guard has answered; a new instance of the same
    /// runner in the same process goes on from its predecessor's. Not stored: the count starts again with the process.
    /// </summary>
    internal long FlattenSeen { get; set; }

    /// <summary>The engine's shared kill switch and limits, or null (a backtest).</summary>
    public GlobalRisk? Global => _global;

    /// <summary>
    /// A guard for other limits that goes on from this one's state (the day, its block, the peak, the entries of the last hour,
    /// the counts and the flatten requests answered): a live change of a runner's limits.
    /// </summary>
    public RiskGuard WithLimits(RiskLimits limits, double equity)
    {
        var next = new RiskGuard(limits, equity, _global) { FlattenSeen = FlattenSeen };
        next.Restore(Capture() with { Stopped = false }, equity);
        next.PeakEquity = PeakEquity;
        next.Stopped = Stopped;
        return next;
    }

    /// <summary>True when the daily loss limit was reached today: entries are refused until the next UTC day.</summary>
    public bool EntriesBlocked { get; private set; }

    /// <summary>Equity when the current UTC day's first bar arrived.</summary>
    public double DayStartEquity { get; private set; }

    /// <summary>The highest equity at a close since the runner started (followed with or without <see cref="RiskLimits.MaxDrawdownPct"/>).</summary>
    public double PeakEquity { get; private set; }

    /// <summary>True once the maximum drawdown was reached.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Entries refused by <paramref name="limit"/>.</summary>
    public long Rejections(RiskLimit limit) => _rejections[(int)limit];

    /// <summary>The hits of the last processed bar, in the order they happened.</summary>
    public ReadOnlySpan<RiskHit> Hits => _hits.AsSpan(0, _hitCount);

    /// <summary>
    /// Starts bar time <paramref name="timestamp"/> with the account at <paramref name="equity"/> (marked at the previous close):
    /// the first bar of a UTC day takes it as the day's start equity and lifts the day's block.
    /// </summary>
    public void BeginBar(long timestamp, double equity)
    {
        _hitCount = 0;
        if (timestamp < _nextDay || _limits.DailyLossLimit is null) return;
        var intoDay = timestamp % DayMs;
        if (intoDay < 0) intoDay += DayMs;
        _nextDay = timestamp - intoDay + DayMs;
        DayStartEquity = equity;
        EntriesBlocked = false;
    }

    /// <summary>
    /// Why <paramref name="action"/> (a valid entry filling at <paramref name="fill"/> at bar time <paramref name="timestamp"/>, the
    /// account flat at <paramref name="equity"/>) is refused, or null. A refusal is counted and recorded as a hit; with
    /// <paramref name="detailed"/> false its text is a constant (nobody reads it, and a refusal per bar must not format one).
    /// </summary>
    public string? CheckEntry(in TradingAction action, double fill, long timestamp, double equity, bool detailed)
    {
        if (_global is { Halted: true }) return Refuse(action, RiskLimit.Halt, 0, 0, detailed);
        var limits = _limits;
        if (limits.DailyLossLimit is { } dailyLimit)
        {
            var loss = DayStartEquity - equity;
            if (EntriesBlocked || loss >= dailyLimit)
            {
                EntriesBlocked = true;
                return Refuse(action, RiskLimit.DailyLossLimit, loss, dailyLimit, detailed);
            }
        }
        if (_entries is { } ring)
        {
            var recent = EntriesInLastHour(timestamp);
            if (recent >= ring.Length) return Refuse(action, RiskLimit.MaxEntriesPerHour, recent, ring.Length, detailed);
        }
        if (limits.MaxQuantity is { } maxQuantity && action.Quantity > maxQuantity)
            return Refuse(action, RiskLimit.MaxQuantity, action.Quantity, maxQuantity, detailed);
        if (limits.MaxPositionNotional is { } maxNotional && fill * action.Quantity is var notional && notional > maxNotional)
            return Refuse(action, RiskLimit.MaxPositionNotional, notional, maxNotional, detailed);
        return null;
    }

    /// <summary>
    /// Reserves the engine-wide room for an entry of <paramref name="notional"/> that passed every other check (the last one,
    /// as it takes the room); why it is refused, or null. Without a <see cref="Global"/> nothing is checked.
    /// </summary>
    public string? Reserve(in TradingAction action, double notional, bool detailed)
    {
        if (_global is not { } global || global.TryReserve(notional, out var value, out var threshold) is not { } limit) return null;
        return Refuse(action, limit, value, threshold, detailed);
    }

    /// <summary>Records an entry that filled at bar time <paramref name="timestamp"/>.</summary>
    public void Entered(long timestamp)
    {
        if (_entries is not { } ring) return;
        EntriesInLastHour(timestamp);
        if (_entryCount == ring.Length)
        {
            // Only a restore with a smaller limit gets here (a full ring refuses entries): the oldest makes room.
            _oldest = (_oldest + 1) % ring.Length;
            _entryCount--;
        }
        ring[(_oldest + _entryCount) % ring.Length] = timestamp;
        _entryCount++;
    }

    /// <summary>
    /// Checks the close of bar time <paramref name="timestamp"/> with the account at <paramref name="equity"/> (the position
    /// marked at the close): the day's loss, then the drawdown from the peak. Says whether the open position, if
    /// <paramref name="hasPosition"/>, is to be closed, and whether the runner stops.
    /// </summary>
    public RiskCloseAction AtClose(double equity, long timestamp, bool hasPosition)
    {
        var limits = _limits;
        var action = RiskCloseAction.None;
        if (limits.DailyLossLimit is { } dailyLimit && !EntriesBlocked && DayStartEquity - equity is var loss && loss >= dailyLimit)
        {
            EntriesBlocked = true;
            var flatten = limits.FlattenOnDailyLoss && hasPosition;
            Hit(new RiskHit(RiskLimit.DailyLossLimit, loss, dailyLimit, flatten ? RiskAction.Flatten : RiskAction.BlockEntries));
            if (flatten) action = RiskCloseAction.Flatten;
        }
        if (_global is { } global && global.FlattenRequests != FlattenSeen)
        {
            FlattenSeen = global.FlattenRequests;
            // Only while the halt is still on: a resume before this runner's next bar takes the flatten back.
            if (global.Halted && hasPosition && action == RiskCloseAction.None)
            {
                Hit(new RiskHit(RiskLimit.Halt, 0, 0, RiskAction.Flatten));
                action = RiskCloseAction.Halt;
            }
        }
        // The peak is followed whether or not the limit is set, so a limit added later (PATCH) measures from the true peak.
        if (equity > PeakEquity) PeakEquity = equity;
        if (limits.MaxDrawdownPct is { } maxDrawdown)
        {
            var drawdown = PeakEquity > 0 ? (1 - equity / PeakEquity) * 100 : 0;
            if (drawdown >= maxDrawdown)
            {
                Stopped = true;
                Hit(new RiskHit(RiskLimit.MaxDrawdownPct, drawdown, maxDrawdown, RiskAction.Stop));
                action = RiskCloseAction.Stop;
            }
        }
        return action;
    }

    /// <summary>The state a new instance of the runner resumes with.</summary>
    public RiskState Capture()
    {
        var times = new long[_entryCount];
        for (var i = 0; i < _entryCount; i++) times[i] = _entries![(_oldest + i) % _entries.Length];
        return new RiskState(_nextDay, DayStartEquity, EntriesBlocked, PeakEquity, Stopped, times, _rejections.ToArray());
    }

    /// <summary>
    /// Resumes <paramref name="state"/> (the day, its start equity and block, the entries of the last hour, the counts, the
    /// peak) with the account at <paramref name="equity"/>. After a maximum-drawdown stop the peak starts again from
    /// <paramref name="equity"/>: starting the runner again is the decision to go on from there.
    /// </summary>
    public void Restore(RiskState? state, double equity)
    {
        if (state is null)
        {
            PeakEquity = DayStartEquity = equity;
            return;
        }
        _nextDay = state.NextDay;
        DayStartEquity = state.DayStartEquity;
        EntriesBlocked = state.EntriesBlocked;
        PeakEquity = state.Stopped ? equity : Math.Max(state.PeakEquity, equity);
        for (var i = 0; i < _rejections.Length && i < state.Rejections.Count; i++) _rejections[i] = state.Rejections[i];
        _oldest = _entryCount = 0;
        foreach (var t in state.EntryTimes) Entered(t);
    }

    private int EntriesInLastHour(long timestamp)
    {
        var ring = _entries!;
        while (_entryCount > 0 && timestamp - ring[_oldest] >= HourMs)
        {
            _oldest = (_oldest + 1) % ring.Length;
            _entryCount--;
        }
        return _entryCount;
    }

    private string Refuse(in TradingAction action, RiskLimit limit, double value, double threshold, bool detailed)
    {
        _rejections[(int)limit]++;
        Hit(new RiskHit(limit, value, threshold, action.Kind == ActionKind.EnterShort ? RiskAction.EnterShort : RiskAction.EnterLong));
        if (!detailed) return ShortTexts[(int)limit];
        return limit switch
        {
            RiskLimit.DailyLossLimit => string.Create(CultureInfo.InvariantCulture,
                $"{action.Name}: risk limit daily_loss_limit: the day's loss is {value:0.########}, the limit is {threshold:0.########}; no new entries until 00:00 UTC"),
            RiskLimit.MaxEntriesPerHour => string.Create(CultureInfo.InvariantCulture,
                $"{action.Name}: risk limit max_entries_per_hour: {value:0} entries in the last hour, the limit is {threshold:0}"),
            RiskLimit.MaxQuantity => string.Create(CultureInfo.InvariantCulture,
                $"{action.Name}: risk limit max_quantity: quantity {value:0.########} is above the limit of {threshold:0.########}"),
            RiskLimit.Halt => $"{action.Name}: the engine is halted; no new entries until it is resumed",
            RiskLimit.MaxOpenPositions => string.Create(CultureInfo.InvariantCulture,
                $"{action.Name}: risk limit max_open_positions: this would be open position {value:0} across runners, the limit is {threshold:0}"),
            RiskLimit.MaxTotalNotional => string.Create(CultureInfo.InvariantCulture,
                $"{action.Name}: risk limit max_total_notional: the open notional across runners would be {value:0.########}, the limit is {threshold:0.########}"),
            _ => string.Create(CultureInfo.InvariantCulture,
                $"{action.Name}: risk limit max_position_notional: notional {value:0.########} is above the limit of {threshold:0.########}"),
        };
    }

    private static readonly string[] ShortTexts =
    [
        "risk limit max_position_notional", "risk limit max_quantity", "risk limit max_entries_per_hour", "risk limit daily_loss_limit", "risk limit max_drawdown_pct",
        "the engine is halted", "risk limit max_total_notional", "risk limit max_open_positions",
    ];

    private void Hit(in RiskHit hit)
    {
        if (_hitCount < MaxHitsPerBar) _hits[_hitCount++] = hit;
    }
}
