using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Server.Security;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Api;

/// <summary>Body of <c>POST /api/keys</c>.</summary>
public sealed record CreateKeyRequest(string? Name, string? Scope);

/// <summary>A key as listed (never its secret).</summary>
public sealed record KeyResponse(string KeyId, string Name, string Scope, long CreatedAt, long? RevokedAt, bool Active)
{
    internal static KeyResponse From(ApiKeyInfo key) => new(key.KeyId, key.Name, key.Scope.Name(), key.CreatedAt, key.RevokedAt, key.Active);
}

/// <summary>A key just made, with its secret: shown this once.</summary>
public sealed record CreatedKeyResponse(string KeyId, string Name, string Scope, long CreatedAt, string Secret);

/// <summary><c>/api/keys</c> (admin): the same as the command line's <c>keys list|create|revoke</c>, over HTTP.</summary>
public static class KeysApi
{
    /// <summary>Maps the key endpoints; the group is returned so authorization can be attached to it.</summary>
    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/keys").WithTags("Keys");
        group.MapGet("/", (AccessControl access) => TypedResults.Ok(access.ListKeys().Select(KeyResponse.From).ToList()))
            .WithSummary("Every key, active first: id, name, scope, created, revoked (never a secret)");
        group.MapPost("/", Create).Accepts<CreateKeyRequest>("application/json").WithSummary("Make a key; its secret is in this response only");
        group.MapDelete("/{id}", Revoke).WithSummary("Revoke a key by id or name; it and its sessions stop working at once");
        return group;
    }

    private static async Task<Results<Created<CreatedKeyResponse>, ProblemHttpResult>> Create(HttpRequest request, AccessControl access)
    {
        var (body, problem) = await RequestBody.ReadAsync<CreateKeyRequest>(request);
        if (problem is not null) return problem;
        var errors = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(body!.Name)) errors["name"] = "name is required.";
        else if (ApiKeyStore.NameProblem(body.Name.Trim()) is { } bad) errors["name"] = bad;
        if (!ApiScopes.TryParse(body.Scope, out var scope)) errors["scope"] = $"scope must be one of {ApiScopes.Names} (got '{body.Scope}').";
        if (errors.Count > 0) return Problems.Invalid(errors);
        try
        {
            var created = access.CreateKey(body.Name!, scope);
            var key = created.Key;
            return TypedResults.Created($"/api/keys/{key.KeyId}", new CreatedKeyResponse(key.KeyId, key.Name, key.Scope.Name(), key.CreatedAt, created.Secret));
        }
        catch (KeyNameTakenException e)
        {
            return Problems.Conflict(e.Message);
        }
    }

    private static Results<Ok<KeyResponse>, ProblemHttpResult> Revoke(string id, AccessControl access) =>
        access.RevokeKey(id) is { } revoked
            ? TypedResults.Ok(KeyResponse.From(revoked))
            : Problems.NotFound($"No active key has the id or name '{id}'; GET /api/keys lists them.");
}
