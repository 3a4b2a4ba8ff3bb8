using Microsoft.Extensions.Primitives;

namespace Tickrunner.Server.Security;

/// <summary>Adds the configured security headers (<see cref="SecurityHeadersOptions"/>) to every response.</summary>
public static class SecurityHeaders
{
    /// <summary>Adds the middleware; put it first, so that refusals (421, 403, 429) carry the headers too.</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app, SecurityHeadersOptions options)
    {
        if (!options.Enabled) return app;
        var writer = new Writer(options);
        return app.Use((context, next) =>
        {
            // When the response starts rather than now: the exception handler clears the headers before it writes its
            // 500, and a header set now would be lost with them.
            context.Response.OnStarting(writer.Apply, context.Response);
            return next(context);
        });
    }

    private sealed class Writer
    {
        private readonly (string Name, StringValues Value)[] _headers;

        public Writer(SecurityHeadersOptions options)
        {
            _headers = new (string, string)[]
                {
                    ("Content-Security-Policy", options.ContentSecurityPolicy),
                    ("X-Content-Type-Options", options.ContentTypeOptions),
                    ("Referrer-Policy", options.ReferrerPolicy),
                    ("X-Frame-Options", options.FrameOptions),
                }
                .Where(h => !string.IsNullOrWhiteSpace(h.Item2))
                .Select(h => (h.Item1, new StringValues(h.Item2.Trim())))
                .ToArray();
            Apply = state =>
            {
                var headers = ((HttpResponse)state).Headers;
                // An endpoint that set one of these itself knows better than the default.
                foreach (var (name, value) in _headers) headers.TryAdd(name, value);
                return Task.CompletedTask;
            };
        }

        // One delegate for all requests: registering it costs no closure per request.
        public Func<object, Task> Apply { get; }
    }
}
