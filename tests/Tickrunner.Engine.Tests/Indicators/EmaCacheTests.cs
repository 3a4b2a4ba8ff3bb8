using Tickrunner.Engine.Indicators;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Tests;

/// <summary>The two-chain EMA and the per-call EMA cache give exactly <see cref="Ema.Last"/>'s numbers, bit for bit.</summary>
public class EmaCacheTests
{
    private static double[] RandomWalk(int seed, int length)
    {
        var rng = new Random(seed);
        var prices = new double[length];
        prices[0] = 100 + rng.NextDouble() * 50_000;
        for (var i = 1; i < length; i++) prices[i] = prices[i - 1] * (1 + (rng.NextDouble() - 0.5) * 0.04);
        return prices;
    }

    private static void Same(double? expected, double? actual, string what)
    {
        Assert.Equal(expected.HasValue, actual.HasValue);
        if (expected is { } e)
            Assert.True(BitConverter.DoubleToInt64Bits(e) == BitConverter.DoubleToInt64Bits(actual!.Value),
                $"{what}: {e:R} expected, {actual.Value:R} computed");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Two_interleaved_emas_equal_two_single_ones(int seed)
    {
        var rng = new Random(seed);
        var xs = RandomWalk(seed, 300);
        for (var n = 0; n < 400; n++)
        {
            var length = rng.Next(1, xs.Length + 1);
            var values = xs.AsSpan(rng.Next(0, xs.Length - length + 1), length);
            var first = rng.Next(1, length + 1);
            var second = n % 10 == 0 ? first : rng.Next(1, length + 1);
            Ema.LastTwo(values, first, second, out var a, out var b);
            Same(Ema.Last(values, first), a, $"EMA({first}) of {length} values");
            Same(Ema.Last(values, second), b, $"EMA({second}) of {length} values");
        }
    }

    public static TheoryData<int, int> Windows => new() { { 1, 100 }, { 2, 100 }, { 3, 23 }, { 4, 7 }, { 5, 4 }, { 6, 1 }, { 7, 250 } };

    [Theory]
    [MemberData(nameof(Windows))]
    public void Cached_emas_over_a_sliding_window_equal_the_from_scratch_ones(int seed, int windowSize)
    {
        var rng = new Random(seed);
        var xs = RandomWalk(seed, 3_000);
        var windows = new[] { new MarketDataWindow(windowSize), new MarketDataWindow(windowSize) };
        var cache = new EmaCache();
        int[] usual = [Math.Max(1, windowSize / 10), Math.Max(1, windowSize / 5)];
        for (var bar = 0; bar < xs.Length; bar++)
        {
            // Mostly one window bar after bar, as a runner has; sometimes a cleared one, or another window.
            var window = windows[bar % 500 < 480 ? 0 : 1];
            if (bar % 1000 == 999) window.Clear();
            window.Push(new Engine.MarketData("X", bar, xs[bar], xs[bar], xs[bar], xs[bar], 1, xs[bar], xs[bar]));
            var closes = window.Closes();
            // Mostly the same two periods, as strategies ask, on most bars; sometimes others, repeats, and periods
            // longer than the window.
            var requests = bar % 7 == 3 ? 0 : rng.Next(1, 6);
            for (var r = 0; r < requests; r++)
            {
                var period = rng.Next(6) switch { < 4 => usual[r % 2], 4 => rng.Next(1, windowSize + 1), _ => rng.Next(1, windowSize + 30) };
                Same(Ema.Last(closes, period), cache.Last(window, period, bar), $"bar {bar}, window {windowSize}, EMA({period})");
            }
        }
        Assert.Null(cache.Last(null, 3, -5));
    }

    [Fact]
    public void A_strategy_sees_the_same_emas_as_the_indicator()
    {
        using var strategy = LuaStrategy.FromCode("emas", """
            function detect_opportunity(market_data, context, indicators)
              context.fast = indicators.ema(10)
              context.slow = indicators.ema(20)
              context.again = indicators.ema(10)
              context.other = indicators.ema(7)
              context.long = indicators.ema(150)
              return nil
            end
            function filter_commitment() return nil end
            function manage_position() return nil end
            """);
        var xs = RandomWalk(7, 400);
        var window = new MarketDataWindow(100);
        for (var bar = 0; bar < xs.Length; bar++)
        {
            var data = new Engine.MarketData("X", bar, xs[bar], xs[bar], xs[bar], xs[bar], 1, xs[bar], xs[bar]);
            window.Push(data);
            Assert.Equal(StrategySignal.None, strategy.OnTick(TradingState.Idle, data, window).Signal);
            var context = strategy.ContextScalars();
            var closes = window.Closes();
            foreach (var (key, period) in new[] { ("fast", 10), ("slow", 20), ("again", 10), ("other", 7) })
                Same(Ema.Last(closes, period), context.TryGetValue(key, out var v) ? (double)v : null, $"bar {bar}, {key}");
            Assert.False(context.ContainsKey("long"));
        }
    }
}
