using BenchmarkDotNet.Running;
using Tickrunner.Benchmarks;

// BenchmarkDotNet micro-benchmarks:  dotnet run -c Release --project bench/Tickrunner.Benchmarks -- --filter '*'
// Engine load harness:              dotnet run -c Release --project bench/Tickrunner.Benchmarks -- engine [--runners 100] [--symbols 10] [--seconds 10] [--rate 250000] [--with-backtest]
// Backtest harness:                 dotnet run -c Release --project bench/Tickrunner.Benchmarks -- backtest [--bars 1000000] [--runs 3] [--parallel 2]
// Optimization harness:           dotnet run -c Release --project bench/Tickrunner.Benchmarks -- optimize [--bars 100000] [--trials 500] [--scaling-trials 24]
// (see docs/guides/benchmarks.md)
if (args.Length > 0 && args[0] == "engine") return await EngineThroughputHarness.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "backtest") return BacktestHarness.Run(args[1..]);
if (args.Length > 0 && args[0] == "optimize") return OptimizationHarness.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
