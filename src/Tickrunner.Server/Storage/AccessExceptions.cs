namespace Tickrunner.Server.Storage;

/// <summary>A key name that is not allowed, with why.</summary>
public sealed class InvalidKeyNameException(string message) : StorageException(message);

/// <summary>A key that is not revoked has that name already.</summary>
public sealed class KeyNameTakenException(string name, Exception? inner = null)
    : StorageException($"A key named '{name}' exists already; revoke it first or choose another name.", inner);
