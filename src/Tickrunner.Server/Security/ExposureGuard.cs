using System.Net;

namespace Tickrunner.Server.Security;

/// <summary>The server refuses to start reachable from other machines with no key that could protect it.</summary>
public sealed class ExposureRefusedException(string message) : Exception(message);

/// <summary>
/// Safe by default: on loopback nothing is asked; bound to any other address (0.0.0.0, [::], *, +, a host name or a
/// machine's address) the server starts only when a key exists, so nothing it serves is open to the network.
/// </summary>
public static class ExposureGuard
{
    /// <summary>The addresses that are not loopback among <paramref name="urls"/> (e.g. <c>http://0.0.0.0:8080</c>).</summary>
    public static IReadOnlyList<string> Exposed(IEnumerable<string> urls) =>
        urls.Where(u => !IsLoopback(u)).ToList();

    /// <summary>
    /// Why the server is reachable from other machines, or an empty list: an address that is not loopback, a host name
    /// other than loopback's in <c>AllowedHosts</c> (or <c>*</c>: it is reached under that name, through a proxy or DNS),
    /// or forwarded headers on (a reverse proxy in front serves it to others, whatever address it listens on).
    /// </summary>
    public static IReadOnlyList<string> Reasons(IEnumerable<string> urls, IEnumerable<string> allowedHosts, bool forwardedHeaders)
    {
        var reasons = Exposed(urls).Select(u => $"{u} is reachable from other machines").ToList();
        var names = allowedHosts.Where(h => !IsLoopbackName(h.Trim())).ToList();
        if (names.Count > 0) reasons.Add($"Tickrunner:AllowedHosts answers to {string.Join(", ", names)}");
        if (forwardedHeaders) reasons.Add("Tickrunner:ForwardedHeaders:Enabled says a proxy serves it to others");
        return reasons;
    }

    /// <summary>Throws <see cref="ExposureRefusedException"/> when there is a reason the server is exposed and no key is active.</summary>
    public static void Check(IReadOnlyList<string> reasons, int activeKeys, string dataDirectory)
    {
        if (reasons.Count == 0 || activeKeys > 0) return;
        throw new ExposureRefusedException(
            $"Refusing to start: {string.Join("; ", reasons)}, and no API key exists, so anyone could "
            + "upload code and steer every runner. Create an admin key first:\n"
            + $"  dotnet run --project src/Tickrunner.Cli -- keys create --name admin --scope admin --data {dataDirectory}\n"
            + "then start again and log in with it (the dashboard asks), or bind to localhost only (--urls http://localhost:8080). "
            + "Also list the names the server is reached by in Tickrunner:AllowedHosts. See the API guide, \"Authentication and exposure\".");
    }

    private static bool IsLoopbackName(string host)
    {
        var name = host.TrimEnd('.');
        if (name.StartsWith('[') && name.EndsWith(']')) name = name[1..^1];
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(name, out var address) && IPAddress.IsLoopback(address));
    }

    private static bool IsLoopback(string url)
    {
        // Kestrel's wildcards, which Uri does not parse as hosts: "http://*:80", "http://+:80".
        var host = url.Split("://", 2) is [_, var rest] ? rest : url;
        host = host.Split('/', 2)[0];
        if (host.StartsWith('['))
            host = host[1..Math.Max(1, host.IndexOf(']'))];
        else if (host.LastIndexOf(':') is var colon and > 0)
            host = host[..colon];
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address);
    }
}
