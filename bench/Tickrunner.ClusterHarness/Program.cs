using Tickrunner.ClusterHarness;

// Runners on a one-silo cluster at rising tick rates (see docs/guides/benchmarks.md):
//   dotnet run -c Release --project bench/Tickrunner.ClusterHarness -- [--silos 1] [--runners 100] [--symbols 10] [--seconds 5] [--rates 50000,100000,…]
return await ClusterThroughputHarness.RunAsync(args);
