using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Security;

/// <summary>An API key as listed: never its secret.</summary>
public sealed record ApiKeyInfo(string KeyId, string Name, ApiScope Scope, long CreatedAt, long? RevokedAt)
{
    /// <summary>True until revoked.</summary>
    public bool Active => RevokedAt is null;
}

/// <summary>A key just made: the only moment its secret exists outside the holder's hands.</summary>
public sealed record CreatedApiKey(ApiKeyInfo Key, string Secret);

/// <summary>
/// API keys in SQLite, stored as a salted SHA-256 of the secret. A secret reads <c>trk_ID_RANDOM</c>: the id finds the
/// row, the 256 random bits make a slow hash pointless (nobody can guess them), so checking a key costs one hash.
/// </summary>
public sealed class ApiKeyStore(TickrunnerDatabase database)
{
    private const string Prefix = "trk_";
    private const int IdBytes = 6, SecretBytes = 32, SaltBytes = 16;

    /// <summary>Makes a key; <see cref="InvalidKeyNameException"/> or <see cref="KeyNameTakenException"/> when the name cannot be used.</summary>
    public CreatedApiKey Create(string name, ApiScope scope)
    {
        name = name?.Trim() ?? "";
        if (NameProblem(name) is { } problem) throw new InvalidKeyNameException(problem);
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdBytes));
        var secret = $"{Prefix}{keyId}_{Base64Url(RandomNumberGenerator.GetBytes(SecretBytes))}";
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO api_keys (key_id, name, scope, salt, hash, created_at) VALUES ($id, $name, $scope, $salt, $hash, $now);
            """;
        command.Parameters.AddWithValue("$id", keyId);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$scope", scope.Name());
        command.Parameters.AddWithValue("$salt", salt);
        command.Parameters.AddWithValue("$hash", Hash(salt, secret));
        command.Parameters.AddWithValue("$now", now);
        try
        {
            command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19) // SQLITE_CONSTRAINT: the active name index
        {
            throw new KeyNameTakenException(name, e);
        }
        return new CreatedApiKey(new ApiKeyInfo(keyId, name, scope, now, null), secret);
    }

    /// <summary>Every key, active ones first, then by name.</summary>
    public IReadOnlyList<ApiKeyInfo> List()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key_id, name, scope, created_at, revoked_at FROM api_keys ORDER BY revoked_at IS NOT NULL, name, created_at;";
        using var reader = command.ExecuteReader();
        var keys = new List<ApiKeyInfo>();
        while (reader.Read()) keys.Add(Read(reader));
        return keys;
    }

    /// <summary>How many keys are not revoked.</summary>
    public int CountActive()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL;";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Revokes the active key with that id or name, and ends its sessions; null when there is none.</summary>
    public ApiKeyInfo? Revoke(string idOrName)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using var find = connection.CreateCommand();
        find.Transaction = transaction;
        find.CommandText = """
            SELECT key_id, name, scope, created_at, revoked_at FROM api_keys
            WHERE revoked_at IS NULL AND (key_id = $key OR name = $key) ORDER BY key_id = $key DESC LIMIT 1;
            """;
        find.Parameters.AddWithValue("$key", idOrName);
        ApiKeyInfo? key;
        using (var reader = find.ExecuteReader()) key = reader.Read() ? Read(reader) : null;
        if (key is null) return null;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var revoke = connection.CreateCommand();
        revoke.Transaction = transaction;
        revoke.CommandText = "UPDATE api_keys SET revoked_at = $now WHERE key_id = $id; DELETE FROM sessions WHERE key_id = $id;";
        revoke.Parameters.AddWithValue("$now", now);
        revoke.Parameters.AddWithValue("$id", key.KeyId);
        revoke.ExecuteNonQuery();
        transaction.Commit();
        return key with { RevokedAt = now };
    }

    /// <summary>The active key a presented secret belongs to, or null (unknown, malformed, wrong or revoked).</summary>
    public ApiKeyInfo? Verify(string secret)
    {
        if (KeyIdOf(secret) is not { } keyId) return null;
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key_id, name, scope, created_at, revoked_at, salt, hash FROM api_keys WHERE key_id = $id AND revoked_at IS NULL;";
        command.Parameters.AddWithValue("$id", keyId);
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        var salt = (byte[])reader["salt"];
        var hash = (byte[])reader["hash"];
        return CryptographicOperations.FixedTimeEquals(hash, Hash(salt, secret)) ? Read(reader) : null;
    }

    /// <summary>The active key with that id, or null.</summary>
    public ApiKeyInfo? FindActive(string keyId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key_id, name, scope, created_at, revoked_at FROM api_keys WHERE key_id = $id AND revoked_at IS NULL;";
        command.Parameters.AddWithValue("$id", keyId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    /// <summary>Why a name cannot be a key's name, or null: 1–64 letters, digits, '.', '-', '_' or '@'.</summary>
    public static string? NameProblem(string name) =>
        name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@')
            ? $"A key's name is 1 to 64 letters, digits, '.', '-', '_' or '@' (got '{name}')."
            : null;

    // "trk_<12 hex>_<43 base64url>"; anything else is not ours and costs no database read.
    private static string? KeyIdOf(string secret)
    {
        if (secret.Length != Prefix.Length + IdBytes * 2 + 1 + 43 || !secret.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var id = secret.AsSpan(Prefix.Length, IdBytes * 2);
        if (secret[Prefix.Length + IdBytes * 2] != '_') return null;
        foreach (var c in id) if (!char.IsAsciiHexDigitLower(c)) return null;
        return id.ToString();
    }

    private static byte[] Hash(byte[] salt, string secret)
    {
        var bytes = Encoding.UTF8.GetBytes(secret);
        var input = new byte[salt.Length + bytes.Length];
        salt.CopyTo(input, 0);
        bytes.CopyTo(input, salt.Length);
        return SHA256.HashData(input);
    }

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static ApiKeyInfo Read(SqliteDataReader reader)
    {
        ApiScopes.TryParse(reader.GetString(2), out var scope);
        return new ApiKeyInfo(reader.GetString(0), reader.GetString(1), scope, reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetInt64(4));
    }
}
