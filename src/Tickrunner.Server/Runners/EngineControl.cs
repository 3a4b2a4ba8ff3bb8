using System.Text.Json;
using Tickrunner.Engine.Runners;
using Tickrunner.Server.Common;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Runners;

/// <summary>The engine's kill switch and its limits across runners as <c>GET /api/engine</c> answers them.</summary>
public sealed record EngineRiskState(bool Halted, long? HaltedAt, bool Flatten, int OpenPositions, double TotalNotional,
    double? MaxTotalNotional, int? MaxOpenPositions);

/// <summary>The kill switch as the API sees it, wherever the runners run (<see cref="EngineControl"/>, <see cref="Clustering.ClusterEngineControl"/>).</summary>
public interface IEngineControl
{
    /// <summary>Refuses every entry from each runner's next bar; <paramref name="flatten"/> also closes every open position there.</summary>
    Task<EngineRiskState> HaltAsync(bool flatten);

    /// <summary>Turns the kill switch off.</summary>
    Task<EngineRiskState> ResumeAsync();

    /// <summary>Whether the engine is halted, since when, and where the limits across runners stand.</summary>
    Task<EngineRiskState> StateAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The kill switch as the API sees it: halt and resume, stored in the settings table, so an acknowledged halt survives a
/// restart (the flatten, a one-time request for the next bar, is not asked again after one). A halt takes effect before it is
/// stored, a resume only after: a failing store errs on the side of no trading.
/// </summary>
public sealed class EngineControl(TradingEngine engine, TickrunnerDatabase database) : IEngineControl
{
    private const string HaltKey = "engine_halt";
    private readonly Lock _gate = new();

    private sealed record StoredHalt(long At, bool Flatten);

    /// <summary>Turns the kill switch back on at start when it was on at the last stop (no event: nothing changed).</summary>
    public void RestoreHalt()
    {
        if (Stored() is not null) engine.Risk.Halt(flatten: false);
    }

    /// <summary>
    /// Halts the engine (see <see cref="TradingEngine.Halt"/>); a halt while halted asks for a new flatten if told to and keeps
    /// the time of the first. The engine stops entries before the halt is stored: a store that fails must not leave it trading
    /// (<see cref="UnavailableException"/> then says the halt holds but would not survive a restart).
    /// </summary>
    public EngineRiskState Halt(bool flatten)
    {
        lock (_gate)
        {
            var since = engine.Risk.Halted ? Stored()?.At : null;
            engine.Halt(flatten);
            try
            {
                database.SetSetting(HaltKey, JsonSerializer.Serialize(new StoredHalt(since ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), flatten)));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new UnavailableException(
                    $"The engine is halted, but the halt could not be stored ({e.Message}): it holds until the server stops and is not restored after a restart.");
            }
            return State();
        }
    }

    /// <summary>Turns the kill switch off (nothing when it was off).</summary>
    public EngineRiskState Resume()
    {
        lock (_gate)
        {
            database.DeleteSetting(HaltKey);
            engine.Resume();
            return State();
        }
    }

    /// <summary>Whether the engine is halted, since when, and where the limits across runners stand.</summary>
    public EngineRiskState State()
    {
        var risk = engine.Risk;
        var stored = risk.Halted ? Stored() : null;
        return new EngineRiskState(risk.Halted, stored?.At, stored?.Flatten ?? false, risk.OpenPositions, Math.Max(0, risk.TotalNotional),
            risk.MaxTotalNotional, risk.MaxOpenPositions);
    }

    Task<EngineRiskState> IEngineControl.HaltAsync(bool flatten) => Task.FromResult(Halt(flatten));

    Task<EngineRiskState> IEngineControl.ResumeAsync() => Task.FromResult(Resume());

    Task<EngineRiskState> IEngineControl.StateAsync(CancellationToken cancellationToken) => Task.FromResult(State());

    private StoredHalt? Stored()
    {
        var json = database.GetSetting(HaltKey);
        if (json is null) return null;
        try
        {
            return JsonSerializer.Deserialize<StoredHalt>(json) ?? new StoredHalt(0, false);
        }
        catch (JsonException)
        {
            return new StoredHalt(0, false); // a damaged row still means halted: the safe side
        }
    }
}
