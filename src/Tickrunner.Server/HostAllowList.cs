namespace Tickrunner.Server;

/// <summary>
/// Serves only requests whose <c>Host</c> names one of <c>Tickrunner:AllowedHosts</c>; others get 421 as problem+json.
/// </summary>
/// <remarks>
/// Only the name is compared, not the port: a connection can only arrive on a port the server listens on
/// (also when that port was chosen at bind time), and what a DNS-rebinding page cannot change is that the
/// browser sends its own name. Names compare case-insensitively; IPv6 literals with or without brackets.
/// </remarks>
internal sealed class HostAllowList
{
    private static readonly object AcceptedKey = new();
    private readonly HashSet<string> _names;
    private readonly bool _any;
    private readonly string _listed;

    public HostAllowList(IEnumerable<string> names)
    {
        var list = names.Select(n => n.Trim()).Where(n => n.Length > 0).ToList();
        _any = list.Contains("*");
        _names = new HashSet<string>(list.Select(Normalize), StringComparer.OrdinalIgnoreCase);
        _listed = string.Join(", ", list);
    }

    /// <summary>True once this request's host passed the allow-list.</summary>
    public static bool IsAccepted(HttpContext context) => context.Items.ContainsKey(AcceptedKey);

    public Task RejectForeignHosts(HttpContext context, RequestDelegate next)
    {
        var host = context.Request.Host;
        if (_any || (host.HasValue && _names.Contains(Normalize(host.Host))))
        {
            context.Items[AcceptedKey] = true;
            return next(context);
        }
        var shown = host.HasValue ? host.Value : "(none)";
        return TypedResults.Problem(
            $"This server does not answer to the host name in 'Host: {shown}'; it answers to: {_listed}. "
            + "To reach it under that name, add the name to Tickrunner:AllowedHosts.",
            context.Request.Path, StatusCodes.Status421MisdirectedRequest, "Misdirected request").ExecuteAsync(context);
    }

    // "[::1]" and "::1" are one name; a trailing dot (a fully qualified "localhost.") is the same name as well.
    private static string Normalize(string name)
    {
        var trimmed = name.TrimEnd('.');
        return trimmed.StartsWith('[') && trimmed.EndsWith(']') ? trimmed[1..^1] : trimmed;
    }
}
