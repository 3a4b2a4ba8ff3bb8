using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Tickrunner.Server.Tests;

/// <summary>Deterministic CSV files, strategies and helpers shared by the dataset and backtest API tests.</summary>
internal static class BacktestTestData
{
    public const long Start = 1_704_067_200_000; // 2024-01-01
    public const long Minute = 60_000;

    /// <summary>A header CSV of <paramref name="count"/> one-minute bars from <see cref="Start"/>, a fixed random walk; bars in <paramref name="skip"/> are left out (gaps).</summary>
    public static string Csv(int count, ISet<int>? skip = null) => BarCsv.RandomWalk(count, Start, Minute, skip);

    /// <summary>Enters long on every chance and exits after three bars: many trades.</summary>
    public const string Trader = """
        function detect_opportunity(md, ctx) return { signal = "any" } end
        function filter_commitment(md, ctx) return { action = "enter_long", price = md.close, quantity = 0.01 } end
        function manage_position(md, ctx)
          ctx.held = (ctx.held or 0) + 1
          if ctx.held >= 3 then
            ctx.held = 0
            return { action = "exit", price = md.close, reason = "held 3 bars" }
          end
          return nil
        end
        """;

    /// <summary>Burns instructions on every bar, so a run over tens of thousands of bars lasts seconds.</summary>
    public const string Slow = """
        function detect_opportunity(md, ctx)
          local s = 0
          for i = 1, 20000 do s = s + i end
          return nil
        end
        function filter_commitment() return nil end
        function manage_position() return nil end
        """;

    /// <summary>Fails on line 4 once the bars pass <c>Start + 10 minutes</c>.</summary>
    public static string Failing => $$"""
        function detect_opportunity(md)
          if md.timestamp > {{Start + 10 * Minute}} then
            local x = nil
            return x.field
          end
        end
        function filter_commitment() end
        function manage_position() end
        """;

    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
