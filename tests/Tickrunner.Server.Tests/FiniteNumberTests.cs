using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Tickrunner.Engine.Events;
using Tickrunner.Engine.Wire;
using Tickrunner.Server.Api;

namespace Tickrunner.Server.Tests;

/// <summary>No response fails on a non-finite number: JSON has no NaN or infinity, so they are written as null.</summary>
public sealed class FiniteNumberTests : IDisposable
{
    private readonly TempDirectory _data = new("tickrunner-finite-");

    public void Dispose() => _data.Dispose();

    private sealed record Numbers(double Finite, double Infinite, double NegativeInfinite, double NotANumber, double? NullableInfinite, double? Missing);

    [Fact]
    public void The_server_json_options_write_non_finite_doubles_as_null()
    {
        var json = JsonSerializer.Serialize(new Numbers(1.5, double.PositiveInfinity, double.NegativeInfinity, double.NaN, double.PositiveInfinity, null), WireJson.Options);
        Assert.Equal("""{"finite":1.5,"infinite":null,"negative_infinite":null,"not_a_number":null,"nullable_infinite":null,"missing":null}""", json);
        // Reading is unchanged: numbers are numbers, and a string is still the wrong type.
        var read = JsonSerializer.Deserialize<Numbers>("""{"finite":2,"infinite":3,"negative_infinite":4,"not_a_number":5,"nullable_infinite":null}""", WireJson.Options)!;
        Assert.Equal(2, read.Finite);
        Assert.Null(read.NullableInfinite);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Numbers>("""{"finite":"NaN"}""", WireJson.Options));
    }

    [Fact]
    public void Event_json_writes_non_finite_prices_and_pnl_as_null()
    {
        var json = EventJson.Serialize(RunnerEvent.PositionUpdated("r", "BTCUSDT", double.PositiveInfinity, double.NaN, 0, 1_700_000_000_000), 7);
        var payload = JsonDocument.Parse(json).RootElement.GetProperty("PositionUpdated");
        Assert.Equal(JsonValueKind.Null, payload.GetProperty("current_price").ValueKind);
        Assert.Equal(JsonValueKind.Null, payload.GetProperty("unrealized_pnl").ValueKind);
        Assert.Equal(7, payload.GetProperty("seq").GetInt64());
    }

    // Holds forever: stop and target far away.
    private const string Holder = """
        function detect_opportunity(md, ctx, ind) return { armed = true } end
        function filter_commitment(md, ctx, ind)
          return { action = "enter_long", price = md.close, quantity = 0.1, stop_loss = md.close * 0.001, take_profit = md.close * 1000 }
        end
        function manage_position(md, ctx, ind) return nil end
        """;

    [Fact]
    public async Task Listings_and_trades_answer_with_null_for_infinite_pnl_also_after_a_restart()
    {
        await using (var first = await RunningServer.StartAsync(dataDirectory: _data))
        {
            await first.UploadStrategyAsync("holder", Holder);
            await first.CreateRunnerAsync("h", "BTCUSDT", "holder");
            await Wait.Until(async () => (await first.GetJsonAsync("/api/runners/h")).GetProperty("state").GetString() == "InPosition", what: "in position");
        }
        // A position so large that any price move makes its P&L infinite, and a trade with infinite P&L: what a
        // strategy could produce before the engine refused such sizes, and what a database may hold from then.
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(_data, "tickrunner.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                UPDATE runners SET position = json_set(position, '$.quantity', 1e308) WHERE runner_id = 'h';
                INSERT INTO trades (runner_id, symbol, side, quantity, entry_price, entry_timestamp, exit_price, exit_timestamp, realized_pnl, reason)
                VALUES ('h', 'BTCUSDT', 'Long', 1e308, 100, 1, 200, 2, 9e999, 'test');
                """;
            Assert.Equal(2, command.ExecuteNonQuery());
        }
        await using var second = await RunningServer.StartAsync(dataDirectory: _data);
        await Wait.Until(async () =>
        {
            var response = await second.Http.GetAsync("/api/runners/h");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var pnl = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("position").GetProperty("unrealized_pnl");
            return pnl.ValueKind == JsonValueKind.Null;
        }, what: "an infinite unrealized P&L");
        foreach (var path in new[] { "/api/runners", "/api/runners/h", "/api/runners/h/snapshot", "/api/symbols/BTCUSDT/runners", "/api/runners/h/trades" })
        {
            var response = await second.Http.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
            JsonDocument.Parse(body); // valid JSON
        }
        var trade = (await second.GetJsonAsync("/api/runners/h/trades"))[0];
        Assert.Equal(JsonValueKind.Null, trade.GetProperty("realized_pnl").ValueKind);
        Assert.Equal(1e308, trade.GetProperty("quantity").GetDouble());
    }
}
