using System.Text.Json;
using Tickrunner.Engine.Trading;

namespace Tickrunner.Engine.Events;

/// <summary>
/// Writes events in the wire format of DESIGN.md: externally tagged, snake_case, enums by name, every payload
/// with <c>timestamp</c> and <c>seq</c>. Hand-written with <see cref="Utf8JsonWriter"/>: no reflection, one pass.
/// </summary>
public static class EventJson
{
    [ThreadStatic] private static ArrayBufferWriterHolder? _holder;

    private sealed class ArrayBufferWriterHolder
    {
        public readonly System.Buffers.ArrayBufferWriter<byte> Buffer = new(512);
        public readonly Utf8JsonWriter Writer;
        public ArrayBufferWriterHolder() => Writer = new Utf8JsonWriter(Buffer, new JsonWriterOptions { SkipValidation = true });
    }

    /// <summary>The event's JSON as a new UTF-8 array.</summary>
    public static byte[] Serialize(in RunnerEvent e, long seq)
    {
        var holder = _holder ??= new ArrayBufferWriterHolder();
        holder.Buffer.ResetWrittenCount();
        holder.Writer.Reset();
        Write(holder.Writer, e, seq);
        holder.Writer.Flush();
        return holder.Buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes <c>{"Kind": {…}}</c>.</summary>
    public static void Write(Utf8JsonWriter w, in RunnerEvent e, long seq)
    {
        w.WriteStartObject();
        w.WriteStartObject(KindName(e.Kind));
        w.WriteString("runner_id"u8, e.RunnerId);
        switch (e.Kind)
        {
            case RunnerEventKind.TickReceived:
                w.WriteString("symbol"u8, e.Symbol);
                w.WritePropertyName("data"u8);
                WriteMarketData(w, e.Data);
                break;
            case RunnerEventKind.StateTransition:
                w.WriteString("from"u8, StateName(e.From));
                w.WriteString("to"u8, StateName(e.To));
                w.WriteString("reason"u8, e.Text);
                break;
            case RunnerEventKind.ActionExecuted:
                w.WritePropertyName("action"u8);
                WriteAction(w, e.Action);
                break;
            case RunnerEventKind.PositionOpened:
                w.WritePropertyName("position"u8);
                WritePosition(w, e.Position!);
                break;
            case RunnerEventKind.PositionUpdated:
                w.WriteNumber("current_price"u8, e.Price);
                w.WriteNumber("unrealized_pnl"u8, e.Pnl);
                break;
            case RunnerEventKind.PositionClosed:
                w.WriteNumber("exit_price"u8, e.Price);
                w.WriteNumber("realized_pnl"u8, e.Pnl);
                w.WriteString("reason"u8, e.Text);
                break;
            case RunnerEventKind.Error:
                w.WriteString("error"u8, e.Text);
                w.WriteString("severity"u8, e.Severity switch
                {
                    ErrorSeverity.Warning => "Warning",
                    ErrorSeverity.Error => "Error",
                    _ => "Critical",
                });
                break;
            case RunnerEventKind.RunnerStarted:
                w.WriteString("symbol"u8, e.Symbol);
                break;
            case RunnerEventKind.RunnerStopped:
                w.WriteString("reason"u8, e.Text);
                break;
        }
        w.WriteNumber("timestamp"u8, e.Timestamp);
        w.WriteNumber("seq"u8, seq);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>A lag notice for a subscriber that lost <paramref name="dropped"/> events: <c>{"Lagged": {"dropped": n, "timestamp": ms}}</c>.</summary>
    public static byte[] LagNotice(long dropped, long timestamp) =>
        System.Text.Encoding.UTF8.GetBytes(
            "{\"Lagged\":{\"dropped\":" + dropped.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + ",\"timestamp\":" + timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}");

    /// <summary>A bar as the wire shows it (the field order of spec §1).</summary>
    public static void WriteMarketData(Utf8JsonWriter w, in MarketData bar)
    {
        w.WriteStartObject();
        w.WriteString("symbol"u8, bar.Symbol);
        w.WriteNumber("timestamp"u8, bar.Timestamp);
        w.WriteNumber("open"u8, bar.Open);
        w.WriteNumber("high"u8, bar.High);
        w.WriteNumber("low"u8, bar.Low);
        w.WriteNumber("close"u8, bar.Close);
        w.WriteNumber("volume"u8, bar.Volume);
        w.WriteNumber("bid"u8, bar.Bid);
        w.WriteNumber("ask"u8, bar.Ask);
        w.WriteEndObject();
    }

    /// <summary>An action in the shape a strategy returns it: <c>{"type": "enter_long", "price": …, …}</c>.</summary>
    public static void WriteAction(Utf8JsonWriter w, in TradingAction a)
    {
        w.WriteStartObject();
        w.WriteString("type"u8, a.Name);
        switch (a.Kind)
        {
            case ActionKind.EnterLong or ActionKind.EnterShort:
                w.WriteNumber("price"u8, a.Price);
                w.WriteNumber("quantity"u8, a.Quantity);
                if (a.StopLoss is { } stop) w.WriteNumber("stop_loss"u8, stop);
                if (a.TakeProfit is { } target) w.WriteNumber("take_profit"u8, target);
                break;
            case ActionKind.Exit:
                w.WriteNumber("price"u8, a.Price);
                break;
            case ActionKind.UpdateStopLoss:
                w.WriteNumber("new_stop"u8, a.StopLoss ?? 0);
                break;
            case ActionKind.UpdateTakeProfit:
                w.WriteNumber("new_target"u8, a.TakeProfit ?? 0);
                break;
        }
        if (a.Reason is { } reason) w.WriteString("reason"u8, reason);
        w.WriteEndObject();
    }

    /// <summary>A position: side, prices, quantity, stop/target (null when unset), P&amp;L; exit fields once closed.</summary>
    public static void WritePosition(Utf8JsonWriter w, Position p)
    {
        w.WriteStartObject();
        w.WriteString("side"u8, p.Side == PositionSide.Long ? "Long" : "Short");
        w.WriteNumber("entry_price"u8, p.EntryPrice);
        w.WriteNumber("quantity"u8, p.Quantity);
        w.WriteNumber("entry_timestamp"u8, p.EntryTimestamp);
        w.WriteNumber("current_price"u8, p.CurrentPrice);
        WriteNullable(w, "stop_loss"u8, p.StopLoss);
        WriteNullable(w, "take_profit"u8, p.TakeProfit);
        w.WriteNumber("unrealized_pnl"u8, p.IsClosed ? 0 : p.UnrealizedPnl);
        if (p.IsClosed)
        {
            w.WriteNumber("exit_price"u8, p.ExitPrice!.Value);
            w.WriteNumber("exit_timestamp"u8, p.ExitTimestamp!.Value);
            w.WriteNumber("realized_pnl"u8, p.RealizedPnl!.Value);
        }
        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, ReadOnlySpan<byte> name, double? value)
    {
        if (value is { } v) w.WriteNumber(name, v); else w.WriteNull(name);
    }

    /// <summary>The wire name of a state.</summary>
    public static string StateName(TradingState s) => s switch
    {
        TradingState.Idle => "Idle",
        TradingState.Analyzing => "Analyzing",
        _ => "InPosition",
    };

    /// <summary>The wire tag of a kind.</summary>
    public static string KindName(RunnerEventKind kind) => KindNames[(int)kind];

    private static readonly string[] KindNames = Enum.GetNames<RunnerEventKind>();

    /// <summary>Parses a wire tag (case-sensitive, as on the wire).</summary>
    public static bool TryParseKind(string name, out RunnerEventKind kind)
    {
        var i = Array.IndexOf(KindNames, name);
        kind = i >= 0 ? (RunnerEventKind)i : default;
        return i >= 0;
    }
}
