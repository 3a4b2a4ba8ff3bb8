using System.Diagnostics;
using System.Text.Json;

namespace Tickrunner.Engine.Tests;

/// <summary>The command line as a user runs it: a real process, real files, exit codes and output.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempDirectory _dir = new("tickrunner-cli-");

    public void Dispose() => _dir.Dispose();

    // The command line from its own build output (its dependencies sit there), in this test run's configuration.
    private static readonly string CliDll = FindCli();

    private static string FindCli()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Tickrunner.slnx")))
                return Path.Combine(dir.FullName, "src", "Tickrunner.Cli", "bin", configuration, "net10.0", "Tickrunner.Cli.dll");
        throw new DirectoryNotFoundException("The tests run from inside the repository.");
    }

    private async Task<(int Code, string Out, string Err)> Cli(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _dir,
        };
        start.ArgumentList.Add(CliDll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.ArgumentList.Add("--strategies");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "strategies"));
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task Backtest_of_a_csv_prints_the_report_and_writes_json_matching_the_engine()
    {
        var csv = BacktestTests.WriteKlines(_dir, "TEST", 3_000);
        var json = Path.Combine(_dir, "out.json");
        var (code, stdout, stderr) = await Cli("backtest", "--strategy", "ema_crossover", "--data", csv, "--symbol", "TEST",
            "--fee-bps", "5", "--stops", "intrabar", "--json", json);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("== ema_crossover on TEST-7.csv", stdout);
        Assert.Contains("total_return_pct", stdout);
        Assert.Contains("bars/s", stderr);

        var run = JsonDocument.Parse(File.ReadAllText(json)).RootElement.EnumerateArray().Single();
        Assert.Equal("done", run.GetProperty("status").GetString());
        Assert.Equal(3_000, run.GetProperty("report").GetProperty("bars").GetInt32());
        Assert.Equal(3_000, run.GetProperty("equity").GetArrayLength());
        Assert.Equal(5, run.GetProperty("settings").GetProperty("account").GetProperty("fee_bps").GetDouble());
        // The same run in process gives the same digest and trades.
        var code2 = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "strategies", "ema_crossover.lua"));
        var expected = Backtesting.Backtest.Run("ema_crossover", code2, Feeds.CsvKlineReader.Read(csv, "TEST").ToList(), new Backtesting.BacktestSettings
        {
            Account = new Trading.AccountSettings { FeeBps = 5, Stops = Trading.StopTiming.Intrabar },
        });
        Assert.Equal(expected.Report.Digest, run.GetProperty("report").GetProperty("digest").GetString());
        Assert.Equal(expected.Trades.Count, run.GetProperty("trades").GetArrayLength());
    }

    [Fact]
    public async Task Backtest_params_set_declared_parameters_and_a_misfit_fails_that_run()
    {
        var csv = BacktestTests.WriteKlines(_dir, "TEST", 3_000);
        var json = Path.Combine(_dir, "params.json");
        var (code, stdout, stderr) = await Cli("backtest", "--strategy", "ema_crossover", "--data", csv, "--symbol", "TEST",
            "--params", "fast=5, slow=12", "--json", json);
        Assert.True(code == 0, stderr + stdout);
        var run = JsonDocument.Parse(File.ReadAllText(json)).RootElement.EnumerateArray().Single();
        var given = run.GetProperty("settings").GetProperty("params");
        Assert.Equal(5, given.GetProperty("fast").GetDouble());
        Assert.Equal(12, given.GetProperty("slow").GetDouble());
        var lua = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "strategies", "ema_crossover.lua"));
        var expected = Backtesting.Backtest.Run("ema_crossover", lua, Feeds.CsvKlineReader.Read(csv, "TEST").ToList(), new Backtesting.BacktestSettings
        {
            Params = new Dictionary<string, object> { ["fast"] = 5.0, ["slow"] = 12.0 },
        });
        Assert.Equal(expected.Report.Digest, run.GetProperty("report").GetProperty("digest").GetString());

        var bad = await Cli("backtest", "--strategy", "ema_crossover", "--data", csv, "--symbol", "TEST", "--params", "fast=1");
        Assert.Equal(1, bad.Code);
        Assert.Contains("params.fast must be between 2 and 50, got 1", bad.Out);
        var malformed = await Cli("backtest", "--strategy", "ema_crossover", "--data", csv, "--symbol", "TEST", "--params", "fast");
        Assert.Equal(2, malformed.Code);
        Assert.Contains("--params takes NAME=VALUE pairs", malformed.Err);
    }

    [Fact]
    public async Task Optimize_prints_the_best_trials_and_the_guards_and_its_json_matches_the_engine()
    {
        var csv = BacktestTests.WriteKlines(_dir, "TEST", 3_000);
        var json = Path.Combine(_dir, "optimize.json");
        var (code, stdout, stderr) = await Cli("optimize", "--strategy", "ema_crossover", "--data", csv, "--symbol", "TEST",
            "--method", "random", "--trials", "12", "--seed", "3", "--space", "fast=4:12:2,slow=20:40:10", "--top", "3", "--json", json);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("== ema_crossover on TEST-7.csv: random, 12 trials, objective sharpe", stdout);
        Assert.Contains("rank  trial  fast  slow  objective", stdout);
        Assert.Contains("deflated sharpe", stdout);
        Assert.Contains("overfitting", stdout);
        Assert.Contains("trials/s", stderr);

        var result = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(12, result.GetProperty("trials").GetArrayLength());
        Assert.Equal(3, result.GetProperty("top").GetArrayLength());
        var lua = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "strategies", "ema_crossover.lua"));
        var expected = Engine.Optimization.Optimizer.Run("ema_crossover", lua, Feeds.CsvKlineReader.Read(csv, "TEST").ToList(), new Engine.Optimization.OptimizationSettings
        {
            Method = Engine.Optimization.OptimizationMethod.Random, Trials = 12, Seed = 3, TopK = 3,
            Space = new Dictionary<string, Engine.Optimization.ParameterRange> { ["fast"] = new() { Min = 4, Max = 12, Step = 2 }, ["slow"] = new() { Min = 20, Max = 40, Step = 10 } },
        });
        Assert.Equal(expected.Best!.Report!.Digest, result.GetProperty("best").GetProperty("report").GetProperty("digest").GetString());
        Assert.Equal(expected.Best.Trial, result.GetProperty("best").GetProperty("trial").GetInt32());
    }

    [Fact]
    public async Task Optimize_walks_forward_and_refuses_a_bad_space_with_the_option_to_fix()
    {
        var csv = BacktestTests.WriteKlines(_dir, "TEST", 3_000);
        var (code, stdout, stderr) = await Cli("optimize", "--strategy", "ema_crossover", "--data", csv, "--symbol", "TEST",
            "--method", "grid", "--space", "fast=4:8:4,slow=20:30:10", "--walk-forward", "train=1000,test=500,windows=3");
        Assert.True(code is 0 or 1, stderr + stdout);
        Assert.Contains("walk-forward", stdout);
        Assert.Contains("stitched out-of-sample", stdout);
        Assert.Equal(3, stdout.Split('\n').Count(l => l.Length > 0 && char.IsDigit(l[0]) && l.Contains(" → ", StringComparison.Ordinal)));

        var bad = await Cli("optimize", "--strategy", "ema_crossover", "--data", csv, "--symbol", "TEST", "--space", "fast=1:8");
        Assert.Equal(2, bad.Code);
        Assert.Contains("--space: params.fast must be between 2 and 50, got 1", bad.Err);
        var grid = await Cli("optimize", "--strategy", "ema_crossover", "--data", csv, "--symbol", "TEST", "--method", "grid");
        Assert.Equal(2, grid.Code);
        Assert.Contains("points, more than 100,000", grid.Err);
    }

    [Fact]
    public async Task Data_import_list_and_a_backtest_of_the_dataset_in_parallel()
    {
        var csv = BacktestTests.WriteKlines(_dir, "TEST", 2_000);
        var imported = await Cli("data", "import", csv, "--symbol", "TEST", "--id", "mine", "--data-dir", "d");
        Assert.True(imported.Code == 0, imported.Err);
        Assert.Contains("imported 2,000 bars of TEST 1m", imported.Out);
        var list = await Cli("data", "list", "--data-dir", "d");
        Assert.Contains("mine", list.Out);
        Assert.Contains("2,000 bars", list.Out);

        var both = await Cli("backtest", "--strategy", "ema_crossover,range_breakout", "--data", "mine", "--data-dir", "d", "--parallel", "2");
        Assert.True(both.Code == 0, both.Err + both.Out);
        Assert.Contains("== ema_crossover on mine", both.Out);
        Assert.Contains("== range_breakout on mine", both.Out);
        Assert.Contains("over 2 thread(s)", both.Err);
    }

    [Theory]
    [InlineData("--fill", "sometimes", "--fill must be close or next_open")]
    [InlineData("--fee-bps", "-3", "--fee-bps: fee_bps must be")]
    [InlineData("--from", "yesterday", "--from must be Unix milliseconds or a date")]
    [InlineData("--max-entries-per-hour", "0", "--max-entries-per-hour: max_entries_per_hour must be a whole number")]
    [InlineData("--max-quantity", "-1", "--max-quantity: max_quantity must be a finite number > 0")]
    public async Task Bad_options_exit_2_with_a_message_naming_the_option(string option, string value, string expected)
    {
        var csv = BacktestTests.WriteKlines(_dir, "TEST", 100);
        var (code, _, stderr) = await Cli("backtest", "--strategy", "ema_crossover", "--data", csv, "--symbol", "TEST", option, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr);
    }

    [Fact]
    public async Task Backtest_risk_options_are_the_limits_of_the_api_and_their_refusals_are_printed()
    {
        var csv = BacktestTests.WriteKlines(_dir, "TEST", 3_000);
        var json = Path.Combine(_dir, "risk.json");
        var (code, stdout, stderr) = await Cli("backtest", "--strategy", "ema_crossover", "--data", csv, "--symbol", "TEST",
            "--max-quantity", "1e-9", "--daily-loss-limit", "100", "--flatten-on-daily-loss", "--json", json);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("risk refusals: max_quantity ", stdout);
        var run = JsonDocument.Parse(File.ReadAllText(json)).RootElement.EnumerateArray().Single();
        var risk = run.GetProperty("settings").GetProperty("risk");
        Assert.Equal((1e-9, 100.0, true), (risk.GetProperty("max_quantity").GetDouble(), risk.GetProperty("daily_loss_limit").GetDouble(),
            risk.GetProperty("flatten_on_daily_loss").GetBoolean()));
        Assert.True(run.GetProperty("report").GetProperty("risk_rejections").GetProperty("max_quantity").GetInt64() > 0);
        Assert.Equal(0, run.GetProperty("report").GetProperty("trades").GetInt32());
    }

    [Fact]
    public async Task A_strategy_that_fails_exits_1_and_says_where()
    {
        var csv = BacktestTests.WriteKlines(_dir, "TEST", 100);
        var lua = Path.Combine(_dir, "broken.lua");
        File.WriteAllText(lua, "function detect_opportunity(md)\n  return md.nothing.field\nend\nfunction filter_commitment() end\nfunction manage_position() end\n");
        var (code, stdout, _) = await Cli("backtest", "--strategy", lua, "--data", csv, "--symbol", "TEST");
        Assert.Equal(1, code);
        Assert.Contains("failed after 1 bars: detect_opportunity: broken.lua:2: attempt to index a nil value", stdout);
        var unknown = await Cli("backtest", "--strategy", "nope", "--data", csv, "--symbol", "TEST");
        Assert.Equal(2, unknown.Code);
        Assert.Contains("There is no strategy 'nope'", unknown.Err);
    }

    [Fact]
    public async Task Keys_are_created_with_the_secret_printed_once_listed_without_it_and_revoked()
    {
        var data = Path.Combine(_dir, "data");
        var created = await Cli("keys", "create", "--name", "desk", "--scope", "trade", "--data", data);
        Assert.True(created.Code == 0, created.Err + created.Out);
        var secret = System.Text.RegularExpressions.Regex.Match(created.Out, @"trk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}").Value;
        Assert.NotEmpty(secret);
        var store = new Tickrunner.Server.Security.ApiKeyStore(new Tickrunner.Server.Storage.TickrunnerDatabase(data));
        Assert.Equal("desk", store.Verify(secret)?.Name);
        var audited = new Tickrunner.Server.Storage.AuditRepository(new Tickrunner.Server.Storage.TickrunnerDatabase(data)).Query(0, 10);
        Assert.Contains(audited, e => e.Method == "CLI" && e.Action == "keys create" && e.Target == "desk");

        var list = await Cli("keys", "list", "--data", data);
        Assert.Equal(0, list.Code);
        Assert.Contains("desk", list.Out);
        Assert.Contains("trade", list.Out);
        Assert.DoesNotContain(secret, list.Out);
        Assert.DoesNotContain("trk_", list.Out);

        var taken = await Cli("keys", "create", "--name", "desk", "--scope", "read", "--data", data);
        Assert.Equal(2, taken.Code);
        Assert.Contains("exists already", taken.Err);
        var badScope = await Cli("keys", "create", "--name", "x", "--scope", "root", "--data", data);
        Assert.Equal(2, badScope.Code);
        Assert.Contains("read, trade, admin", badScope.Err);

        var revoked = await Cli("keys", "revoke", "desk", "--data", data);
        Assert.True(revoked.Code == 0, revoked.Err);
        Assert.Null(store.Verify(secret));
        Assert.Contains("revoked", (await Cli("keys", "list", "--data", data)).Out);
        Assert.Equal(2, (await Cli("keys", "revoke", "desk", "--data", data)).Code);
    }
}
