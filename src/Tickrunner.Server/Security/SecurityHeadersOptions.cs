namespace Tickrunner.Server.Security;

/// <summary>
/// The headers sent with every response, the dashboard's and the API's (<c>Tickrunner:SecurityHeaders</c>). An empty
/// value leaves that header out. Why each directive of the policy is there: docs/guides/web-app-api.md, "Security headers".
/// </summary>
public sealed class SecurityHeadersOptions
{
    /// <summary>
    /// The dashboard's policy: scripts only from this server (no inline script, no eval), styles from this server and
    /// inline (CodeMirror writes its themes into <c>&lt;style&gt;</c> elements at run time, lightweight-charts one for its
    /// attribution logo), <c>data:</c> images for the favicon and the editor's lint marks, fetches and the event stream
    /// on the same origin, no plugins, no <c>&lt;base&gt;</c>, forms posting only here, and no framing by any page.
    /// </summary>
    public const string DefaultContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Off: none of the headers below is sent.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The <c>Content-Security-Policy</c> header.</summary>
    public string ContentSecurityPolicy { get; set; } = DefaultContentSecurityPolicy;

    /// <summary>The <c>Referrer-Policy</c> header: links out of the dashboard tell nobody where they came from.</summary>
    public string ReferrerPolicy { get; set; } = "no-referrer";

    /// <summary>The <c>X-Frame-Options</c> header, <c>frame-ancestors 'none'</c> for browsers that predate CSP.</summary>
    public string FrameOptions { get; set; } = "DENY";

    /// <summary>The <c>X-Content-Type-Options</c> header: a response is only ever what its Content-Type says.</summary>
    public string ContentTypeOptions { get; set; } = "nosniff";
}
