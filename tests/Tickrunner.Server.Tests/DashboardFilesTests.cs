using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Tickrunner.Server.Tests;

/// <summary>The built dashboard as a browser gets it: compressed when asked, hashed assets cached for a year, the page revalidated.</summary>
public sealed class DashboardFilesTests : IAsyncLifetime
{
    private RunningServer _server = null!;
    private readonly HttpClient _raw = new(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None });

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync()
    {
        _raw.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string? acceptEncoding)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_server.BaseAddress, path));
        if (acceptEncoding is not null) request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        return await _raw.SendAsync(request);
    }

    private async Task<string> MainScriptAsync()
    {
        var index = await (await GetAsync("/", null)).Content.ReadAsStringAsync();
        return Regex.Match(index, @"/?(assets/index-[\w-]+\.js)").Groups[1].Value;
    }

    [Fact]
    public async Task Scripts_come_as_brotli_or_gzip_when_accepted_and_plain_otherwise_with_the_same_bytes()
    {
        var script = "/" + await MainScriptAsync();
        Assert.NotEqual("/", script);
        var plain = await GetAsync(script, null);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Empty(plain.Content.Headers.ContentEncoding);
        var original = await plain.Content.ReadAsByteArrayAsync();

        var br = await GetAsync(script, "gzip, deflate, br");
        Assert.Equal(["br"], br.Content.Headers.ContentEncoding);
        Assert.Equal("text/javascript", br.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Accept-Encoding", br.Headers.Vary);
        var compressed = await br.Content.ReadAsByteArrayAsync();
        Assert.True(compressed.Length < original.Length / 2, $"{compressed.Length} of {original.Length} bytes");
        using (var decoded = new MemoryStream())
        {
            await new BrotliStream(new MemoryStream(compressed), CompressionMode.Decompress).CopyToAsync(decoded);
            Assert.Equal(original, decoded.ToArray());
        }

        var gz = await GetAsync(script, "gzip");
        Assert.Equal(["gzip"], gz.Content.Headers.ContentEncoding);
        using (var decoded = new MemoryStream())
        {
            await new GZipStream(await gz.Content.ReadAsStreamAsync(), CompressionMode.Decompress).CopyToAsync(decoded);
            Assert.Equal(original, decoded.ToArray());
        }

        // br refused with q=0: gzip; nothing acceptable: plain.
        Assert.Equal(["gzip"], (await GetAsync(script, "br;q=0, gzip")).Content.Headers.ContentEncoding);
        Assert.Empty((await GetAsync(script, "identity")).Content.Headers.ContentEncoding);
    }

    [Fact]
    public async Task Hashed_assets_are_immutable_for_a_year_and_the_page_is_revalidated()
    {
        var script = await GetAsync("/" + await MainScriptAsync(), "br");
        Assert.Equal("public, max-age=31536000, immutable", script.Headers.CacheControl?.ToString());
        var page = await GetAsync("/", "br");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(["br"], page.Content.Headers.ContentEncoding);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.True(page.Headers.CacheControl?.NoCache, page.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task A_missing_file_is_still_a_404_and_the_compressed_copy_is_not_a_way_around_it()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/assets/nothing-here.js", "br")).StatusCode);
        var direct = await GetAsync("/" + await MainScriptAsync() + ".br", null);
        // Asking for the .br file itself gets its bytes without a Content-Encoding claim (it is what was asked for).
        Assert.Empty(direct.Content.Headers.ContentEncoding);
    }
}
