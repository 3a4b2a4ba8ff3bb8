using Microsoft.AspNetCore.Diagnostics;
using Tickrunner.Engine.Wire;
using Tickrunner.Server.Api;
using Tickrunner.Server.Dashboard;
using Tickrunner.Server.Hosting;
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
        builder.Services.AddTickrunner(builder.Configuration);
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
        app.UseSecurityHeaders(settings.SecurityHeaders); // first: every response carries them, refusals and errors too
        app.UseExceptionHandler(handler => handler.Run(WriteUnexpectedError));
        app.UseTickrunnerForwardedHeaders(settings.ForwardedHeaders); // before anything reads the scheme or client address
        var hosts = new HostAllowList(settings.EffectiveAllowedHosts);
        app.Use(hosts.RejectForeignHosts); // first: nothing, not even a 404 or a CORS preflight, for a foreign name
        app.UseStatusCodePages(); // bodyless 404/405/… become problem+json too
        app.UseCors(CorsPolicy);
        app.Use(RejectForeignOrigins(settings.Cors.EffectiveOrigins));

        var dashboard = Path.Combine(AppContext.BaseDirectory, "dashboard"); // built from web/ with the server
        if (Directory.Exists(dashboard)) app.UseDashboard(dashboard);
        // After the dashboard's files (not limited) and after authentication (partitions by the key's name).
        app.UseRateLimiter();

        // Each Map* returns its route group (or endpoint builder): authorization, when it comes, is attached per
        // group here, e.g. app.MapRunnersApi().RequireAuthorization(...), leaving health open.
        app.MapOpenApi();
        app.MapHealthApi();
        app.MapRunnersApi();
        app.MapStrategiesApi();
        app.MapSymbolsApi();
        app.MapDatasetsApi();
        app.MapBacktestsApi();
        app.MapEventStream();
        return app;
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
        var (status, title, detail) = error switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "Bad request", bad.Message),
            _ => (StatusCodes.Status500InternalServerError, "Internal server error",
                "The server failed to handle the request; the engine and the other runners are unaffected. The server log has the details."),
        };
        await TypedResults.Problem(detail, context.Request.Path, status, title).ExecuteAsync(context);
    }
}
