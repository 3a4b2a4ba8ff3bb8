using Tickrunner.Engine.Backtesting;
using Tickrunner.Engine.Datasets;
using Tickrunner.Engine.Strategies;
using Tickrunner.Engine.Trading;
using Tickrunner.Server.Common;
using Tickrunner.Server.Datasets;

namespace Tickrunner.Server.Backtests;

/// <summary>
/// What a backtest and an optimization submission share: the strategy (stored or inline), the dataset id, the backtest
/// settings, the check that the code loads, and the dataset's lease with the check that the range holds bars.
/// </summary>
internal static class JobSubmission
{
    /// <summary>The strategy's name and code and the backtest settings of <paramref name="body"/>; what is wrong goes into <paramref name="errors"/> by field.</summary>
    public static (string? Name, string? Code, BacktestSettings Settings) Read(CreateBacktestRequest body, StrategyCatalog catalog,
        Dictionary<string, string> errors)
    {
        var name = body.StrategyName ?? (body.Code is null ? null : "inline");
        var code = body.Code;
        if (body.StrategyName is null && body.Code is null)
            errors["strategy_name"] = "strategy_name (a stored strategy) or code (Lua source) is required.";
        else if (StrategyName.Problem(name) is { } nameProblem) errors["strategy_name"] = nameProblem;
        else if (code is null)
        {
            code = catalog.Find(name!)?.Code;
            if (code is null) errors["strategy_name"] = $"There is no strategy named '{name}'; GET /api/strategies lists them.";
        }
        if (body.Dataset is null) errors["dataset"] = "dataset is required: a dataset id (GET /api/datasets lists them).";
        else if (!DatasetStore.IsValidId(body.Dataset))
            errors["dataset"] = $"'{body.Dataset}' is not a valid dataset id: 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit.";
        var settings = new BacktestSettings
        {
            Account = AccountSettings.With(body.InitialCapital, body.FeeBps, body.SlippageBps, body.Fill, body.Stops),
            WindowSize = body.WindowSize ?? new BacktestSettings().WindowSize,
            From = body.From,
            To = body.To,
            StopOnError = body.StopOnError ?? true,
            CloseAtEnd = body.CloseAtEnd ?? true,
            Params = ParameterValues.From(body.Params, errors),
            Risk = body.Risk is { Any: true } ? body.Risk : null, // {} is no limits
        };
        // The limits sit in the body's risk object: their errors are named risk.<field>, as for a runner.
        var riskFields = settings.Risk?.Problems().Keys.ToHashSet() ?? [];
        foreach (var (field, problem) in settings.Problems()) errors[riskFields.Contains(field) ? $"risk.{field}" : field] = problem;
        return (name, code, settings);
    }

    /// <summary><see cref="InvalidStrategyException"/> (422) when <paramref name="code"/> does not load.</summary>
    public static void CheckCode(string name, string code, StrategyCatalog catalog)
    {
        var diagnostics = LuaStrategy.Validate(code, name, catalog.Options);
        if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)) throw new InvalidStrategyException(name, diagnostics);
    }

    /// <summary>
    /// Leases <paramref name="dataset"/> for <paramref name="user"/>: an <see cref="UnprocessableException"/> (422) when there is no
    /// such dataset, an <see cref="InvalidRequestException"/> (400, nothing leased) when the settings' range lies outside its bars.
    /// </summary>
    public static (DatasetInfo Info, IDisposable Lease) Lease(DatasetUsage usage, DatasetStore store, string dataset, object user,
        BacktestSettings settings)
    {
        DatasetInfo? info = null;
        // The dataset is looked up and leased in one step, so it cannot be deleted between the check and the job.
        var lease = usage.AcquireAfter(dataset, user, () =>
        {
            info = store.Find(dataset) ?? throw new UnprocessableException("Unknown dataset",
                $"There is no dataset '{dataset}'; GET /api/datasets lists them, POST /api/datasets uploads one.",
                new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["dataset"] = [$"There is no dataset '{dataset}'."] } });
        });
        var rangeErrors = new Dictionary<string, string>();
        var span = $"dataset '{dataset}' holds bars from {info!.First} to {info.Last}";
        if (settings.From is { } from && from > info.Last) rangeErrors["from"] = $"from ({from}) is after the last bar: {span}; the range has no bars.";
        if (settings.To is { } to && to < info.First) rangeErrors["to"] = $"to ({to}) is before the first bar: {span}; the range has no bars.";
        if (rangeErrors.Count > 0)
        {
            lease.Dispose();
            throw new InvalidRequestException(rangeErrors);
        }
        return (info, lease);
    }
}

/// <summary>Names a job among a dataset's users; its id is known only once its row is stored.</summary>
internal sealed class JobName(string name)
{
    /// <summary>What the dataset's conflicts call the job.</summary>
    public volatile string Name = name;

    /// <inheritdoc />
    public override string ToString() => Name;
}
