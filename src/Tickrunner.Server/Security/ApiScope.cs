namespace Tickrunner.Server.Security;

/// <summary>What a key may do; each scope includes the ones below it (admin ⊇ trade ⊇ read).</summary>
public enum ApiScope
{
    /// <summary>GET requests and the WebSocket stream.</summary>
    Read = 1,

    /// <summary>Read, plus steering runners and running backtests and optimizations.</summary>
    Trade = 2,

    /// <summary>Everything: also strategies (code), datasets, keys and the audit log.</summary>
    Admin = 3,
}

/// <summary>The scopes' names on the wire and on the command line.</summary>
public static class ApiScopes
{
    /// <summary>The accepted names, in order.</summary>
    public const string Names = "read, trade, admin";

    /// <summary>The lowercase name.</summary>
    public static string Name(this ApiScope scope) => scope switch
    {
        ApiScope.Read => "read",
        ApiScope.Trade => "trade",
        ApiScope.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, null),
    };

    /// <summary>Parses a scope name (case-insensitive).</summary>
    public static bool TryParse(string? text, out ApiScope scope)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "read": scope = ApiScope.Read; return true;
            case "trade": scope = ApiScope.Trade; return true;
            case "admin": scope = ApiScope.Admin; return true;
            default: scope = default; return false;
        }
    }
}
