using Microsoft.AspNetCore.Diagnostics;
using Tickrunner.Engine.Wire;
using Tickrunner.Server.Api;
using Tickrunner.Server.Clustering;
using Tickrunner.Server.Dashboard;
using Tickrunner.Server.Hosting;
using Tickrunner.Server.Metrics;
using Tickrunner.Server.Security;
using Tickrunner.Server.Streaming;

namespace Tickrunner.Server;

/// <summary>Composes the server: its services (TickrunnerServices), JSON, problem details, CORS, OpenAPI, endpoints, dashboard.</summary>
public static class TickrunnerApp
{
    private const string CorsPolicy = "configured-origins";

    /// <summary>Builds the application; <paramref name="configure"/> lets tests adjust the builder (URLs, settings).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Content root next to the binary: appsettings.json and the dashboard are found from any working
        // directory; relative data paths still resolve against the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls("http://localhost:8080"); // the documented default address (docs/guides/web-app-api.md §6)
        configure?.Invoke(builder);

        var settings = builder.Configuration.GetSection(TickrunnerOptions.Section).Get<TickrunnerOptions>() ?? new TickrunnerOptions();
        builder.UseTickrunnerCluster(); // with Cluster:Enabled=true: a silo, started before the server's services and stopped after them
        builder.Services.AddTickrunner(builder.Configuration);
        builder.Services.AddTickrunnerAccess(builder.Configuration);
        builder.Services.ConfigureHttpJsonOptions(o => WireJson.Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            c.ProblemDetails.Instance ??= c.HttpContext.Request.Path;
            c.ProblemDetails.Detail ??= DefaultDetail(c.HttpContext, c.ProblemDetails.Status);
        });
        builder.Services.AddCors(o => o.AddPolicy(CorsPolicy, p => p
            .WithOrigins([.. settings.Cors.EffectiveOrigins])
            .AllowAnyHeader()
            .AllowAnyMethod()));
        builder.Services.AddOpenApi();
        builder.Services.AddTickrunnerRateLimits(settings.RateLimits);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = settings.MaxRequestBodyBytes);

        var app = builder.Build();
        // Before anything listens: a server reachable from other machines needs a key (ExposureGuard says how to make one).
        var access = app.Services.GetRequiredService<AccessControl>();
        var exposure = ExposureGuard.Reasons(ListenUrls(builder), settings.EffectiveAllowedHosts, settings.ForwardedHeaders.Enabled);
        var activeKeys = access.ActiveKeyCount();
        ExposureGuard.Check(exposure, activeKeys, settings.DataDirectory);
        // Exposed, keys stay asked for even if the last one is revoked later: the server then refuses everyone rather than
        // serving everyone.
        access.Exposed = exposure.Count > 0;
        if (settings.Auth.Required && activeKeys == 0)
            app.Logger.LogWarning("Tickrunner:Auth:Required is on and no API key exists: every API request will be refused. Create one: dotnet run --project src/Tickrunner.Cli -- keys create --name admin --scope admin --data {Data}", settings.DataDirectory);
        app.UseSecurityHeaders(settings.SecurityHeaders); // first: every response carries them, refusals and errors too
        app.UseRequestMetrics(); // it counts every answer, errors and refused hosts included
        app.UseExceptionHandler(handler => handler.Run(WriteUnexpectedError));
        app.UseTickrunnerForwardedHeaders(settings.ForwardedHeaders); // before anything reads the scheme or client address
        var hosts = new HostAllowList(settings.EffectiveAllowedHosts);
        app.Use(hosts.RejectForeignHosts); // first: nothing, not even a 404 or a CORS preflight, for a foreign name
        app.UseStatusCodePages(); // bodyless 404/405/… become problem+json too
        app.UseCors(CorsPolicy);
        app.Use(RejectForeignOrigins(settings.Cors.EffectiveOrigins));

        var dashboard = Path.Combine(AppContext.BaseDirectory, "dashboard"); // built from web/ with the server
        if (Directory.Exists(dashboard)) app.UseDashboard(dashboard); // open: the login page is part of it

        app.UseRouting();
        app.UseAuthentication();
        // After the dashboard's files (not limited) and authentication (partitions by the key's name); before the audit
        // trail, so a flood of refused requests costs no database writes.
        app.UseRateLimiter();
        app.Use(app.Services.GetRequiredService<AuditTrail>().InvokeAsync); // after authentication (who), before authorization (refusals too)
        app.UseAuthorization();

        // Scopes per route group (GET needs read; changing needs trade or admin); only health and the login are open.
        app.MapOpenApi().RequireScope(ApiScope.Read);
        app.MapHealthApi();
        app.MapAuthApi();
        app.MapRunnersApi().RequireScope(ApiScope.Read, ApiScope.Trade);
        app.MapEngineApi().RequireScope(ApiScope.Read, ApiScope.Trade); // the kill switch is steering runners: trade
        app.MapStrategiesApi().RequireScope(ApiScope.Read, ApiScope.Admin);
        app.MapSymbolsApi().RequireScope(ApiScope.Read);
        app.MapPortfolioApi().RequireScope(ApiScope.Read);
        app.MapDatasetsApi().RequireScope(ApiScope.Read, ApiScope.Admin);
        app.MapBacktestsApi().RequireScope(ApiScope.Read, ApiScope.Trade);
        app.MapOptimizationsApi().RequireScope(ApiScope.Read, ApiScope.Trade);
        app.MapKeysApi().RequireScope(ApiScope.Admin);
        app.MapAuditApi().RequireScope(ApiScope.Admin);
        app.MapEventStream().RequireScope(ApiScope.Read);
        app.MapMetrics().RequireScope(ApiScope.Read);
        return app;
    }

    // Where Kestrel will listen: --urls / ASPNETCORE_URLS / UseUrls, and Kestrel:Endpoints:*:Url from configuration.
    private static IEnumerable<string> ListenUrls(WebApplicationBuilder builder)
    {
        var urls = builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey) ?? builder.Configuration["urls"] ?? "";
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) yield return url;
        foreach (var endpoint in builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren())
            if (endpoint["Url"] is { Length: > 0 } url) yield return url;
    }

    // Browsers send Origin on cross-site form posts and WebSocket handshakes, which CORS does not stop: a page on
    // another site could otherwise stop runners or read the event stream. Requests without Origin (curl,
    // programs) and same-origin requests pass. Same-origin is judged against a Host that the host allow-list
    // has already accepted: a Host header alone proves nothing, as a rebinding page sets it to its own name.
    private static Func<HttpContext, RequestDelegate, Task> RejectForeignOrigins(IReadOnlyList<string> allowed) => (context, next) =>
    {
        var request = context.Request;
        var unsafeMethod = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
        var isWebSocket = request.Path.StartsWithSegments("/ws");
        var origin = request.Headers.Origin.ToString();
        var sameOrigin = HostAllowList.IsAccepted(context)
            && string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);
        if ((unsafeMethod || isWebSocket) && origin.Length > 0 && !sameOrigin
            && !allowed.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            return TypedResults.Problem($"Requests from {origin} are not allowed; add it to Tickrunner:Cors:Origins to permit it.",
                request.Path, StatusCodes.Status403Forbidden, "Forbidden origin").ExecuteAsync(context);
        }
        return next(context);
    };

    // Problems the framework answers itself (routing, content negotiation) get a detail a person can act on.
    private static string? DefaultDetail(HttpContext context, int? status) => status switch
    {
        StatusCodes.Status404NotFound => $"Nothing is served at {context.Request.Method} {context.Request.Path}; /openapi/v1.json lists the API.",
        StatusCodes.Status405MethodNotAllowed => $"{context.Request.Method} is not allowed on {context.Request.Path}; /openapi/v1.json lists the methods.",
        StatusCodes.Status415UnsupportedMediaType =>
            $"Send the body as JSON with 'Content-Type: application/json' (got '{context.Request.ContentType ?? "no content type"}').",
        StatusCodes.Status413PayloadTooLarge => "The request body is larger than Tickrunner:MaxRequestBodyBytes allows.",
        _ => null,
    };

    private static async Task WriteUnexpectedError(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        // A service's refusal that an endpoint did not map itself (e.g. a cluster that did not answer a list) keeps its status.
        if (error is Common.ServiceException refusal)
        {
            await Problems.From(refusal).ExecuteAsync(context);
            return;
        }
        var (status, title, detail) = error switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "Bad request", bad.Message),
            _ => (StatusCodes.Status500InternalServerError, "Internal server error",
                "The server failed to handle the request; the engine and the other runners are unaffected. The server log has the details."),
        };
        await TypedResults.Problem(detail, context.Request.Path, status, title).ExecuteAsync(context);
    }
}
