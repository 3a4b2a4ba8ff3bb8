using System.Security.Cryptography;
using System.Text;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Security;

/// <summary>A dashboard session: whose key it stands for, its CSRF token and when it ends.</summary>
public sealed record SessionInfo(ApiKeyInfo Key, string CsrfToken, long ExpiresAt);

/// <summary>A session just opened: the cookie's token exists only in the response that sets it.</summary>
public sealed record CreatedSession(string Token, SessionInfo Session);

/// <summary>
/// Dashboard sessions in SQLite, keyed by a SHA-256 of the cookie's random token (a stolen database holds no usable
/// cookie). A session dies with its key: revoking deletes it, and a lookup joins on the key being active.
/// </summary>
public sealed class SessionStore(TickrunnerDatabase database)
{
    /// <summary>Opens a session for an active key.</summary>
    public CreatedSession Create(ApiKeyInfo key, TimeSpan lifetime)
    {
        var token = ApiKeyStore.Base64Url(RandomNumberGenerator.GetBytes(32));
        var csrf = ApiKeyStore.Base64Url(RandomNumberGenerator.GetBytes(24));
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var expires = now + (long)lifetime.TotalMilliseconds;
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        // Expired sessions are swept here, where sessions are made, so the table stays as small as the live ones.
        command.CommandText = """
            DELETE FROM sessions WHERE expires_at <= $now;
            INSERT INTO sessions (token_hash, key_id, csrf_token, created_at, expires_at) VALUES ($hash, $key, $csrf, $now, $expires);
            """;
        command.Parameters.AddWithValue("$hash", Hash(token));
        command.Parameters.AddWithValue("$key", key.KeyId);
        command.Parameters.AddWithValue("$csrf", csrf);
        command.Parameters.AddWithValue("$now", now);
        command.Parameters.AddWithValue("$expires", expires);
        command.ExecuteNonQuery();
        return new CreatedSession(token, new SessionInfo(key, csrf, expires));
    }

    /// <summary>The live session of a cookie's token whose key is active, or null.</summary>
    public SessionInfo? Find(string token)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT k.key_id, k.name, k.scope, k.created_at, s.csrf_token, s.expires_at
            FROM sessions s JOIN api_keys k ON k.key_id = s.key_id
            WHERE s.token_hash = $hash AND s.expires_at > $now AND k.revoked_at IS NULL;
            """;
        command.Parameters.AddWithValue("$hash", Hash(token));
        command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        ApiScopes.TryParse(reader.GetString(2), out var scope);
        var key = new ApiKeyInfo(reader.GetString(0), reader.GetString(1), scope, reader.GetInt64(3), null);
        return new SessionInfo(key, reader.GetString(4), reader.GetInt64(5));
    }

    /// <summary>Ends a session (logout); false when there was none.</summary>
    public bool Delete(string token)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM sessions WHERE token_hash = $hash;";
        command.Parameters.AddWithValue("$hash", Hash(token));
        return command.ExecuteNonQuery() > 0;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
