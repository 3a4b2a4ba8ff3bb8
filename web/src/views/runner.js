import { api } from "../api.js";
import { priceChart, TIMEFRAMES } from "../chart.js";
import { stateMachineView } from "../fsm.js";
import { ask, button, describe, duration, fixed, h, kvRow as row, pnl, pnlClass, price, time, toast } from "../format.js";
import { describeParams } from "../params.js";
import { stream } from "../stream.js";
import { tradeList } from "../tradeList.js";

const TIMEFRAME_KEY = "tickrunner.timeframe";
const MARKER_TRADES = 5_000; // the newest trades of the loaded range: as many as the chart shows markers for (chart.js)

// A runner's trade (net realized_pnl) in the shape the shared trade list shows; the return is on the entry notional.
const listed = (t) => ({ ...t, pnl: t.realized_pnl, return_pct: (t.realized_pnl / (t.entry_price * t.quantity)) * 100 });

// At most one run of <task> at a time and not more often than every <minMs>; calls meanwhile make one more run after it.
// A runner that closes a position on every bar must not turn each close into requests for its trades.
function coalesced(task, minMs) {
  let running = null;
  let again = false;
  let last = 0;
  const run = () => {
    if (running) { again = true; return running; }
    const wait = Math.max(0, last + minMs - Date.now());
    running = new Promise((resolve) => setTimeout(resolve, wait))
      .then(() => { last = Date.now(); return task(); })
      .finally(() => { running = null; if (again) { again = false; run(); } });
    return running;
  };
  return run;
}

// A runner's own risk limits as the create body and PATCH /api/runners/{id}/risk name them, with how the card shows them.
const LIMITS = [
  ["max_position_notional", "Max position notional", "any"],
  ["max_quantity", "Max quantity", "any"],
  ["max_entries_per_hour", "Max entries per hour", "1"],
  ["daily_loss_limit", "Daily loss limit", "any"],
  ["max_drawdown_pct", "Max drawdown %", "any"],
];

/** One runner: live chart, state machine, position (with manual entry and exit), risk, context, stats, events and trades. */
export async function renderRunner(app, id) {
  let snapshot;
  try {
    snapshot = await api.runner(id);
  } catch (e) {
    app.append(h("section", { className: "card" }, h("h2", {}, `Runner ${id}`), h("p", { className: "form-error" }, e.message),
      h("a", { href: "#/" }, "Back to the runners")));
    return { dispose() {} };
  }

  const title = h("h1", {}, id);
  const meta = h("span", { className: "muted" });
  const statusBadge = h("span", { className: "badge" });
  const controls = h("div", { className: "actions" });
  const chartBox = h("div", { className: "chart", "data-testid": "chart" });
  const fsm = stateMachineView();
  const transitions = h("ol", { className: "transitions", "data-testid": "transitions" });
  const positionCard = h("div", { className: "position", "data-testid": "position" });
  const manual = h("div", { className: "actions manual", "data-testid": "manual" });
  const riskTable = h("table", { className: "kv", "data-testid": "risk" });
  const riskForm = h("form", { className: "risk-form", "data-testid": "risk-form", onsubmit: saveRisk });
  const contextTable = h("table", { className: "kv" });
  const statsTable = h("table", { className: "kv" });
  const log = h("ol", { className: "log", "data-testid": "event-log" });
  const legend = h("div", { className: "legend muted", "data-testid": "chart-legend", dataset: { idle: "Hover a candle: its prices and the trades on it." } });
  let timeframe = (() => {
    try {
      return TIMEFRAMES.find(([name]) => name === localStorage.getItem(TIMEFRAME_KEY)) ?? TIMEFRAMES[0];
    } catch {
      return TIMEFRAMES[0];
    }
  })();
  const timeframes = h("div", { className: "timeframes", role: "group", "aria-label": "Timeframe", "data-testid": "timeframes" },
    TIMEFRAMES.map(([name, seconds]) => h("button", { type: "button", className: "small", dataset: { timeframe: name },
      "aria-pressed": String(name === timeframe[0]), onclick: () => pickTimeframe(name, seconds) }, name)));
  const tradesCard = h("section", { className: "card wide", "data-testid": "trade-list-slot" }, h("h2", {}, "Trades"), h("p", { className: "muted" }, "Loading…"));
  const showTicks = h("input", { type: "checkbox" });

  app.append(
    h("section", { className: "runner-head" }, h("a", { href: "#/", className: "muted" }, "← Runners"), title, statusBadge, meta, controls),
    h("div", { className: "runner-grid" },
      h("section", { className: "card chart-card" }, timeframes, legend, chartBox),
      h("div", { className: "side" },
        h("section", { className: "card" }, h("h2", {}, "State machine"), fsm.element, transitions),
        h("section", { className: "card" }, h("h2", {}, "Position"), positionCard, manual))),
    h("div", { className: "runner-grid lower" },
      h("section", { className: "card wide", "data-testid": "risk-card" }, h("h2", {}, "Risk"), riskTable, riskForm),
      h("section", { className: "card" }, h("h2", {}, "Context"), contextTable),
      h("section", { className: "card" }, h("h2", {}, "Stats"), statsTable),
      h("section", { className: "card wide" },
        h("h2", {}, "Events ", h("label", { className: "check inline" }, showTicks, "show ticks")), log),
      tradesCard),
  );

  const chart = priceChart(chartBox, legend, {
    loadCandles: (interval, to, limit) => api.candles(snapshot.symbol, { interval, to, limit }),
    loadPlots: (interval, to, limit) => api.plots(id, { interval, to, limit }),
    onRange: (from) => loadMarkers(from),
  });

  function pickTimeframe(name, seconds) {
    timeframe = [name, seconds];
    try {
      localStorage.setItem(TIMEFRAME_KEY, name);
    } catch {
      // private mode: for this page only
    }
    for (const b of timeframes.children) b.setAttribute("aria-pressed", String(b.dataset.timeframe === name));
    chart.setInterval(seconds);
  }

  // Every trade open at some time from the chart's first candle on (the journal keeps them all), as markers.
  let markersFrom = Infinity;
  async function loadMarkers(from = markersFrom) {
    markersFrom = from;
    if (!Number.isFinite(from)) return; // no candles yet: nothing to mark
    try {
      chart.setTrades(await api.trades(id, { from, limit: MARKER_TRADES }), snapshot.position);
    } catch {
      // the next close or reload tries again
    }
  }

  function renderHead() {
    meta.textContent = `${snapshot.symbol} · ${snapshot.strategy_name} · window ${snapshot.window_len}/${snapshot.window_size} · up ${duration(snapshot.uptime_ms)}`;
    statusBadge.className = `badge status-${snapshot.status}`;
    statusBadge.textContent = snapshot.status;
    // Rebuilt only when the status changes: the periodic refresh must not swap a button out from under a click.
    if (controlsFor === snapshot.status) return;
    controlsFor = snapshot.status;
    controls.replaceChildren(...[
      snapshot.status === "running" ? button("Pause", () => steer("pause")) : null,
      snapshot.status === "paused" ? button("Resume", () => steer("resume")) : null,
      snapshot.status !== "stopped" ? button("Stop", () => steer("stop")) : null,
      snapshot.status === "stopped" ? button("Start", () => steer("start")) : null,
      button("Remove", remove, "danger"),
    ].filter(Boolean));
  }
  let controlsFor = null;

  function renderState() {
    fsm.set(snapshot.state);
    transitions.replaceChildren(...[...snapshot.transitions].reverse().slice(0, 12).map((t) =>
      h("li", {}, h("span", { className: "muted" }, time(t.timestamp)), " ", h("b", {}, `${t.from} → ${t.to}`), " ", t.reason)));
    if (snapshot.transitions.length === 0) transitions.append(h("li", { className: "muted" }, "No transitions yet."));
  }

  function renderManual() {
    // Rebuilt only when what is allowed changes, like the steering buttons.
    const key = `${snapshot.status}/${snapshot.position ? "in" : "flat"}`;
    if (manualFor === key) return;
    manualFor = key;
    if (snapshot.status !== "running") {
      manual.replaceChildren(h("span", { className: "muted" }, "Manual entry and exit need a running runner."));
      return;
    }
    manual.replaceChildren(...(snapshot.position
      ? [button("Exit now", manualExit, "danger", { "data-testid": "manual-exit" })]
      : [button("Enter long", () => manualEnter("long"), "", { "data-testid": "manual-long" }),
        button("Enter short", () => manualEnter("short"), "", { "data-testid": "manual-short" })]));
  }
  let manualFor = null;

  async function manualEnter(side) {
    const field = (name, label, attributes = {}) =>
      h("label", { className: "field" }, h("span", {}, label), h("input", { type: "number", name, step: "any", min: "0", ...attributes }));
    const answer = await ask({
      title: `Enter ${side} on ${id}?`,
      message: "Carried out at the runner's next bar as if its strategy had returned it: the same fill, risk limits and events.",
      fields: [field("quantity", "Quantity", { required: true, "data-testid": "manual-quantity" }), field("stop_loss", "Stop loss (optional)"),
        field("take_profit", "Take profit (optional)")],
      confirm: `Enter ${side}`,
    });
    if (!answer) return;
    const number = (v) => (v === undefined || v === "" ? undefined : Number(v));
    try {
      await api.enter(id, { side, quantity: number(answer.quantity), stop_loss: number(answer.stop_loss), take_profit: number(answer.take_profit) });
      toast(`Enter ${side} queued for the next bar.`);
    } catch (e) {
      toast(e.message, "error");
    }
  }

  async function manualExit() {
    if (!(await ask({ title: `Exit ${id}'s position now?`, message: "Closed at the runner's next bar, with the reason \"manual\".", confirm: "Exit", kind: "danger" }))) return;
    try {
      await api.exit(id);
      toast("Exit queued for the next bar.");
    } catch (e) {
      toast(e.message, "error");
    }
  }

  function renderRisk() {
    const risk = snapshot.risk;
    if (!risk) {
      riskTable.replaceChildren(h("tr", {}, h("td", { className: "muted" }, "No limits of its own: only the engine's kill switch and limits across runners apply.")));
    } else {
      const rejections = Object.entries(risk.rejections);
      riskTable.replaceChildren(
        ...LIMITS.filter(([key]) => risk.limits[key] != null).map(([key, label]) => row(label, String(risk.limits[key]), { dataset: { limit: key } })),
        risk.limits.daily_loss_limit != null ? row("Flatten on daily loss", risk.limits.flatten_on_daily_loss ? "yes" : "no") : null,
        row("Entries blocked for the day", h("b", { className: risk.entries_blocked ? "loss" : "", "data-testid": "risk-blocked" }, risk.entries_blocked ? "yes, until 00:00 UTC" : "no")),
        risk.limits.daily_loss_limit != null ? row("Equity at the day's start", fixed(risk.day_start_equity)) : null,
        risk.limits.max_drawdown_pct != null ? row("Equity peak", fixed(risk.peak_equity)) : null,
        row("Refused entries", h("span", { "data-testid": "risk-rejections" },
          rejections.length ? rejections.map(([limit, count]) => `${limit} ${count}`).join(" · ") : "none")));
    }
    // The form is filled once (and after a save): a refresh must not overwrite what is being typed.
    if (riskFormFilled) return;
    riskFormFilled = true;
    const limits = risk?.limits ?? {};
    riskForm.replaceChildren(
      ...LIMITS.map(([key, label, step]) => h("label", {}, label,
        h("input", { type: "number", name: key, min: "0", step, value: limits[key] ?? "", placeholder: "none" }))),
      h("label", { className: "check" }, h("input", { type: "checkbox", name: "flatten_on_daily_loss", checked: !!limits.flatten_on_daily_loss }), "Flatten on daily loss"),
      h("p", { className: "form-error", "data-testid": "risk-error" }),
      h("div", { className: "actions" }, h("button", { type: "submit", className: "small", "data-testid": "risk-save" }, "Save limits")));
  }
  let riskFormFilled = false;

  async function saveRisk(event) {
    event.preventDefault();
    const form = new FormData(riskForm);
    const body = {};
    for (const [key] of LIMITS) if (form.get(key) !== "") body[key] = Number(form.get(key));
    if (form.get("flatten_on_daily_loss") === "on") body.flatten_on_daily_loss = true;
    const error = riskForm.querySelector("[data-testid=risk-error]");
    if (!(await ask({ title: `Change ${id}'s risk limits?`, message: Object.keys(body).length ? "They apply from the runner's next bar on." : "The runner keeps no limits of its own.", confirm: "Save" }))) return;
    try {
      snapshot = await api.changeRisk(id, body);
      error.textContent = "";
      riskFormFilled = false;
      renderRisk();
      toast("Risk limits saved.");
    } catch (e) {
      error.textContent = Object.values(e.errors).flat().join(" ") || e.message;
    }
  }

  function renderPosition() {
    renderManual();
    const p = snapshot.position;
    if (!p) {
      positionCard.replaceChildren(h("p", { className: "muted" }, "Flat: no open position."));
      chart.levels(null, null);
      return;
    }
    positionCard.replaceChildren(h("table", { className: "kv" },
      row("Side", h("span", { className: p.side === "Long" ? "gain" : "loss" }, p.side)),
      row("Quantity", p.quantity),
      row("Entry", `${price(p.entry_price)} at ${time(p.entry_timestamp)}`),
      row("Current", price(p.current_price)),
      row("Unrealized P&L", h("b", { className: pnlClass(p.unrealized_pnl), "data-testid": "unrealized" }, pnl(p.unrealized_pnl))),
      row("Stop loss", price(p.stop_loss)),
      row("Take profit", price(p.take_profit))));
    chart.levels(p.stop_loss, p.take_profit);
  }

  function renderTables() {
    const context = Object.entries(snapshot.context);
    contextTable.replaceChildren(...(context.length ? context.map(([k, v]) => row(k, typeof v === "number" ? String(v) : JSON.stringify(v)))
      : [h("tr", {}, h("td", { className: "muted" }, "Empty: the strategy has stored nothing yet."))]));
    const s = snapshot.stats;
    statsTable.replaceChildren(
      row("Ticks processed", s.ticks_processed), row("Actions executed", s.actions_executed),
      row("Actions rejected", s.actions_rejected), row("Errors", s.errors), row("Error rate", `${(s.error_rate * 100).toFixed(2)} %`),
      row("Tick time avg / min / max", `${s.avg_tick_us.toFixed(1)} / ${s.min_tick_us.toFixed(1)} / ${s.max_tick_us.toFixed(1)} µs`),
      row("Ticks dropped (inbox full)", s.ticks_dropped),
      row("Parameters", describeParams(snapshot.params)));
  }

  function renderAll() {
    renderHead();
    renderState();
    renderPosition();
    renderRisk();
    renderTables();
  }

  // The same error on tick after tick is one line with a count (and the time of the last), not a wall of copies.
  let lastError = null; // { text, item, count, stamp }
  function logEvent(tag, e, older = false) {
    if (tag === "TickReceived" && !showTicks.checked) return;
    if (tag === "PositionUpdated" && !showTicks.checked) return;
    if (tag === "Plot" && !showTicks.checked) return; // one per bar, like the ticks
    // The engine reports an identical error again after 10 s as "… (repeated N more times since it was last reported)".
    const repeated = tag === "Error" ? /^(.*) \(repeated ([\d,]+) more times since it was last reported\)$/s.exec(e.error ?? "") : null;
    const errorKey = repeated ? repeated[1] : e.error;
    if (tag === "Error" && !older && lastError?.text === errorKey && log.firstElementChild === lastError.item) {
      lastError.count += 1 + (repeated ? Number(repeated[2].replaceAll(",", "")) : 0);
      lastError.stamp.textContent = time(e.timestamp);
      lastError.counter.textContent = ` ×${lastError.count}`;
      return;
    }
    const stamp = h("span", { className: "muted" }, time(e.timestamp));
    const counter = h("span", { className: "count", "data-testid": "repeat" });
    const item = h("li", { className: `ev ev-${tag}${e.severity ? ` sev-${e.severity}` : ""}` },
      stamp, " ", h("b", {}, tag), " ", tag === "Error" ? errorText(e) : describe(tag, e), counter);
    if (older) log.append(item); else log.prepend(item);
    if (tag === "Error" && !older) lastError = { text: errorKey, item, count: 1, stamp, counter };
    while (log.childElementCount > 300) log.lastElementChild.remove();
  }

  // "name.lua:12:" in an error opens the strategy in the editor at that line.
  function errorText(e) {
    const text = describe("Error", e);
    const match = /([A-Za-z0-9_-]{1,64})\.lua:(\d+):/.exec(text);
    if (!match) return text;
    return h("span", {}, text.slice(0, match.index),
      h("a", { href: `#/strategies/${encodeURIComponent(match[1])}?line=${match[2]}`, "data-testid": "error-line" }, `${match[1]}.lua:${match[2]}`),
      text.slice(match.index + match[0].length - 1));
  }

  // The trade card: pages from the journal, the totals of every trade, a CSV export; opens on the newest page.
  let list = null;
  async function loadTrades() {
    try {
      const t = await api.tradeTotals(id);
      const totals = { count: t.trades, net: t.net_pnl, fees: t.fees, winRate: t.win_rate_pct };
      if (list) { await list.update(totals); return; }
      list = tradeList({
        fetchPage: (offset, limit) => api.trades(id, { offset, limit }).then((page) => page.map(listed)),
        totals, fileName: `${id}-trades.csv`, title: "Trades", startAtEnd: true,
      });
      list.element.classList.add("wide");
      tradesCard.replaceWith(list.element);
      await list.shown;
    } catch {
      // the runner went away, or the server: the next close tries again
    }
  }

  const refreshTrades = coalesced(() => Promise.all([loadTrades(), loadMarkers()]), 2000);

  // A fresh snapshot when something the events do not carry may have changed (context, stats).
  let refreshing = null;
  function refresh() {
    refreshing ??= api.runner(id).then((s) => { snapshot = s; renderAll(); }).catch(() => {}).finally(() => (refreshing = null));
  }

  async function steer(verb) {
    try {
      snapshot.status = (await api.steer(id, verb)).status;
      renderHead();
      renderManual();
    } catch (e) {
      toast(e.message, "error");
    }
  }

  async function remove() {
    if (!confirm(`Remove runner ${id}? It stops and its trades are deleted.`)) return;
    try {
      await api.removeRunner(id);
      location.hash = "#/";
    } catch (e) {
      toast(e.message, "error");
    }
  }

  renderAll();
  // Listen before loading history, so nothing that happens meanwhile is missed.
  let sinceRefresh = 0;
  let firstLiveSeq = Infinity;
  let lastBarTime = null; // exits are marked at the bar they happened on, not at wall-clock time
  const off = stream.on((tag, e) => {
    if (tag === "Resync") {
      refresh();
      chart.reload();
      return;
    }
    if (e.runner_id !== id) return;
    firstLiveSeq = Math.min(firstLiveSeq, e.seq ?? Infinity);
    logEvent(tag, e);
    switch (tag) {
      case "TickReceived":
        lastBarTime = e.data.timestamp;
        chart.add(e.data);
        snapshot.stats.ticks_processed += 1;
        snapshot.window_len = Math.min(snapshot.window_size, snapshot.window_len + 1);
        if (++sinceRefresh >= 20) { sinceRefresh = 0; refresh(); } // context/stats drift: re-read now and then, driven by ticks
        break;
      case "Plot":
        chart.plot(e);
        break;
      case "StateTransition":
        snapshot.transitions = [...snapshot.transitions, { from: e.from, to: e.to, reason: e.reason, timestamp: e.timestamp }];
        snapshot.state = e.to;
        renderState();
        refresh();
        break;
      case "PositionOpened":
        snapshot.position = e.position;
        chart.mark("entry", e.position.entry_timestamp, e.position.side, `entry ${e.position.side} ${e.position.quantity} @ ${price(e.position.entry_price)}`);
        renderPosition();
        break;
      case "PositionUpdated":
        if (snapshot.position) {
          snapshot.position = { ...snapshot.position, current_price: e.current_price, unrealized_pnl: e.unrealized_pnl };
          renderPosition();
        }
        break;
      case "ActionExecuted":
        if (snapshot.position && e.action.type === "update_stop_loss") snapshot.position.stop_loss = e.action.new_stop;
        if (snapshot.position && e.action.type === "update_take_profit") snapshot.position.take_profit = e.action.new_target;
        renderPosition();
        break;
      case "PositionClosed":
        chart.mark("exit", lastBarTime ?? e.timestamp, snapshot.position?.side, `exit @ ${price(e.exit_price)} ${pnl(e.realized_pnl)} (${e.reason})`, e.realized_pnl > 0);
        snapshot.position = null;
        renderPosition();
        refreshTrades(); // the live marks show the close at once; the list and the markers catch up
        break;
      case "RunnerStatusChanged":
        snapshot.status = e.status;
        renderHead();
        renderManual();
        break;
      case "RiskLimitHit":
        refresh();
        break;
      case "RunnerStarted": // started again: a new instance resumed the position and context
        refresh();
        break;
      case "RunnerStopped":
        if (e.reason === "removed") { toast(`Runner ${id} was removed.`); location.hash = "#/"; return; }
        snapshot.status = "stopped";
        renderHead();
        renderManual();
        break;
      case "Error":
        refresh();
        break;
    }
  });
  // The chart's first page of candles brings the markers of its range (onRange); the trade card loads alongside.
  const [, , pastEvents] = await Promise.all([chart.setInterval(timeframe[1]), loadTrades(), api.recentEvents(id, 200).catch(() => [])]);
  // Older events go below the live ones, newest first; those already seen live are skipped.
  for (const message of [...pastEvents].reverse()) {
    const tag = Object.keys(message)[0];
    if (message[tag].seq < firstLiveSeq) logEvent(tag, message[tag], true);
  }

  return { dispose: () => { off(); chart.dispose(); } };
}
