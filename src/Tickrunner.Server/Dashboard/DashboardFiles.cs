using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Tickrunner.Server.Dashboard;

/// <summary>
/// Serves the built dashboard: the Brotli or gzip copy the build wrote beside a file when the browser accepts it, hashed
/// assets (<c>/assets/name-HASH.ext</c>) cached for a year as immutable, and everything else (index.html) revalidated on
/// every load, so a new build is picked up at once while its assets are never fetched twice.
/// </summary>
public static class DashboardFiles
{
    private const string OriginalPathKey = "tickrunner.dashboard.original-path";

    // Best first. Each is a file the build wrote: name.ext.br / name.ext.gz.
    private static readonly (string Encoding, string Extension)[] Encodings = [("br", ".br"), ("gzip", ".gz")];

    /// <summary>Adds the dashboard's default document, compressed variants and static files from <paramref name="directory"/>.</summary>
    public static void UseDashboard(this WebApplication app, string directory)
    {
        var files = new PhysicalFileProvider(directory);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.Use((context, next) =>
        {
            PickEncoding(context, files);
            return next(context);
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            // .br and .gz are served only as a variant of a known type, whose type is set below.
            ContentTypeProvider = new VariantContentTypes(),
            OnPrepareResponse = static file => Prepare(file.Context),
        });
    }

    private static void PickEncoding(HttpContext context, IFileProvider files)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)) return;
        var path = request.Path.Value;
        if (string.IsNullOrEmpty(path) || path.EndsWith(".br", StringComparison.Ordinal) || path.EndsWith(".gz", StringComparison.Ordinal)) return;
        var accepted = request.GetTypedHeaders().AcceptEncoding;
        foreach (var (encoding, extension) in Encodings)
        {
            if (!Accepts(accepted, encoding) || !files.GetFileInfo(path + extension).Exists) continue;
            context.Items[OriginalPathKey] = path;
            request.Path = path + extension;
            context.Response.Headers.ContentEncoding = encoding;
            return;
        }
    }

    private static bool Accepts(IList<StringWithQualityHeaderValue> accepted, string encoding)
    {
        foreach (var value in accepted)
        {
            if ((StringSegment.Equals(value.Value, encoding, StringComparison.OrdinalIgnoreCase) || value.Value == "*") && value.Quality is not 0)
                return true;
        }
        return false;
    }

    private static void Prepare(HttpContext context)
    {
        var headers = context.Response.Headers;
        var path = context.Items[OriginalPathKey] as string ?? context.Request.Path.Value ?? "";
        if (context.Items.ContainsKey(OriginalPathKey))
        {
            headers.ContentType = ContentTypeOf(path);
            headers.Vary = "Accept-Encoding";
        }
        else if (HasVariants(path))
        {
            headers.Vary = "Accept-Encoding"; // the same URL answers compressed to others
        }
        headers.CacheControl = path.StartsWith("/assets/", StringComparison.Ordinal)
            ? "public, max-age=31536000, immutable" // the name changes with the content
            : "no-cache";
    }

    private static readonly FileExtensionContentTypeProvider Types = new();

    private static string ContentTypeOf(string path) => Types.TryGetContentType(path, out var type) ? type : "application/octet-stream";

    private static bool HasVariants(string path) => path.EndsWith(".js", StringComparison.Ordinal) || path.EndsWith(".css", StringComparison.Ordinal)
        || path.EndsWith(".html", StringComparison.Ordinal);

    /// <summary>Known types, plus .br/.gz when they are a variant of a known type (the real type is set when the response starts).</summary>
    private sealed class VariantContentTypes : IContentTypeProvider
    {
        public bool TryGetContentType(string subpath, out string contentType)
        {
            if (subpath.EndsWith(".br", StringComparison.Ordinal) || subpath.EndsWith(".gz", StringComparison.Ordinal))
                return Types.TryGetContentType(subpath[..^3], out contentType!);
            return Types.TryGetContentType(subpath, out contentType!);
        }
    }
}
