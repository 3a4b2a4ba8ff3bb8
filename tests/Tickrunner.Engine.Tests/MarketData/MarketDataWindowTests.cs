namespace Tickrunner.Engine.Tests;

public class MarketDataWindowTests
{
    private static Engine.MarketData Bar(int i, double volume = 1) =>
        new("X", i, 10 + i, 12 + i, 9 + i, 11 + i, volume, 0, 0);

    [Fact]
    public void Size_zero_is_rejected_with_a_clear_message()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MarketDataWindow(0));
        Assert.Contains("at least 1 bar", e.Message);
    }

    [Fact]
    public void Empty_window_has_no_values()
    {
        var w = new MarketDataWindow(5);
        Assert.True(w.IsEmpty);
        Assert.Null(w.Latest);
        Assert.Null(w.Oldest);
        Assert.Null(w.High(3));
        Assert.Null(w.Low(3));
        Assert.Null(w.Range(3));
        Assert.Null(w.AvgVolume(3));
        Assert.Equal(0, w.Closes(3).Length);
    }

    [Fact]
    public void Period_zero_has_no_value_and_negative_period_throws()
    {
        var w = new MarketDataWindow(5);
        w.Push(Bar(1));
        Assert.Null(w.High(0));
        Assert.Null(w.AvgVolume(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.High(-1));
    }

    [Fact]
    public void Evicts_oldest_first_and_keeps_order()
    {
        var w = new MarketDataWindow(3);
        for (var i = 0; i < 7; i++) w.Push(Bar(i));
        Assert.Equal(3, w.Count);
        Assert.Equal(7, w.TotalPushed);
        Assert.Equal(4, w.Oldest!.Value.Timestamp);
        Assert.Equal(6, w.Latest!.Value.Timestamp);
        Assert.Equal([4L, 5L, 6L], w.ToArray(10).Select(b => b.Timestamp));
        Assert.Equal([5L, 6L], w.ToArray(2).Select(b => b.Timestamp));
        Assert.Equal([15.0, 16.0, 17.0], w.Closes().ToArray());
        Assert.Equal(5, w[1].Timestamp);
        Assert.Throws<ArgumentOutOfRangeException>(() => w[3]);
    }

    [Fact]
    public void Queries_cover_the_newest_min_period_len_bars()
    {
        var w = new MarketDataWindow(10);
        for (var i = 0; i < 4; i++) w.Push(Bar(i, volume: i + 1));
        Assert.Equal(15, w.High(2));      // newest two: highs 14, 15
        Assert.Equal(11, w.Low(2));       // lows 11, 12
        Assert.Equal(4, w.Range(2));
        Assert.Equal(3.5, w.AvgVolume(2));
        Assert.Equal(15, w.High(100));    // period beyond len → whole window
        Assert.Equal(9, w.Low(100));
        Assert.Equal(2.5, w.AvgVolume(100));
        Assert.Equal([13.0, 14.0], w.Closes(2).ToArray());
        Assert.Equal([3.0, 4.0], w.Volumes(2).ToArray());
    }

    [Fact]
    public void Random_pushes_match_a_plain_list()
    {
        var rng = new Random(7);
        var w = new MarketDataWindow(13);
        var list = new List<Engine.MarketData>();
        for (var i = 0; i < 500; i++)
        {
            var bar = Bar(i, rng.NextDouble() * 10);
            w.Push(bar);
            list.Add(bar);
            if (list.Count > 13) list.RemoveAt(0);
            var period = rng.Next(1, 20);
            var tail = list.Skip(Math.Max(0, list.Count - period)).ToList();
            Assert.Equal(tail.Max(b => b.High), w.High(period));
            Assert.Equal(tail.Min(b => b.Low), w.Low(period));
            Assert.Equal(tail.Average(b => b.Volume), w.AvgVolume(period)!.Value, 9);
            Assert.Equal(tail.Select(b => b.Close), w.Closes(period).ToArray());
        }
    }

    [Fact]
    public void Clear_empties_the_window()
    {
        var w = new MarketDataWindow(3);
        w.Push(Bar(1));
        w.Clear();
        Assert.True(w.IsEmpty);
        w.Push(Bar(2));
        Assert.Equal(2, w.Latest!.Value.Timestamp);
    }
}
