using System.Text.Json.Serialization;

namespace Tickrunner.Engine.Trading;

/// <summary>The three states of a runner's state machine; these names go on the wire.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TradingState>))]
public enum TradingState : byte
{
    /// <summary>Waiting for an opportunity (initial state).</summary>
    Idle,
    /// <summary>An opportunity was detected and is being confirmed.</summary>
    Analyzing,
    /// <summary>A position is open.</summary>
    InPosition,
}

/// <summary>Direction of a position.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PositionSide>))]
public enum PositionSide
{
    /// <summary>Bought; profits when the price rises.</summary>
    Long,
    /// <summary>Sold; profits when the price falls.</summary>
    Short,
}

/// <summary>One recorded state change: from, to, why, and the bar time (Unix ms) it happened at.</summary>
public readonly record struct Transition(
    TradingState From,
    TradingState To,
    string Reason,
    long Timestamp);
