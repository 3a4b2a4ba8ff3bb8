using Microsoft.AspNetCore.Http.HttpResults;
using Tickrunner.Server.Portfolio;

namespace Tickrunner.Server.Api;

/// <summary><c>/api/portfolio</c>: every runner's paper account summed, and the portfolio's sampled curve.</summary>
public static class PortfolioApi
{
    /// <summary>Maps the portfolio endpoints; the group is returned so authorization can be attached to it.</summary>
    public static RouteGroupBuilder MapPortfolioApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/portfolio").WithTags("Portfolio");
        group.MapGet("/", (PortfolioService portfolio, CancellationToken ct) => portfolio.SummaryAsync(ct))
            .WithSummary("Equity, realized and unrealized P&L, P&L since 00:00 UTC and open positions across runners, with a line per runner");
        group.MapGet("/equity", Curve)
            .WithSummary("The sampled curve (times, equity, capital, pnl) with from ≤ time ≤ to (Unix ms); ?points=N thins it to N");
        return group;
    }

    private static Results<Ok<PortfolioCurve>, ProblemHttpResult> Curve(string? from, string? to, string? points, PortfolioService portfolio)
    {
        var errors = new Dictionary<string, string>();
        var first = QueryNumber.Read(from, "from", 0, long.MaxValue, 0, errors);
        var last = QueryNumber.Read(to, "to", 0, long.MaxValue, long.MaxValue, errors);
        int? n = points is null ? null : (int)QueryNumber.Read(points, "points", 2, 1_000_000, 2, errors);
        if (errors.Count == 0 && last < first) errors["to"] = $"to ({last}) is before from ({first}).";
        return errors.Count > 0 ? Problems.Invalid(errors) : TypedResults.Ok(portfolio.Curve(first, last, n));
    }
}
