using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Tickrunner.Engine;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Cluster.Events;

/// <summary>
/// A runner's event as it crosses from the silo it happened on to the others (the engine's <see cref="RunnerEvent"/> holds
/// references to engine objects and is not an Orleans type). Every field a runner's event kinds use has a slot here, and
/// <see cref="ToRunnerEvent"/> builds the event again through the engine's own factories, so the JSON a client gets is the
/// one the runner's own silo would have sent, apart from <c>seq</c>, which each silo's hub numbers.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct RelayedEvent
{
    /// <summary>The variant.</summary>
    [Id(0)] public RunnerEventKind Kind { get; init; }
    /// <summary>The runner.</summary>
    [Id(1)] public string RunnerId { get; init; }
    /// <summary>Its symbol.</summary>
    [Id(2)] public string Symbol { get; init; }
    /// <summary>When it happened (Unix ms).</summary>
    [Id(3)] public long Timestamp { get; init; }
    /// <summary>TickReceived: the bar; Plot: the bar time and the seven value slots in the price fields.</summary>
    [Id(4)] public long BarTime { get; init; }
    [Id(5)] internal double Open { get; init; }
    [Id(6)] internal double High { get; init; }
    [Id(7)] internal double Low { get; init; }
    [Id(8)] internal double Close { get; init; }
    [Id(9)] internal double Volume { get; init; }
    [Id(10)] internal double Bid { get; init; }
    [Id(11)] internal double Ask { get; init; }
    /// <summary>StateTransition: the states left and entered.</summary>
    [Id(12)] internal TradingState From { get; init; }
    [Id(13)] internal TradingState To { get; init; }
    /// <summary>The reason, message or status, by kind.</summary>
    [Id(14)] internal string? Text { get; init; }
    /// <summary>ActionExecuted: the action (its price, quantity, stop and target in the fields below).</summary>
    [Id(15)] internal ActionKind Action { get; init; }
    [Id(16)] internal double Quantity { get; init; }
    [Id(17)] internal double? StopLoss { get; init; }
    [Id(18)] internal double? TakeProfit { get; init; }
    /// <summary>PositionOpened, PositionClosed: the position.</summary>
    [Id(19)] internal PositionSide Side { get; init; }
    [Id(20)] internal double EntryPrice { get; init; }
    [Id(21)] internal long EntryTimestamp { get; init; }
    [Id(22)] internal double EntryFee { get; init; }
    [Id(23)] internal double ExitFee { get; init; }
    [Id(24)] internal long ExitTimestamp { get; init; }
    /// <summary>The event's price and P&amp;L slots (by kind: current or exit price, unrealized or net P&amp;L, a risk hit's value and threshold, a plot's mask).</summary>
    [Id(25)] internal double Price { get; init; }
    [Id(26)] internal double Pnl { get; init; }
    /// <summary>PositionClosed: the account after the close.</summary>
    [Id(27)] internal double Equity { get; init; }
    [Id(28)] internal double Cash { get; init; }
    /// <summary>Error: how serious.</summary>
    [Id(29)] internal ErrorSeverity Severity { get; init; }
    /// <summary>RiskLimitHit: the limit and what it did.</summary>
    [Id(30)] internal RiskLimit Limit { get; init; }
    [Id(31)] internal RiskAction LimitAction { get; init; }
    /// <summary>Plot: the series.</summary>
    [Id(32)] internal PlotSeriesView[]? Plot { get; init; }
    /// <summary>PositionOpened: the price it was marked at when the event was made, and its exit when it also closed on that bar.</summary>
    [Id(33)] internal double CurrentPrice { get; init; }
    [Id(34)] internal double? ExitPrice { get; init; }

    // One array per layout, not per event: a layout changes only when a new series appears.
    private static readonly ConditionalWeakTable<PlotLayout, PlotSeriesView[]> Layouts = new();

    /// <summary>Whether <paramref name="kind"/> is a runner's event that goes to the other silos (not a job's or the engine's).</summary>
    public static bool Relayed(RunnerEventKind kind) => kind is not (RunnerEventKind.BacktestProgress or RunnerEventKind.BacktestFinished
        or RunnerEventKind.OptimizationProgress or RunnerEventKind.OptimizationFinished or RunnerEventKind.EngineHalted
        or RunnerEventKind.EngineResumed);

    /// <summary>
    /// Whether <paramref name="kind"/> is one of the frequent kinds (a bar's tick, mark and plot) that go to another silo only when
    /// one of its subscribers wants the runner; the others (trades, transitions, errors, the runner's lifecycle) always go, so
    /// every hub's history has them.
    /// </summary>
    public static bool Filterable(RunnerEventKind kind) =>
        kind is RunnerEventKind.TickReceived or RunnerEventKind.PositionUpdated or RunnerEventKind.Plot;

    /// <summary>The message of a runner's event (see <see cref="Relayed"/>).</summary>
    public static RelayedEvent Of(in RunnerEvent e)
    {
        var data = e.Data;
        var message = new RelayedEvent
        {
            Kind = e.Kind, RunnerId = e.RunnerId, Symbol = e.Symbol, Timestamp = e.Timestamp, BarTime = data.Timestamp,
            Open = data.Open, High = data.High, Low = data.Low, Close = data.Close, Volume = data.Volume, Bid = data.Bid, Ask = data.Ask,
            From = e.From, To = e.To, Text = e.Text, Price = e.Price, Pnl = e.Pnl, Severity = e.Severity,
        };
        switch (e.Kind)
        {
            case RunnerEventKind.ActionExecuted:
                var action = e.Action;
                return message with
                {
                    Action = action.Kind, Price = action.Price, Quantity = action.Quantity, StopLoss = action.StopLoss,
                    TakeProfit = action.TakeProfit, Text = action.Reason,
                };
            case RunnerEventKind.PositionOpened or RunnerEventKind.PositionClosed when e.Position is { } p:
                message = message with
                {
                    Side = p.Side, EntryPrice = p.EntryPrice, Quantity = p.Quantity, EntryTimestamp = p.EntryTimestamp, StopLoss = p.StopLoss,
                    TakeProfit = p.TakeProfit, EntryFee = p.EntryFee, ExitFee = p.ExitFee, ExitTimestamp = p.ExitTimestamp ?? 0,
                    CurrentPrice = p.CurrentPrice, ExitPrice = p.ExitPrice,
                };
                return e.Trade is { } trade ? message with { Equity = trade.Equity, Cash = trade.Cash, Text = trade.Reason } : message;
            case RunnerEventKind.RiskLimitHit when e.Risk is { } hit:
                return message with { Limit = hit.Limit, LimitAction = hit.Action, Price = hit.Value, Pnl = hit.Threshold };
            case RunnerEventKind.Plot when e.PlotLayout is { } layout:
                return message with { Plot = Layouts.GetValue(layout, l => [.. l.Series.Select(PlotSeriesView.Of)]) };
            default:
                return message;
        }
    }

    /// <summary>
    /// The engine's event again; <paramref name="receivedAt"/> stands for the bar's arrival (a monotonic timestamp of this
    /// process: the other silo's means nothing here); <paramref name="layouts"/> turns a plot's series into a layout.
    /// </summary>
    public RunnerEvent ToRunnerEvent(long receivedAt, Func<PlotSeriesView[], PlotLayout> layouts)
    {
        ArgumentNullException.ThrowIfNull(layouts);
        var (id, symbol, at) = (RunnerId, Symbol, Timestamp);
        switch (Kind)
        {
            case RunnerEventKind.TickReceived:
                return RunnerEvent.TickReceived(id, new MarketData(symbol, BarTime, Open, High, Low, Close, Volume, Bid, Ask), receivedAt, at);
            case RunnerEventKind.StateTransition:
                return RunnerEvent.StateTransition(id, symbol, new Transition(From, To, Text ?? "", at), receivedAt, at);
            case RunnerEventKind.ActionExecuted:
                return RunnerEvent.ActionExecuted(id, symbol, new TradingAction(Action, Price, Quantity, StopLoss, TakeProfit, Text), receivedAt, at);
            case RunnerEventKind.PositionOpened:
                return RunnerEvent.PositionOpened(id, symbol, Position.Rebuild(Side, EntryPrice, Quantity, EntryTimestamp, StopLoss, TakeProfit,
                    EntryFee, CurrentPrice, ExitPrice, ExitTimestamp, ExitFee), receivedAt, at);
            case RunnerEventKind.PositionUpdated:
                return RunnerEvent.PositionUpdated(id, symbol, Price, Pnl, receivedAt, at);
            case RunnerEventKind.PositionClosed:
                var closed = Position.Rebuild(Side, EntryPrice, Quantity, EntryTimestamp, StopLoss, TakeProfit, EntryFee, Price, Price, ExitTimestamp, ExitFee);
                return RunnerEvent.PositionClosed(id, symbol, closed, Text ?? "", Equity, Cash, receivedAt, at);
            case RunnerEventKind.Error:
                return RunnerEvent.Error(id, symbol, Text ?? "", Severity, receivedAt, at);
            case RunnerEventKind.RunnerStarted:
                return RunnerEvent.RunnerStarted(id, symbol, at);
            case RunnerEventKind.RunnerStatusChanged:
                return RunnerEvent.RunnerStatusChanged(id, symbol, Text ?? "", at);
            case RunnerEventKind.RunnerStopped:
                return RunnerEvent.RunnerStopped(id, symbol, Text ?? "", at);
            case RunnerEventKind.RiskLimitHit:
                return RunnerEvent.RiskLimitHit(id, symbol, new RiskHit(Limit, Price, Pnl, LimitAction), receivedAt, at);
            case RunnerEventKind.Plot:
                Span<double> values = [Open, High, Low, Close, Volume, Bid, Ask];
                return RunnerEvent.Plot(id, symbol, BarTime, layouts(Plot ?? []), (int)Price, values, receivedAt, at);
            default:
                throw new NotSupportedException($"{Kind} events are not relayed between silos.");
        }
    }
}

/// <summary>One series of a strategy's plot (the engine's <see cref="PlotSeries"/>) as it crosses between silos.</summary>
[GenerateSerializer, Immutable]
public sealed record PlotSeriesView
{
    /// <summary>The series' name.</summary>
    [Id(0)] public required string Name { get; init; }
    /// <summary>Its pane.</summary>
    [Id(1)] public required string Pane { get; init; }
    /// <summary>Its colour.</summary>
    [Id(2)] public required string Color { get; init; }
    /// <summary>Its horizontal lines.</summary>
    [Id(3)] public double[] Lines { get; init; } = [];

    /// <summary>The view of an engine series.</summary>
    public static PlotSeriesView Of(PlotSeries series) => new() { Name = series.Name, Pane = series.Pane, Color = series.Color, Lines = [.. series.Lines] };

    /// <summary>The engine's series.</summary>
    public PlotSeries ToSeries() => new(Name, Pane, Color, [.. Lines]);

    /// <summary>Whether <paramref name="other"/> describes the same series (the lines compared value by value).</summary>
    public bool Same(PlotSeriesView other) =>
        Name == other.Name && Pane == other.Pane && Color == other.Color && Lines.AsSpan().SequenceEqual(other.Lines);
}
