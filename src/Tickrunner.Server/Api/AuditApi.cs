using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Server.Storage;

namespace Tickrunner.Server.Api;

/// <summary><c>/api/audit</c> (admin): the state-changing requests the server answered.</summary>
public static class AuditApi
{
    /// <summary>Maps the audit endpoint; the builder is returned so authorization can be attached to it.</summary>
    public static RouteHandlerBuilder MapAuditApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/audit", Query).WithTags("Audit")
            .WithSummary("State-changing requests, newest first: ?since= (Unix ms or ISO-8601), ?limit= (default 100, at most 1,000), ?before_id= to page back");

    private static Results<Ok<IReadOnlyList<AuditEntry>>, ProblemHttpResult> Query(string? since, string? limit, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "before_id")] string? beforeId, AuditRepository audit)
    {
        var errors = new Dictionary<string, string>();
        var n = (int)QueryNumber.Read(limit, "limit", 1, 1000, 100, errors);
        long? before = beforeId is null ? null : QueryNumber.Read(beforeId, "before_id", 1, long.MaxValue, long.MaxValue, errors);
        var from = 0L;
        if (since is not null)
        {
            if (long.TryParse(since, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)) from = ms;
            else if (DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) from = at.ToUnixTimeMilliseconds();
            else errors["since"] = $"since must be Unix milliseconds or an ISO-8601 time such as 2026-12-01T09:00:00Z, got '{since}'.";
        }
        return errors.Count > 0 ? Problems.Invalid(errors) : TypedResults.Ok(audit.Query(from, n, before));
    }
}
