using Tickrunner.Server;
using Tickrunner.Server.Security;

// http://localhost:8080 by default; every setting is in appsettings.json, Tickrunner__X env vars or --Tickrunner:X=.
try
{
    await TickrunnerApp.Build(args).RunAsync();
    return 0;
}
catch (ExposureRefusedException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
catch (Microsoft.Extensions.Options.OptionsValidationException e)
{
    // Settings that cannot work (e.g. Cluster:Node's): each problem on its line, no stack trace.
    foreach (var failure in e.Failures) Console.Error.WriteLine(failure);
    return 1;
}
