using Tickrunner.Server;

// http://localhost:8080 by default; every setting is in appsettings.json, Tickrunner__X env vars or --Tickrunner:X=.
await TickrunnerApp.Build(args).RunAsync();
