using System.Globalization;
using Tickrunner.Server.Security;
using Tickrunner.Server.Storage;

namespace Tickrunner.Cli;

/// <summary><c>keys create|list|revoke</c>: the server's API keys, in the SQLite file of its data directory (it may be running).</summary>
internal static class KeysCommand
{
    public const string Usage = """
        keys create --name NAME --scope read|trade|admin [--data DIR]
        keys list [--data DIR]
        keys revoke ID|NAME [--data DIR]
        """;

    public static int Run(string[] argv)
    {
        var args = new CliArgs(argv.Skip(1));
        // --data DIR as the keys commands were first documented, or --data-dir DIR as the other commands take it.
        var database = new TickrunnerDatabase(args.String("--data") ?? args.DataDirectory);
        database.Migrate();
        var keys = new ApiKeyStore(database);
        var audit = new AuditRepository(database);
        switch (argv.FirstOrDefault())
        {
            case "create":
                var name = args.Required("--name");
                var scopeText = args.Required("--scope");
                if (!ApiScopes.TryParse(scopeText, out var scope)) throw new CliException($"--scope must be one of {ApiScopes.Names}, got '{scopeText}'.");
                CreatedApiKey created;
                try
                {
                    created = keys.Create(name, scope);
                }
                catch (StorageException e)
                {
                    throw new CliException(e.Message);
                }
                Console.WriteLine($"created key '{created.Key.Name}' (id {created.Key.KeyId}, scope {scope.Name()}) in {database.FilePath}");
                Console.WriteLine("its secret, shown this once (only a salted hash is stored):");
                Console.WriteLine();
                Console.WriteLine($"  {created.Secret}");
                Console.WriteLine();
                Console.WriteLine("use it as 'Authorization: Bearer <secret>', or paste it into the dashboard's login.");
                Record(audit, "keys create", created.Key.Name); // after the secret is out: a failed write must not lose it
                return 0;
            case "list":
                var all = keys.List();
                if (all.Count == 0)
                {
                    Console.WriteLine($"no keys in {database.FilePath}");
                    return 0;
                }
                Console.WriteLine($"{"ID",-14} {"NAME",-24} {"SCOPE",-6} {"CREATED (UTC)",-17} STATUS");
                foreach (var key in all)
                {
                    var status = key.RevokedAt is { } at ? $"revoked {Time(at)}" : "active";
                    Console.WriteLine($"{key.KeyId,-14} {key.Name,-24} {key.Scope.Name(),-6} {Time(key.CreatedAt),-17} {status}");
                }
                return 0;
            case "revoke":
                var which = args.Positional.FirstOrDefault() ?? throw new CliException("keys revoke needs a key's id or name.");
                var revoked = keys.Revoke(which) ?? throw new CliException($"No active key has the id or name '{which}' (keys list shows them).");
                Record(audit, "keys revoke", revoked.Name);
                Console.WriteLine($"revoked key '{revoked.Name}' (id {revoked.KeyId}); a running server refuses it within Tickrunner:Auth:RecheckSeconds (1 s by default)");
                return 0;
            default:
                throw new CliException($"keys needs create, list or revoke.\n{Usage}");
        }
    }

    // Key changes made here are in the audit log beside those made over HTTP.
    private static void Record(AuditRepository audit, string action, string target) =>
        audit.Append(new AuditEntry(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, "command line", "CLI", action, target, 0, "ok"));

    private static string Time(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
