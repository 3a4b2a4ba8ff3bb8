namespace Tickrunner.Server.Security;

/// <summary>Who may do what (<c>Tickrunner:Auth</c>). On loopback with no key, nothing is asked; see the API guide.</summary>
public sealed class AuthOptions
{
    /// <summary>Ask for a key even on loopback and before any key exists (otherwise keys are asked for once one exists).</summary>
    public bool Required { get; set; }

    /// <summary>How long a dashboard login lasts, in hours.</summary>
    public double SessionHours { get; set; } = 12;

    /// <summary>
    /// Seconds a verified key or session is trusted before it is looked up again. A revocation through the API takes effect
    /// at once; one made with the command line (another process) within this time.
    /// </summary>
    public double RecheckSeconds { get; set; } = 1;
}
