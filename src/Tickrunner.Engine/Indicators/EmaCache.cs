using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tickrunner.Engine.Indicators;

/// <summary>
/// The EMAs a strategy asks for over its window, computed faster but to exactly <see cref="Ema.Last"/>'s numbers: each
/// value is the same sequence of IEEE operations over the same closes, only done at another time or in another lane.
/// Allocates nothing after construction. Not thread-safe (one per strategy).
/// </summary>
/// <remarks>
/// An EMA over a full window is re-seeded from a different bar on every bar, so nothing carries over from one bar's
/// value to the next; and each step waits for the previous one (a multiply, then an add), so one chain leaves the
/// core mostly idle. Two things fill it:
/// <list type="bullet">
/// <item>Staggered bars. On a full window, the chains of this bar and of the next three bars are computed together, one
/// per lane of a 4-wide vector (lane k's window is this window shifted by k bars, so the lanes read four consecutive
/// closes), up to the last close known now. Each of the four bars then finishes its own lane with its last three
/// steps. So a full chain is paid once per four bars.</item>
/// <item>Paired periods. Strategies ask for the same periods on every bar (a fast and a slow EMA): the period asked for
/// with this one on earlier calls is computed alongside it, in the same loop. The values of the call in progress are
/// kept, so the second request is free.</item>
/// </list>
/// </remarks>
internal sealed class EmaCache
{
    private const int Lanes = 4;
    private const int Tail = Lanes - 1; // the steps each bar of a block finishes itself

    // Values of the call stamped _stamp: (period, value); period 0 is empty.
    private readonly int[] _periods = new int[2];
    private readonly double[] _values = new double[2];
    private long _stamp = -1;

    // The two most recent distinct periods asked for, the newest first (0: none), across calls.
    private int _recent0, _recent1;

    // The block of four bars: its window, the window's TotalPushed at its first bar, its periods (0: none) and the lanes'
    // chains, each done up to the step before the last three of its bar.
    private MarketDataWindow? _blockWindow;
    private long _blockPushed;
    private int _blockA, _blockB;
    private Vector256<double> _lanesA, _lanesB;

    /// <summary>
    /// EMA(<paramref name="period"/>) of <paramref name="window"/>'s closes. <paramref name="call"/> stamps one strategy
    /// call: the window must not change between two requests with the same stamp.
    /// </summary>
    public double? Last(MarketDataWindow? window, int period, long call)
    {
        Period.Check(period);
        if (call != _stamp)
        {
            _stamp = call;
            _periods[0] = _periods[1] = 0;
        }
        Remember(period);
        var closes = window is null ? default : window.Closes();
        if (closes.Length < period) return null;
        if (_periods[0] == period) return _values[0];
        if (_periods[1] == period) return _values[1];

        var partner = _recent0 != period ? _recent0 : _recent1;
        double value;
        if (window!.Count == window.MaxSize && period + Tail <= closes.Length)
        {
            var k = window.TotalPushed - _blockPushed;
            if (!ReferenceEquals(window, _blockWindow) || k is < 0 or > Tail || (period != _blockA && period != _blockB))
            {
                StartBlock(window, closes, period, partner != period && partner + Tail <= closes.Length ? partner : 0);
                k = 0;
            }
            value = Finish(closes, period, (period == _blockA ? _lanesA : _lanesB).GetElement((int)k));
        }
        else if (partner != 0 && partner != period && partner <= closes.Length && _periods[0] != partner && _periods[1] != partner)
        {
            Ema.LastTwo(closes, period, partner, out value, out var other);
            Store(partner, other);
        }
        else
        {
            value = Ema.Last(closes, period)!.Value;
        }
        Store(period, value);
        return value;
    }

    // The last Tail steps of the chain, over this bar's window: the scalar loop of Ema.Last.
    private static double Finish(ReadOnlySpan<double> closes, int period, double ema)
    {
        var alpha = 2.0 / (period + 1);
        for (var i = closes.Length - Tail; i < closes.Length; i++)
            ema = alpha * closes[i] + (1 - alpha) * ema;
        return ema;
    }

    // Lane k is the window Ema.Last will see k bars from now, closes[k..] now: the seed (Sma.Mean, summed in the same
    // order), then every step up to closes.Length - Tail - 1 in this window's terms, the same multiply and add per lane.
    private void StartBlock(MarketDataWindow window, ReadOnlySpan<double> closes, int period, int partner)
    {
        _blockWindow = window;
        _blockPushed = window.TotalPushed;
        var (shorter, longer) = partner == 0 || period <= partner ? (period, partner) : (partner, period);
        ref var c = ref MemoryMarshal.GetReference(closes);
        var end = closes.Length - Tail; // steps j < end: lane 3 reads closes[j + 3], the newest close at most

        var alphaA = Vector256.Create(2.0 / (shorter + 1));
        var betaA = Vector256.Create(1 - 2.0 / (shorter + 1));
        var a = Seed(ref c, shorter);
        var j = shorter;
        if (longer == 0)
        {
            for (; j < end; j++) a = alphaA * Vector256.LoadUnsafe(ref c, (nuint)j) + betaA * a;
            (_blockA, _lanesA, _blockB) = (shorter, a, 0);
            return;
        }
        var alphaB = Vector256.Create(2.0 / (longer + 1));
        var betaB = Vector256.Create(1 - 2.0 / (longer + 1));
        var b = Seed(ref c, longer);
        for (; j < longer; j++) a = alphaA * Vector256.LoadUnsafe(ref c, (nuint)j) + betaA * a;
        for (; j < end; j++)
        {
            var x = Vector256.LoadUnsafe(ref c, (nuint)j);
            a = alphaA * x + betaA * a;
            b = alphaB * x + betaB * b;
        }
        (_blockA, _lanesA, _blockB, _lanesB) = (shorter, a, longer, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Seed(ref double c, int period)
    {
        var sum = Vector256<double>.Zero;
        for (var i = 0; i < period; i++) sum += Vector256.LoadUnsafe(ref c, (nuint)i);
        return sum / Vector256.Create((double)period);
    }

    private void Remember(int period)
    {
        if (period == _recent0) return;
        _recent1 = _recent0;
        _recent0 = period;
    }

    // Into an empty slot, else over the second.
    private void Store(int period, double value)
    {
        var slot = _periods[0] == 0 || _periods[0] == period ? 0 : 1;
        _periods[slot] = period;
        _values[slot] = value;
    }
}
