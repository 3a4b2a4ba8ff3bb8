using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Tickrunner.Server.Security;

/// <summary>A verified caller: the key it acts as, and for a dashboard session, the session's CSRF token.</summary>
public sealed record AccessGrant(ApiKeyInfo Key, AccessVia Via, string? CsrfToken = null, long? ExpiresAt = null);

/// <summary>How a request proved who it is.</summary>
public enum AccessVia
{
    /// <summary><c>Authorization: Bearer</c>.</summary>
    Bearer,

    /// <summary>The WebSocket's <c>access_token</c> query parameter.</summary>
    Query,

    /// <summary>The dashboard's session cookie.</summary>
    Session,
}

/// <summary>
/// Whether keys are asked for, and the keys and sessions presented, remembered for <see cref="AuthOptions.RecheckSeconds"/>
/// so a request costs a dictionary lookup rather than a database read; revocations through this server forget at once.
/// </summary>
public sealed class AccessControl(ApiKeyStore keys, SessionStore sessions, IOptions<AuthOptions> options, TimeProvider clock)
{
    private const int MaxRemembered = 10_000;
    private readonly ConcurrentDictionary<string, Remembered> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Remembered> _sessions = new(StringComparer.Ordinal);
    private readonly long _recheckTicks = (long)(Math.Max(0, options.Value.RecheckSeconds) * clock.TimestampFrequency);
    private long _enabledUntil; // a timestamp; 0 means look now
    private volatile bool _enabled;

    private sealed record Remembered(AccessGrant Grant, long CheckedAt);

    /// <summary>Reachable from other machines (see <see cref="ExposureGuard"/>): keys are asked for whatever happens to them.</summary>
    public bool Exposed { get; set; }

    /// <summary>True when requests need a key: <see cref="AuthOptions.Required"/>, exposed, or some key is active.</summary>
    public bool Enabled
    {
        get
        {
            if (options.Value.Required || Exposed) return true;
            var now = clock.GetTimestamp();
            if (now >= Volatile.Read(ref _enabledUntil))
            {
                _enabled = keys.CountActive() > 0;
                Volatile.Write(ref _enabledUntil, now + _recheckTicks);
            }
            return _enabled;
        }
    }

    /// <summary>How many keys are active, read now.</summary>
    public int ActiveKeyCount() => keys.CountActive();

    /// <summary>The grant of an API key's secret, or null when it is not an active key.</summary>
    public AccessGrant? VerifyKey(string secret, AccessVia via)
    {
        var now = clock.GetTimestamp();
        if (_keys.TryGetValue(secret, out var known))
        {
            if (now - known.CheckedAt <= _recheckTicks) return known.Grant with { Via = via };
            // Looked up again by id: only its revocation can have changed, not whether the secret matches.
            if (keys.FindActive(known.Grant.Key.KeyId) is { } still)
            {
                Remember(_keys, secret, new AccessGrant(still, via), now);
                return known.Grant with { Key = still, Via = via };
            }
            _keys.TryRemove(secret, out _);
            return null;
        }
        if (keys.Verify(secret) is not { } key) return null;
        var grant = new AccessGrant(key, via);
        Remember(_keys, secret, grant, now);
        return grant;
    }

    /// <summary>The grant of a session cookie's token, or null when the session is unknown, ended, expired or its key revoked.</summary>
    public AccessGrant? VerifySession(string token)
    {
        var now = clock.GetTimestamp();
        var wallNow = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (_sessions.TryGetValue(token, out var known) && now - known.CheckedAt <= _recheckTicks)
            return known.Grant.ExpiresAt > wallNow ? known.Grant : Forget(token);
        if (sessions.Find(token) is not { } session) return Forget(token);
        var grant = new AccessGrant(session.Key, AccessVia.Session, session.CsrfToken, session.ExpiresAt);
        Remember(_sessions, token, grant, now);
        return grant;
    }

    /// <summary>
    /// For a long-lived request (the WebSocket): a check that the credential it was let in with still holds, i.e. the
    /// key is not revoked, the session not ended or expired, and, if it came in when no key was asked for, that none is yet.
    /// </summary>
    public Func<bool> StillAllowed(HttpContext context)
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated != true) return () => !Enabled;
        var via = user.FindFirst(AccessAuthenticationHandler.ViaClaim)?.Value;
        var request = context.Request;
        if (via == nameof(AccessVia.Session) && request.Cookies.TryGetValue(AccessAuthenticationHandler.SessionCookie, out var token))
            return () => !Enabled || VerifySession(token) is not null;
        var secret = via == nameof(AccessVia.Query)
            ? request.Query["access_token"].ToString()
            : request.Headers.Authorization.ToString() is { Length: > 7 } header ? header[7..].Trim() : "";
        var accessVia = via == nameof(AccessVia.Query) ? AccessVia.Query : AccessVia.Bearer;
        return () => !Enabled || VerifyKey(secret, accessVia) is not null;
    }

    /// <summary>Opens a dashboard session for a key's secret; null when the secret is not an active key.</summary>
    public CreatedSession? Login(string secret)
    {
        if (keys.Verify(secret) is not { } key) return null;
        return sessions.Create(key, TimeSpan.FromHours(Math.Max(1.0 / 3600, options.Value.SessionHours))); // at least a second
    }

    /// <summary>Ends a session at once.</summary>
    public void Logout(string token)
    {
        sessions.Delete(token);
        _sessions.TryRemove(token, out _);
    }

    /// <summary>Makes a key; the next request sees whether keys are now asked for.</summary>
    public CreatedApiKey CreateKey(string name, ApiScope scope)
    {
        var created = keys.Create(name, scope);
        Volatile.Write(ref _enabledUntil, 0);
        return created;
    }

    /// <summary>Revokes a key by id or name; its secret and sessions stop working at once. Null when no active key matches.</summary>
    public ApiKeyInfo? RevokeKey(string idOrName)
    {
        var revoked = keys.Revoke(idOrName);
        if (revoked is null) return null;
        foreach (var (secret, remembered) in _keys)
            if (remembered.Grant.Key.KeyId == revoked.KeyId) _keys.TryRemove(secret, out _);
        foreach (var (token, remembered) in _sessions)
            if (remembered.Grant.Key.KeyId == revoked.KeyId) _sessions.TryRemove(token, out _);
        Volatile.Write(ref _enabledUntil, 0);
        return revoked;
    }

    /// <summary>Every key, never a secret.</summary>
    public IReadOnlyList<ApiKeyInfo> ListKeys() => keys.List();

    private AccessGrant? Forget(string token)
    {
        _sessions.TryRemove(token, out _);
        return null;
    }

    // Only verified credentials are remembered, so the maps hold at most what was really issued; the bound is for safety.
    private static void Remember(ConcurrentDictionary<string, Remembered> map, string credential, AccessGrant grant, long now)
    {
        if (map.Count >= MaxRemembered) map.Clear();
        map[credential] = new Remembered(grant, now);
    }
}
