using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Tickrunner.Benchmarks -- --filter '*'   (see docs/guides/benchmarks.md)
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
