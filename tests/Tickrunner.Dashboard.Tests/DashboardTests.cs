using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Tickrunner.Dashboard.Tests;

[Collection(BrowserCollection.Name)]
public sealed class DashboardTests(BrowserFixture fixture) : IAsyncLifetime
{
    private RunningServer _server = null!;
    private IBrowserContext _context = null!;
    private IPage _page = null!;
    private readonly List<string> _consoleErrors = [];
    private readonly List<string> _dialogs = [];
    private bool _dismissDialogs;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(new() { ["Tickrunner:Feed:TickIntervalMs"] = "100" });
        _context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        _page = await _context.NewPageAsync();
        _page.Console += (_, message) => { if (message.Type == "error") _consoleErrors.Add(message.Text); };
        _page.PageError += (_, error) => _consoleErrors.Add(error);
        _page.Dialog += async (_, dialog) =>
        {
            lock (_dialogs) _dialogs.Add(dialog.Message);
            if (_dismissDialogs) await dialog.DismissAsync(); else await dialog.AcceptAsync();
        };
        _page.SetDefaultTimeout(20_000);
    }

    public async Task DisposeAsync()
    {
        await _context.CloseAsync();
        await _server.DisposeAsync();
    }

    private Task Open(string hash = "") => _page.GotoAsync(_server.BaseAddress + hash);

    private Task Screenshot(string name) =>
        _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, name + ".png"), FullPage = true });

    private async Task CreateRunnerThroughTheForm(string id, string symbol, string strategy)
    {
        await Open("#/");
        await _page.FillAsync("input[name=runner_id]", id);
        await _page.SelectOptionAsync("select[name=symbol]", symbol);
        await _page.SelectOptionAsync("select[name=strategy_name]", strategy);
        await _page.ClickAsync("text=Create runner");
    }

    // Hash routes change without a load event; wait on the hash itself, and say what the page showed if not.
    private async Task WaitForHash(string hash)
    {
        try
        {
            await _page.WaitForFunctionAsync($"() => location.hash === '{hash}'");
        }
        catch (TimeoutException)
        {
            var toast = await _page.Locator("#toast").InnerTextAsync();
            throw new Xunit.Sdk.XunitException($"expected {hash}, still at {_page.Url}; toast: '{toast}'");
        }
    }

    [Fact]
    public async Task The_page_loads_live_with_no_console_errors()
    {
        await _server.CreateRunnerAsync("btc_ema", "BTCUSDT");
        await Open();
        await Assertions.Expect(_page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live");
        await Assertions.Expect(_page.Locator("[data-runner=btc_ema]")).ToBeVisibleAsync();
        // Ticks arrive over the WebSocket and the table counts them.
        var ticks = _page.Locator("[data-runner=btc_ema] [data-testid=ticks]");
        var first = int.Parse(await ticks.InnerTextAsync());
        await Assertions.Expect(ticks).Not.ToHaveTextAsync(first.ToString());
        await Assertions.Expect(_page.Locator("#rate")).ToHaveTextAsync(new Regex(@"\d+(\.\d)? ev/s"));
        await Screenshot("overview");
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task A_runner_created_through_the_form_appears_and_its_chart_gains_candles()
    {
        await CreateRunnerThroughTheForm("eth_form", "ETHUSDT", "ema_crossover");
        await WaitForHash("#/runners/eth_form");
        var chart = _page.Locator("[data-testid=chart]");
        await Assertions.Expect(chart.Locator("canvas").First).ToBeVisibleAsync();
        await _page.WaitForFunctionAsync("() => Number(document.querySelector('[data-testid=chart]')?.dataset.candles || 0) >= 1");
        var before = int.Parse(await chart.GetAttributeAsync("data-candles") ?? "0");
        await _page.WaitForFunctionAsync($"() => Number(document.querySelector('[data-testid=chart]')?.dataset.candles) > {before}");
        await Screenshot("runner-view");

        await Open("#/");
        await Assertions.Expect(_page.Locator("[data-runner=eth_form]")).ToContainTextAsync("ETHUSDT");
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task Form_shows_the_servers_validation_errors_next_to_the_fields()
    {
        await _server.CreateRunnerAsync("taken", "BTCUSDT");
        await Open("#/");
        await _page.FillAsync("input[name=runner_id]", "bad id!");
        await _page.FillAsync("input[name=window_size]", "0");
        await _page.ClickAsync("text=Create runner");
        await Assertions.Expect(_page.Locator(".field[data-field=runner_id] .error")).ToContainTextAsync("not a valid runner id");
        await Assertions.Expect(_page.Locator(".field[data-field=window_size] .error")).ToContainTextAsync("between 1 and 100,000");
        await _page.FillAsync("input[name=runner_id]", "taken");
        await _page.FillAsync("input[name=window_size]", "100");
        await _page.ClickAsync("text=Create runner");
        await Assertions.Expect(_page.Locator(".form-error")).ToContainTextAsync("already exists");
        await Screenshot("form-errors");
    }

    [Fact]
    public async Task A_state_change_shows_in_the_state_machine_view()
    {
        // Opportunity on one bar, cancelled on the next: the machine keeps moving between Idle and Analyzing.
        await _server.UploadStrategyAsync("blinker", """
            function detect_opportunity(md, ctx, ind) return { at = md.close } end
            function filter_commitment(md, ctx, ind) return { action = "cancel_analysis", reason = "blink" } end
            function manage_position(md, ctx, ind) return nil end
            """);
        await _server.CreateRunnerAsync("blink", "SOLUSDT", "blinker");
        await Open("#/runners/blink");
        var fsm = _page.Locator("[data-testid=fsm]");
        await Assertions.Expect(fsm).ToHaveAttributeAsync("data-current", "Analyzing");
        await Assertions.Expect(fsm).ToHaveAttributeAsync("data-current", "Idle");
        await Assertions.Expect(fsm.Locator(".state.current")).ToHaveCountAsync(1);
        await Assertions.Expect(_page.Locator("[data-testid=transitions]")).ToContainTextAsync("Analyzing → Idle blink");
        await Assertions.Expect(_page.Locator("[data-testid=event-log]")).ToContainTextAsync("StateTransition");
        await Screenshot("state-machine");
    }

    [Fact]
    public async Task Entries_show_as_markers_with_a_live_position_card()
    {
        await _server.UploadStrategyAsync("holder", """
            function detect_opportunity(md, ctx, ind) return { go = true } end
            function filter_commitment(md, ctx, ind)
              return { action = "enter_long", price = md.close, quantity = 1, stop_loss = md.close * 0.5, take_profit = md.close * 2 }
            end
            function manage_position(md, ctx, ind) return nil end
            """);
        // A window far longer than the test: the entry bar is still in the history the page loads, however slow the machine.
        var created = await _server.PostJsonAsync("/api/runners",
            """{"runner_id": "hold", "symbol": "BNBUSDT", "strategy_name": "holder", "window_size": 5000}""");
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        await Open("#/runners/hold");
        await Assertions.Expect(_page.Locator("[data-testid=position]")).ToContainTextAsync("Long");
        await Assertions.Expect(_page.Locator("[data-testid=unrealized]")).ToBeVisibleAsync();
        await _page.WaitForFunctionAsync("() => Number(document.querySelector('[data-testid=chart]')?.dataset.markers || 0) >= 1");
        await Screenshot("position");
    }

    [Fact]
    public async Task A_strategy_with_a_syntax_error_shows_the_error_at_its_line()
    {
        await Open("#/strategies");
        await _page.ClickAsync("text=+ New strategy");
        await _page.FillAsync("[data-testid=strategy-name]", "broken_one");
        await ReplaceCode("function detect_opportunity(md, ctx, ind)\n  return nil\nend\n\nfunction filter_commitment(\n  x = = 1\nend\n");
        await _page.ClickAsync("[data-testid=validate]");
        await Assertions.Expect(_page.Locator("[data-testid=diagnostics]")).ToContainTextAsync("line 6");
        // CodeMirror marks the line in the gutter and underlines the range.
        await Assertions.Expect(_page.Locator(".cm-lint-marker-error")).ToHaveCountAsync(1);
        var markedLine = await _page.EvaluateAsync<int>("""
            () => {
              const marker = document.querySelector('.cm-lint-marker-error').closest('.cm-gutterElement');
              const top = marker.getBoundingClientRect().top;
              const numbers = [...document.querySelectorAll('.cm-lineNumbers .cm-gutterElement')];
              return Number(numbers.find(n => Math.abs(n.getBoundingClientRect().top - top) < 2).textContent);
            }
            """);
        Assert.Equal(6, markedLine);
        await Assertions.Expect(_page.Locator(".cm-lintRange-error")).ToHaveCountAsync(1);
        await Screenshot("syntax-error");
    }

    [Fact]
    public async Task A_valid_strategy_saves_and_runs()
    {
        await Open("#/strategies");
        await _page.ClickAsync("text=+ New strategy");
        await _page.FillAsync("[data-testid=strategy-name]", "my_rsi");
        await _page.ClickAsync("[data-testid=save]");
        await Assertions.Expect(_page.Locator("[data-testid=strategy-list]")).ToContainTextAsync("my_rsi");
        await Assertions.Expect(_page.Locator(".dirty")).ToBeHiddenAsync();
        var stored = await _server.GetJsonAsync("/api/strategies/my_rsi");
        Assert.Equal("uploaded", stored.GetProperty("source").GetString());

        await _page.SelectOptionAsync("[data-testid=run-symbol]", "ETHUSDT");
        await _page.FillAsync("[data-testid=run-id]", "my_rsi_eth");
        await _page.ClickAsync("[data-testid=run]");
        await WaitForHash("#/runners/my_rsi_eth");
        await Assertions.Expect(_page.Locator(".runner-head")).ToContainTextAsync("my_rsi");
        var runner = await _server.GetJsonAsync("/api/runners/my_rsi_eth");
        Assert.Equal("my_rsi", runner.GetProperty("strategy_name").GetString());
        await Screenshot("strategy-saved-and-running");
    }

    [Fact]
    public async Task An_uploaded_strategy_deletes_from_the_editor_unless_a_runner_uses_it()
    {
        await _server.UploadStrategyAsync("doomed", LuaStrategyTemplate);
        await _server.UploadStrategyAsync("in_use", LuaStrategyTemplate);
        await _server.CreateRunnerAsync("user", "BTCUSDT", "in_use");
        await Open("#/strategies/ema_crossover");
        await Assertions.Expect(_page.Locator("[data-testid=delete]")).ToBeHiddenAsync(); // shipped: nothing to delete

        await Open("#/strategies/in_use");
        await _page.ClickAsync("[data-testid=delete]");
        await Assertions.Expect(_page.Locator("#toast")).ToContainTextAsync("user"); // refused, naming the runner
        Assert.Equal(System.Net.HttpStatusCode.OK, (await _server.Http.GetAsync("/api/strategies/in_use")).StatusCode);

        await Open("#/strategies/doomed");
        await _page.ClickAsync("[data-testid=delete]");
        await Assertions.Expect(_page.Locator("[data-testid=strategy-list]")).Not.ToContainTextAsync("doomed");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await _server.Http.GetAsync("/api/strategies/doomed")).StatusCode);
        Assert.Contains(_dialogs, d => d.Contains("Delete the strategy doomed"));
    }

    [Fact]
    public async Task A_runner_failing_on_every_tick_cannot_be_missed_and_its_error_opens_the_line()
    {
        await _server.UploadStrategyAsync("broken", """
            function detect_opportunity(md, ctx, ind)
              local x = nil
              return x.field
            end
            function filter_commitment(md, ctx, ind) return nil end
            function manage_position(md, ctx, ind) return nil end
            """);
        await _server.CreateRunnerAsync("failing", "BTCUSDT", "broken");
        await Open("#/");
        var row = _page.Locator("[data-runner=failing]");
        await Assertions.Expect(row.Locator(".badge").First).ToHaveTextAsync("running · failing");
        await Assertions.Expect(row.Locator(".badge").First).ToHaveClassAsync(new Regex("status-failing"));
        await Assertions.Expect(_page.Locator("#toast")).ToContainTextAsync("failing is failing");

        // On its page the same error is one line with a count, and its line number opens the editor there.
        await Open("#/runners/failing");
        var repeat = _page.Locator("[data-testid=event-log] li.ev-Error [data-testid=repeat]").First;
        // The engine repeats an identical error after 10 s with its count: the line's count grows, no new line.
        await Assertions.Expect(repeat).ToHaveTextAsync(new Regex(@"×\d+"), new() { Timeout = 25_000 });
        Assert.True(await _page.Locator("[data-testid=event-log] li.ev-Error").CountAsync() <= 2, "repeats are collapsed");
        await _page.Locator("[data-testid=error-line]").First.ClickAsync();
        await WaitForHash("#/strategies/broken?line=3");
        await Assertions.Expect(_page.Locator(".cm-activeLine")).ToContainTextAsync("return x.field");
        await Screenshot("failing-runner");
    }

    private const string LuaStrategyTemplate = """
        function detect_opportunity(md, ctx, ind) return nil end
        function filter_commitment(md, ctx, ind) return nil end
        function manage_position(md, ctx, ind) return nil end
        """;

    [Fact]
    public async Task A_new_strategy_started_while_the_first_one_loads_is_not_overwritten()
    {
        // Delay the first strategy's code so "+ New strategy" wins the race.
        await _page.RouteAsync("**/api/strategies/ema_crossover", async route =>
        {
            await Task.Delay(1500);
            await route.ContinueAsync();
        });
        await Open("#/strategies");
        await _page.ClickAsync("text=+ New strategy");
        await _page.FillAsync("[data-testid=strategy-name]", "fresh");
        await _page.WaitForTimeoutAsync(2000); // the slow load has finished by now
        Assert.Equal("fresh", await _page.InputValueAsync("[data-testid=strategy-name]"));
        await Assertions.Expect(_page.Locator(".cm-content")).ToContainTextAsync("A new strategy");
    }

    private int UnsavedDialogs()
    {
        lock (_dialogs) return _dialogs.Count(d => d.Contains("unsaved changes"));
    }

    [Fact]
    public async Task Unsaved_changes_are_not_lost_silently()
    {
        await Open("#/strategies/ema_crossover");
        await Assertions.Expect(_page.Locator(".cm-content")).ToContainTextAsync("detect_opportunity");
        await _page.ClickAsync(".cm-content");
        await _page.Keyboard.TypeAsync("-- my change\n");
        await Assertions.Expect(_page.Locator(".dirty")).ToBeVisibleAsync();
        _dismissDialogs = true;
        await _page.ClickAsync("nav >> text=Runners");
        await Assertions.Expect(_page.Locator(".dirty")).ToBeVisibleAsync();
        // The dialog handler runs on Playwright's event: it may record the message a moment after the click returned.
        await Wait.Until(() => UnsavedDialogs() >= 1, what: "the unsaved-changes dialog");
        // Dismissed, the page puts its address back (the hash had already changed when it asked): waited for, not read at once.
        await Assertions.Expect(_page).ToHaveURLAsync(new Regex("#/strategies"));
        await Assertions.Expect(_page.Locator(".cm-content")).ToContainTextAsync("my change");
        await _page.ClickAsync("text=+ New strategy");
        await Wait.Until(() => UnsavedDialogs() >= 2, what: "the second unsaved-changes dialog");
        Assert.Equal(2, UnsavedDialogs());
        await Assertions.Expect(_page.Locator(".cm-content")).ToContainTextAsync("my change");
        await Screenshot("unsaved-kept");
    }

    [Fact]
    public async Task Moving_on_before_a_view_has_loaded_leaves_one_view_on_the_page()
    {
        await _server.CreateRunnerAsync("quick", "BTCUSDT");
        await Open("#/");
        await Assertions.Expect(_page.Locator("[data-runner=quick]")).ToBeVisibleAsync();
        // Three routes in a row, without waiting for the first two to load.
        await _page.EvaluateAsync("() => { location.hash = '#/runners/quick'; location.hash = '#/strategies'; location.hash = '#/'; }");
        await Assertions.Expect(_page.Locator("[data-testid=runners-table]")).ToHaveCountAsync(1);
        await _page.WaitForTimeoutAsync(1500); // give any stale view the time to finish loading
        await Assertions.Expect(_page.Locator(".view")).ToHaveCountAsync(1);
        await Assertions.Expect(_page.Locator(".runner-head")).ToHaveCountAsync(0);
        await Assertions.Expect(_page.Locator(".strategies")).ToHaveCountAsync(0);
        // The overview still streams every runner's ticks.
        var ticks = _page.Locator("[data-runner=quick] [data-testid=ticks]");
        var shown = await ticks.InnerTextAsync();
        await Assertions.Expect(ticks).Not.ToHaveTextAsync(shown);
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task Removing_a_runner_removes_it()
    {
        await _server.CreateRunnerAsync("doomed", "BTCUSDT");
        await _server.CreateRunnerAsync("keeper", "BTCUSDT");
        await Open("#/");
        var row = _page.Locator("[data-runner=doomed]");
        await Assertions.Expect(row).ToBeVisibleAsync();
        await row.Locator("text=Remove").ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
        await Assertions.Expect(_page.Locator("[data-runner=keeper]")).ToBeVisibleAsync();
        var runners = await _server.GetJsonAsync("/api/runners");
        Assert.Equal(["keeper"], runners.EnumerateArray().Select(r => r.GetProperty("runner_id").GetString()));
        await Screenshot("removed");
    }

    [Fact]
    public async Task Pause_from_the_table()
    {
        await _server.CreateRunnerAsync("pausable", "BTCUSDT");
        await Open("#/");
        var row = _page.Locator("[data-runner=pausable]");
        await row.Locator("text=Pause").ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("paused");
        Assert.Equal("paused", (await _server.GetJsonAsync("/api/runners/pausable")).GetProperty("status").GetString());
        await Screenshot("paused");
    }

    [Fact]
    public async Task A_stopped_runner_starts_again_from_the_table_and_keeps_its_row()
    {
        await _server.CreateRunnerAsync("restartable", "BTCUSDT");
        Assert.True((await _server.PostJsonAsync("/api/runners/restartable/stop", "")).IsSuccessStatusCode);
        await Open("#/");
        var row = _page.Locator("[data-runner=restartable]");
        await Assertions.Expect(row).ToContainTextAsync("stopped");
        var ticks = (await _server.GetJsonAsync("/api/runners/restartable")).GetProperty("stats").GetProperty("ticks_processed").GetInt64();
        await row.Locator("button:text-is('Start')").ClickAsync();
        await Assertions.Expect(row.Locator("button:text-is('Pause')")).ToBeVisibleAsync();
        await Assertions.Expect(row).ToContainTextAsync("running");
        Assert.Equal(1, await _page.Locator("[data-runner=restartable]").CountAsync());
        await Wait.Until(async () => (await _server.GetJsonAsync("/api/runners/restartable")).GetProperty("stats").GetProperty("ticks_processed").GetInt64() > ticks,
            what: "ticks after the start");
    }

    [Fact]
    public async Task A_slow_click_on_pause_and_resume_works_every_time_while_ticks_flow()
    {
        await _server.CreateRunnerAsync("clicky", "BTCUSDT");
        await Open("#/");
        var row = _page.Locator("[data-runner=clicky]");
        var ticks = row.Locator("[data-testid=ticks]");
        await Assertions.Expect(ticks).Not.ToHaveTextAsync(await ticks.InnerTextAsync()); // ticks are arriving
        for (var i = 0; i < 20; i++)
        {
            var (label, status) = i % 2 == 0 ? ("Pause", "paused") : ("Resume", "running");
            // A human click: the button is pressed for 150 ms, while the row keeps updating underneath.
            var box = (await row.Locator($"button:text-is('{label}')").BoundingBoxAsync())!;
            await _page.Mouse.MoveAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
            await _page.Mouse.DownAsync();
            await Task.Delay(150);
            await _page.Mouse.UpAsync();
            await Assertions.Expect(row.Locator(".badge").First).ToHaveTextAsync(status);
            Assert.Equal(status, (await _server.GetJsonAsync("/api/runners/clicky")).GetProperty("status").GetString());
            if (status == "running") await Assertions.Expect(ticks).Not.ToHaveTextAsync(await ticks.InnerTextAsync());
        }
    }

    [Fact]
    public async Task A_pause_made_through_the_api_shows_on_open_pages_at_once()
    {
        await _server.CreateRunnerAsync("elsewhere", "SOLUSDT");
        await Open("#/");
        var row = _page.Locator("[data-runner=elsewhere]");
        await Assertions.Expect(row.Locator(".badge").First).ToHaveTextAsync("running");
        var detail = await _context.NewPageAsync();
        await detail.GotoAsync(_server.BaseAddress + "#/runners/elsewhere");
        await Assertions.Expect(detail.Locator(".runner-head .badge")).ToHaveTextAsync("running");

        await _server.PostJsonAsync("/api/runners/elsewhere/pause", "");
        await Assertions.Expect(row.Locator(".badge").First).ToHaveTextAsync("paused");
        await Assertions.Expect(row.Locator("button:text-is('Resume')")).ToBeVisibleAsync();
        await Assertions.Expect(detail.Locator(".runner-head .badge")).ToHaveTextAsync("paused");
        await _server.PostJsonAsync("/api/runners/elsewhere/resume", "");
        await Assertions.Expect(row.Locator(".badge").First).ToHaveTextAsync("running");
        await Assertions.Expect(detail.Locator(".runner-head .badge")).ToHaveTextAsync("running");
        await detail.CloseAsync();
    }

    [Fact]
    public async Task A_focused_button_keeps_the_focus_while_ticks_update_its_row()
    {
        await _server.CreateRunnerAsync("focus", "ETHUSDT");
        await Open("#/");
        var row = _page.Locator("[data-runner=focus]");
        await row.Locator("button:text-is('Stop')").FocusAsync();
        var ticks = row.Locator("[data-testid=ticks]");
        for (var i = 0; i < 3; i++) await Assertions.Expect(ticks).Not.ToHaveTextAsync(await ticks.InnerTextAsync());
        Assert.Equal("Stop", await _page.EvaluateAsync<string>("() => document.activeElement.textContent"));
        Assert.True(await _page.EvaluateAsync<bool>("() => document.querySelector('[data-runner=focus]').contains(document.activeElement)"));
        // Keyboard: Space on the focused Pause turns it into Resume, and the focus stays in the row's buttons.
        await row.Locator("button:text-is('Pause')").FocusAsync();
        await _page.Keyboard.PressAsync("Space");
        await Assertions.Expect(row.Locator("button:text-is('Resume')")).ToBeVisibleAsync();
        Assert.True(await _page.EvaluateAsync<bool>("() => document.querySelector('[data-runner=focus] .actions').contains(document.activeElement)"));
    }

    [Fact]
    public async Task A_dropped_stream_reconnects_and_resumes_from_the_last_seq()
    {
        await _server.CreateRunnerAsync("btc", "BTCUSDT");
        var urls = new List<string>();
        IWebSocketRoute? first = null;
        await _page.RouteWebSocketAsync(new Regex("/ws"), ws =>
        {
            lock (urls) urls.Add(ws.Url);
            first ??= ws;
            ws.ConnectToServer(); // pass everything through to the real server
        });
        await Open("#/");
        await Assertions.Expect(_page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live");
        // A tick counted from the stream (not the REST load) proves the page has seen a seq.
        var ticks = _page.Locator("[data-runner=btc] [data-testid=ticks]");
        var loaded = await ticks.InnerTextAsync();
        await Assertions.Expect(ticks).Not.ToHaveTextAsync(loaded);
        await first!.CloseAsync(); // the connection dies under the page
        await Assertions.Expect(_page.Locator("#connection")).ToHaveAttributeAsync("data-state", "offline");
        await Assertions.Expect(_page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live");
        string second;
        lock (urls) second = urls[^1];
        Assert.True(urls.Count >= 2, "the page opened a second connection");
        Assert.Matches(@"[?&]since=[1-9]\d*", second);
        await Screenshot("reconnected");
    }

    [Fact]
    public async Task Usable_at_phone_width()
    {
        await _server.CreateRunnerAsync("phone", "BTCUSDT");
        await _page.SetViewportSizeAsync(390, 844);
        await Open("#/runners/phone");
        await Assertions.Expect(_page.Locator("[data-testid=fsm]")).ToBeVisibleAsync();
        var overflow = await _page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1");
        Assert.False(overflow, "no horizontal scrolling of the page at 390 px");
        await Screenshot("phone");
    }

    [Fact]
    public async Task Saving_a_strategy_in_use_offers_to_restart_its_runners_on_the_new_version_and_says_when_it_does_not()
    {
        const string V1 = """
            function detect_opportunity(md, ctx) ctx.version = 1 return nil end
            function filter_commitment() return nil end
            function manage_position() return nil end
            """;
        await _server.UploadStrategyAsync("hot", V1);
        await _server.CreateRunnerAsync("hot_a", "BTCUSDT", "hot");
        await Open("#/strategies/hot");
        await Assertions.Expect(_page.Locator(".cm-content")).ToContainTextAsync("ctx.version = 1");

        _dismissDialogs = true; // first time: no
        await ReplaceCode(V1.Replace("ctx.version = 1", "ctx.version = 2"));
        await _page.ClickAsync("button:text-is('Save')");
        await Assertions.Expect(_page.Locator(".diagnostics")).ToContainTextAsync("Not restarted: hot_a keep running the previous version");
        Assert.Contains(_dialogs, d => d.Contains("hot_a") && d.Contains("Restart them on the new version"));
        await Task.Delay(300);
        Assert.Equal(1, (await _server.GetJsonAsync("/api/runners/hot_a")).GetProperty("context").GetProperty("version").GetInt32());

        _dismissDialogs = false; // then yes
        await ReplaceCode(V1.Replace("ctx.version = 1", "ctx.version = 3"));
        await _page.ClickAsync("button:text-is('Save')");
        await Assertions.Expect(_page.Locator(".diagnostics")).ToContainTextAsync("Restarted hot_a on the new version");
        await Wait.Until(async () => (await _server.GetJsonAsync("/api/runners/hot_a")).GetProperty("context").GetProperty("version").GetInt32() == 3,
            what: "the runner on version 3");
        Assert.Empty(_consoleErrors);
    }

    private async Task ReplaceCode(string code)
    {
        await _page.ClickAsync(".cm-content");
        await _page.Keyboard.PressAsync("Control+A");
        await _page.Keyboard.PressAsync("Delete");
        await _page.Locator(".cm-content").FillAsync(code);
    }
}
