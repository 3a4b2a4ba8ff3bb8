using System.Globalization;
using System.Text;
using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Feeds;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Tests;

/// <summary>Backtests: determinism, the end of the data, errors, cancellation, ranges, and parity with a live runner.</summary>
public sealed class BacktestTests : IDisposable
{
    private readonly TempDirectory _dir = new("tickrunner-backtest-");

    public void Dispose() => _dir.Dispose();

    // Trades both sides with stops and targets 1 % away, and exits by itself after 7 bars in a position.
    internal const string Trader = """
        function detect_opportunity(md, ctx, ind)
          local fast, slow = ind.sma(5), ind.sma(20)
          if fast and slow then
            ctx.side = fast > slow and 'enter_long' or 'enter_short'
            return {}
          end
        end
        function filter_commitment(md, ctx, ind, account)
          local long = ctx.side == 'enter_long'
          local q = math.floor(account.equity * 0.5 / md.close * 1000) / 1000
          return { action = ctx.side, price = md.close, quantity = q,
                   stop_loss = long and md.close * 0.99 or md.close * 1.01, take_profit = long and md.close * 1.01 or md.close * 0.99 }
        end
        function manage_position(md, ctx)
          ctx.held = (ctx.held or 0) + 1
          if ctx.held >= 7 then ctx.held = 0 return { action = 'exit', price = md.close, reason = 'time' } end
        end
        """;

    /// <summary>A deterministic random walk of one-minute Binance klines for <paramref name="symbol"/>.</summary>
    internal static string WriteKlines(string directory, string symbol, int bars, int seed = 7)
    {
        var rng = new Random(seed);
        var text = new StringBuilder();
        var price = 100.0;
        var t = 1_700_000_000_000L;
        for (var i = 0; i < bars; i++, t += 60_000)
        {
            var open = price;
            var close = Math.Round(open * (1 + (rng.NextDouble() - 0.5) * 0.012), 4);
            var high = Math.Round(Math.Max(open, close) * (1 + rng.NextDouble() * 0.004), 4);
            var low = Math.Round(Math.Min(open, close) * (1 - rng.NextDouble() * 0.004), 4);
            text.Append(CultureInfo.InvariantCulture, $"{t},{open},{high},{low},{close},{rng.Next(1, 100)},{t + 59_999},0,0,0,0,0\n");
            price = close;
        }
        var path = Path.Combine(directory, $"{symbol}-{seed}.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static IReadOnlyList<MarketData> Bars(string path, string symbol = "TEST") => CsvKlineReader.Read(path, symbol).ToList();

    [Fact]
    public void Two_runs_give_the_same_digest_report_trades_and_equity_to_the_byte()
    {
        var bars = Bars(WriteKlines(_dir, "TEST", 5_000));
        var settings = new BacktestSettings { Account = new AccountSettings { FeeBps = 7, SlippageBps = 3, Stops = StopTiming.Intrabar } };
        var a = Backtest.Run("trader", Trader, bars, settings);
        var b = Backtest.Run("trader", Trader, bars, settings);
        Assert.False(a.Failed, a.Error);
        Assert.True(a.Trades.Count > 50, $"{a.Trades.Count} trades");
        Assert.Equal(a.ReportJson(), b.ReportJson());
        Assert.Equal(a.TradesJson(), b.TradesJson());
        Assert.Equal(a.Equity, b.Equity);
        Assert.Equal(64, a.Report.Digest.Length);
        // Any input changes the digest: the code, a setting, one bar.
        Assert.NotEqual(a.Report.Digest, Backtest.Run("trader", Trader + " ", bars, settings).Report.Digest);
        Assert.NotEqual(a.Report.Digest, Backtest.Run("trader", Trader, bars, settings with { WindowSize = 99 }).Report.Digest);
        var changed = bars.ToList();
        changed[^1] = changed[^1] with { Volume = changed[^1].Volume + 1 };
        Assert.NotEqual(a.Report.Digest, Backtest.Run("trader", Trader, changed, settings).Report.Digest);
        Assert.NotEqual(a.Report.Digest, Backtest.Run("trader", Trader, bars.Select(b => b with { Symbol = "OTHER" }).ToList(), settings).Report.Digest);
    }

    [Fact]
    public void The_report_agrees_with_the_trades_and_the_equity_curve()
    {
        var bars = Bars(WriteKlines(_dir, "TEST", 3_000));
        var r = Backtest.Run("trader", Trader, bars);
        Assert.Equal(3_000, r.Report.Bars);
        Assert.Equal(r.Equity.Count, r.Report.Bars);
        Assert.Equal(r.Equity[^1], r.Report.FinalEquity);
        Assert.Equal(r.Trades.Count, r.Report.Trades);
        // Equity at the end is the capital plus every trade's net P&L (the end-of-data close included).
        Assert.Equal(10_000 + r.Trades.Sum(t => t.Pnl), r.Report.FinalEquity, 6);
        Assert.Equal(r.Trades.Sum(t => t.Fees), r.Report.FeesPaid, 9);
        Assert.All(r.Trades, t => Assert.Equal(t.Pnl / (t.EntryPrice * t.Quantity) * 100, t.ReturnPct, 9));
        Assert.Equal(bars[0].Timestamp, r.Report.Start);
        Assert.Equal(bars[^1].Timestamp, r.Report.End);
        Assert.Equal((bars[^1].Close / bars[0].Close - 1) * 100, r.Report.BuyHoldReturnPct!.Value, 9);
    }

    [Fact]
    public void A_position_open_at_the_end_is_closed_at_the_last_close_as_end_of_data()
    {
        const string Holder = """
            function detect_opportunity() return {} end
            function filter_commitment(md) return { action = 'enter_long', price = md.close, quantity = 10 } end
            function manage_position() end
            """;
        var bars = Bars(WriteKlines(_dir, "TEST", 50));
        var r = Backtest.Run("holder", Holder, bars);
        var last = Assert.Single(r.Trades);
        Assert.Equal("end of data", last.Reason);
        Assert.Equal(bars[^1].Close, last.ExitPrice);
        Assert.Equal(bars[^1].Timestamp, last.ExitTimestamp);
        Assert.Equal(10_000 + last.Pnl, r.Equity[^1], 9); // the last point is after the close
        Assert.Equal(98, r.Report.ExposurePct, 9); // in a position from the close of bar 1 (bar 0 only detects)
        var open = Backtest.Run("holder", Holder, bars, new BacktestSettings { CloseAtEnd = false });
        Assert.Empty(open.Trades);
    }

    [Fact]
    public void A_strategy_error_fails_the_run_with_its_line_or_is_skipped_when_asked()
    {
        const string Failing = """
            function detect_opportunity(md)
              if md.timestamp > 1700000600000 then
                local x = nil
                return x.field
              end
            end
            function filter_commitment() end
            function manage_position() end
            """;
        var bars = Bars(WriteKlines(_dir, "TEST", 100));
        var failed = Backtest.Run("failing", Failing, bars);
        Assert.True(failed.Failed);
        Assert.Contains("failing.lua:4: attempt to index a nil value (local 'x')", failed.Error);
        Assert.Equal(12, failed.BarsDone); // bar 11 is the first past the time
        var skipped = Backtest.Run("failing", Failing, bars, new BacktestSettings { StopOnError = false });
        Assert.False(skipped.Failed);
        Assert.Equal(100, skipped.BarsDone);
        Assert.Equal(89, skipped.StrategyErrors);
    }

    [Fact]
    public void A_strategy_that_does_not_load_throws_with_its_diagnostics()
    {
        var e = Assert.Throws<StrategyLoadException>(() => Backtest.Run("broken", "function detect_opportunity(", []));
        Assert.Equal(1, e.Diagnostics[0].Line);
    }

    [Fact]
    public void Cancellation_stops_the_run_and_progress_is_reported()
    {
        var bars = Bars(WriteKlines(_dir, "TEST", 60_000));
        using var cancel = new CancellationTokenSource();
        cancel.Cancel(); // the run looks at the token on every bar
        Assert.Throws<OperationCanceledException>(() => Backtest.Run("trader", Trader, bars, cancellationToken: cancel.Token));
        var done = new List<BacktestProgress>();
        Backtest.Run("trader", Trader, bars.Take(10_000).ToList(), progress: done.Add);
        Assert.Equal(10_000, done[^1].BarsDone);
        Assert.Equal(1, done[^1].Fraction);
        Assert.True(done[^1].BarsPerSecond > 0);
    }

    [Fact]
    public void From_and_to_select_the_bars_and_bad_settings_are_refused()
    {
        var bars = Bars(WriteKlines(_dir, "TEST", 100));
        var r = Backtest.Run("trader", Trader, bars, new BacktestSettings { From = bars[10].Timestamp, To = bars[19].Timestamp });
        Assert.Equal((10, bars[10].Timestamp, bars[19].Timestamp), (r.Report.Bars, r.Report.Start, r.Report.End));
        var e = Assert.Throws<ArgumentException>(() => Backtest.Run("trader", Trader, bars, new BacktestSettings
        {
            From = 5, To = 1, Account = new AccountSettings { FeeBps = -1 },
        }));
        Assert.Contains("fee_bps must be", e.Message);
        Assert.Contains("is before from", e.Message);
        var mixed = bars.Take(5).Append(bars[5] with { Symbol = "OTHER" }).ToList();
        Assert.Throws<ArgumentException>(() => Backtest.Run("trader", Trader, mixed));
    }

    [Fact]
    public void A_dataset_from_the_store_gives_the_same_result_as_the_csv()
    {
        var path = WriteKlines(_dir, "TEST", 2_000);
        var store = new DatasetStore(Path.Combine(_dir, "datasets"));
        var imported = store.Import(path, new DatasetImportOptions { Symbol = "TEST", Interval = "1m" });
        var fromStore = Backtest.Run("trader", Trader, store.Load(imported.Dataset.Id));
        var fromCsv = Backtest.Run("trader", Trader, Bars(path));
        Assert.Equal(fromCsv.ReportJson(), fromStore.ReportJson());
    }

    public static TheoryData<FillTiming, StopTiming> FillAndStops => new()
    {
        { FillTiming.Close, StopTiming.Close }, { FillTiming.Close, StopTiming.Intrabar },
        { FillTiming.NextOpen, StopTiming.Close }, { FillTiming.NextOpen, StopTiming.Intrabar },
    };

    [Theory]
    [MemberData(nameof(FillAndStops))]
    public async Task A_live_runner_on_the_replay_feed_makes_exactly_the_trades_of_the_backtest(FillTiming fill, StopTiming stops)
    {
        var path = WriteKlines(_dir, "PARITY", 3_000, seed: 11);
        var account = new AccountSettings { FeeBps = 10, SlippageBps = 5, Fill = fill, Stops = stops };

        // Live: the replay feed through the engine, the runner's inbox and its thread.
        var sink = new CollectingSink();
        await using var engine = EngineTestKit.NewEngine(sink, new Dictionary<string, string> { ["trader"] = Trader },
            new EngineOptions { InboxCapacity = 10_000 });
        var runner = engine.AddRunner(EngineTestKit.Definition("live", "PARITY", "trader") with { Account = account });
        var feed = new CsvReplayFeed(new CsvReplayFeedOptions { Sources = [new CsvReplaySource { Symbol = "PARITY", Path = path }], Speed = 0 });
        await engine.RunFeedAsync(feed, ["PARITY"]);
        var snapshot = await runner.GetSnapshotAsync();
        Assert.Equal(3_000, snapshot.Stats.TicksProcessed);
        Assert.Equal(0, snapshot.Stats.TicksDropped);
        var live = sink.For("live").Where(e => e.Kind == RunnerEventKind.PositionClosed)
            .Select(e => BacktestTrade.Of(e.Position!, e.Text!)).ToList();

        // Backtest: the same bars in a plain loop, the open position left open as the live runner leaves it.
        var backtest = Backtest.Run("trader", Trader, Bars(path, "PARITY"),
            new BacktestSettings { Account = account, StopOnError = false, CloseAtEnd = false });

        Assert.True(live.Count > 50, $"{live.Count} trades");
        Assert.Equal(backtest.Trades, live); // every field, bit for bit
        Assert.Equal(backtest.Equity[^1], snapshot.Account.Equity);
        Assert.Equal(backtest.Report.FeesPaid, snapshot.Account.FeesPaid);
    }
}
