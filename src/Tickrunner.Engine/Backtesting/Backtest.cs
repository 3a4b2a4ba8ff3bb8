using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Tickrunner.Engine.Common;
using Tickrunner.Engine.Runners;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Backtesting;

/// <summary>How far a backtest has come.</summary>
public readonly record struct BacktestProgress(int BarsDone, int BarsTotal, double BarsPerSecond)
{
    /// <summary>0..1.</summary>
    public double Fraction => BarsTotal == 0 ? 1 : (double)BarsDone / BarsTotal;
}

/// <summary>What a backtest produced: the report, every closed trade, the equity at each bar's close, and how it ended.</summary>
public sealed class BacktestResult
{
    internal BacktestResult(BacktestReport report, IReadOnlyList<BacktestTrade> trades, long[] times, double[] equity,
        long errors, string? error, int barsDone, string? riskStop = null)
    {
        RiskStop = riskStop;
        Report = report;
        Trades = trades;
        Times = times;
        Equity = equity;
        StrategyErrors = errors;
        Error = error;
        BarsDone = barsDone;
    }

    /// <summary>The report (docs/backtesting.md §4).</summary>
    public BacktestReport Report { get; }

    /// <summary>Every closed trade, in order.</summary>
    public IReadOnlyList<BacktestTrade> Trades { get; }

    /// <summary>Bar times of <see cref="Equity"/>.</summary>
    public IReadOnlyList<long> Times { get; }

    /// <summary>Equity at each bar's close; the last point after any end-of-data close.</summary>
    public IReadOnlyList<double> Equity { get; }

    /// <summary>Strategy errors raised (with <see cref="BacktestSettings.StopOnError"/> the first one ends the run).</summary>
    public long StrategyErrors { get; }

    /// <summary>The strategy error that ended the run, with its Lua line; null when it ran to the end.</summary>
    public string? Error { get; }

    /// <summary>True when the run ended on a strategy error.</summary>
    public bool Failed => Error is not null;

    /// <summary>Bars processed.</summary>
    public int BarsDone { get; }

    /// <summary>Why the maximum drawdown ended the run early (the position closed at that bar's close); null otherwise. Not a failure.</summary>
    public string? RiskStop { get; }

    /// <summary>The report as JSON (snake_case, nulls for undefined values).</summary>
    public string ReportJson() => JsonSerializer.Serialize(Report, BacktestJson.Default.BacktestReport);

    /// <summary>The trades as JSON.</summary>
    public string TradesJson() => JsonSerializer.Serialize(Trades, BacktestJson.Default.IReadOnlyListBacktestTrade);
}

/// <summary>
/// Runs a strategy over a sequence of bars as fast as the CPU allows, through the same tick step and paper account as a
/// live runner: one Lua state with the sandbox limits, no thread, no channel and no event on the per-bar path.
/// The same inputs give the same report, trades and equity to the last bit, and the report carries a digest of them.
/// </summary>
public static class Backtest
{
    private const int CheckEvery = 4096;

    /// <summary>
    /// Runs <paramref name="code"/> (the strategy <paramref name="strategyName"/>) over <paramref name="bars"/> (one symbol,
    /// oldest first). <paramref name="progress"/> is told a few times a second; <paramref name="cancellationToken"/> ends the
    /// run within a few thousand bars.
    /// </summary>
    /// <exception cref="StrategyLoadException">The strategy does not load.</exception>
    /// <exception cref="ArgumentException">The settings are invalid or the bars hold more than one symbol.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static BacktestResult Run(string strategyName, string code, IReadOnlyList<MarketData> bars, BacktestSettings? settings = null,
        LuaSandboxOptions? sandbox = null, Action<BacktestProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bars);
        settings ??= new BacktestSettings();
        if (settings.Problems() is { Count: > 0 } problems)
            throw new ArgumentException(string.Join(" ", problems.Values), nameof(settings));

        var (first, count) = Range(bars, settings);
        var symbol = count > 0 ? bars[first].Symbol : "";
        using var strategy = LuaStrategy.FromCode(strategyName, code, sandbox);
        strategy.SetParameters(settings.Params);
        var definition = new RunnerDefinition
        {
            RunnerId = "backtest",
            Symbol = symbol,
            StrategyName = strategyName,
            WindowSize = settings.WindowSize,
            Config = new RunnerConfig { StopOnError = settings.StopOnError, LogActions = false, CollectMetrics = false },
            Account = settings.Account,
            Risk = settings.Risk,
        };
        var step = new RunnerStep(definition, strategy, events: null, new BarTimeClock(), NullLogger.Instance);
        var processor = step.Processor;

        var times = new long[count];
        var equity = new double[count];
        var trades = new List<BacktestTrade>();
        var exposed = 0;
        string? error = null, riskStop = null;
        var done = 0;
        var clock = Stopwatch.StartNew();
        var lastReport = 0L;
        for (var i = 0; i < count; i++)
        {
            // Every bar: a slow strategy (up to the wall-clock limit per bar) must still stop soon after a cancel.
            cancellationToken.ThrowIfCancellationRequested();
            if ((i & (CheckEvery - 1)) == 0 && i > 0)
            {
                if (progress is not null && clock.ElapsedMilliseconds - lastReport >= 200)
                {
                    lastReport = clock.ElapsedMilliseconds;
                    progress(new BacktestProgress(i, count, i / clock.Elapsed.TotalSeconds));
                }
            }
            var bar = bars[first + i];
            if (!string.Equals(bar.Symbol, symbol, StringComparison.Ordinal))
                throw new ArgumentException($"Bar {first + i} is for {bar.Symbol}, not {symbol}: a backtest runs one symbol.", nameof(bars));
            var stop = step.Process(bar, 0);
            Collect(step.LastOutcome, trades);
            times[i] = bar.Timestamp;
            equity[i] = processor.Equity;
            if (processor.Machine.Position is not null) exposed++;
            done = i + 1;
            if (stop is not null)
            {
                // The maximum drawdown ends the run as a live runner stops there: done, with the position already closed.
                if (step.LastOutcome.RiskStop && step.LastOutcome.Strategy.Error is null) riskStop = stop;
                else error = step.LastOutcome.Strategy.Error ?? stop;
                break;
            }
        }

        if (error is null && done > 0 && settings.CloseAtEnd && processor.Machine.Position is not null)
        {
            var last = bars[first + done - 1];
            var end = processor.CloseOpenPosition(last, "end of data");
            if (end.Closed is { } closed) trades.Add(BacktestTrade.Of(closed, "end of data"));
            equity[done - 1] = processor.Equity;
        }
        if (done < count)
        {
            Array.Resize(ref times, done);
            Array.Resize(ref equity, done);
        }
        progress?.Invoke(new BacktestProgress(done, count, done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));

        var digest = Digest(strategyName, code, bars, first, count, settings, sandbox ?? LuaSandboxOptions.Default);
        var report = BacktestReport.Compute(settings.Account.InitialCapital, times, equity, trades, exposed, processor.Account.FeesPaid,
            done > 0 ? bars[first].Close : 0, done > 0 ? bars[first + done - 1].Close : 0, digest);
        if (processor.Risk is { } risk) report = report with { RiskRejections = RiskSnapshot.RejectionCounts(risk) };
        return new BacktestResult(report, trades, times, equity, step.Errors, error, done, riskStop);
    }

    // The closes of one bar, in the order they happened: the queued fill, an intrabar exit, the strategy's exit, a close exit.
    private static void Collect(in TickOutcome outcome, List<BacktestTrade> trades)
    {
        Add(outcome.Queued, trades);
        Add(outcome.Early, trades);
        Add(outcome.Action, trades);
        Add(outcome.Exit, trades);
    }

    private static void Add(in ActionResult result, List<BacktestTrade> trades)
    {
        if (result.Closed is { } closed) trades.Add(BacktestTrade.Of(closed, result.Transition?.Reason ?? "closed"));
    }

    private static (int First, int Count) Range(IReadOnlyList<MarketData> bars, BacktestSettings settings)
    {
        var first = 0;
        var end = bars.Count;
        if (settings.From is { } from) while (first < end && bars[first].Timestamp < from) first++;
        if (settings.To is { } to) while (end > first && bars[end - 1].Timestamp > to) end--;
        return (first, end - first);
    }

    /// <summary>
    /// SHA-256 of everything that decides the result: the strategy's name and code, the settings, the sandbox limits
    /// that change behaviour, and every field of every bar in the range, in order.
    /// </summary>
    public static string Digest(string strategyName, string code, IReadOnlyList<MarketData> bars, int first, int count,
        BacktestSettings settings, LuaSandboxOptions sandbox)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Text(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }
        Text("tickrunner-backtest-1");
        Text(strategyName);
        Text(code);
        Text(JsonSerializer.Serialize(settings, BacktestJson.Default.BacktestSettings));
        Text(FormattableString.Invariant($"{sandbox.InstructionBudget}/{sandbox.MemoryLimitBytes}/{sandbox.RandomSeed}"));
        Span<byte> row = stackalloc byte[8 * 9];
        string? symbol = null;
        for (var i = first; i < first + count; i++)
        {
            var b = bars[i];
            if (!ReferenceEquals(b.Symbol, symbol) && !string.Equals(b.Symbol, symbol, StringComparison.Ordinal))
            {
                symbol = b.Symbol;
                Text(symbol); // where the symbol starts (and changes): a strategy can read it
            }
            BinaryPrimitives.WriteInt64LittleEndian(row, b.Timestamp);
            BinaryPrimitives.WriteDoubleLittleEndian(row[8..], b.Open);
            BinaryPrimitives.WriteDoubleLittleEndian(row[16..], b.High);
            BinaryPrimitives.WriteDoubleLittleEndian(row[24..], b.Low);
            BinaryPrimitives.WriteDoubleLittleEndian(row[32..], b.Close);
            BinaryPrimitives.WriteDoubleLittleEndian(row[40..], b.Volume);
            BinaryPrimitives.WriteDoubleLittleEndian(row[48..], b.Bid);
            BinaryPrimitives.WriteDoubleLittleEndian(row[56..], b.Ask);
            BinaryPrimitives.WriteInt64LittleEndian(row[64..], i - first);
            hash.AppendData(row);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
