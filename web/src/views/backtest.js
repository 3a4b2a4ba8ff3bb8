import { api } from "../api.js";
import { equityChart, tradesChart } from "../backtestCharts.js";
import { button, duration, fixed, h, kvRow, minute, percent, pnl, pnlClass, toast, zoneLabel } from "../format.js";
import { describeParams } from "../params.js";
import { stream } from "../stream.js";
import { tradeList } from "../tradeList.js";

const PAGE = 50;
const EQUITY_POINTS = 2000; // thinned on the server: a 1,000,000-bar run draws as fast as a 2,000-bar one
const FEW_BARS = 3000; // runs this short show all their candles; longer ones a window around the selected trade
const MAX_CANDLES = 5000; // a trade longer than this shows its first 5,000 bars

/** How each report field (docs/backtesting.md §4) reads on the page, in order. */
export const METRICS = [
  ["total_return_pct", "Total return", (v) => percent(v)],
  ["cagr_pct", "CAGR", (v) => percent(v)],
  ["sharpe", "Sharpe", (v) => fixed(v)],
  ["sortino", "Sortino", (v) => fixed(v)],
  ["calmar", "Calmar", (v) => fixed(v)],
  ["max_drawdown_pct", "Max drawdown", (v) => (v == null ? "–" : `${fixed(v)} %`)],
  ["max_drawdown_duration_ms", "Max drawdown duration", (v) => duration(v)],
  ["volatility_ann_pct", "Volatility (annual)", (v) => (v == null ? "–" : `${fixed(v)} %`)],
  ["trades", "Trades", (v) => String(v)],
  ["win_rate_pct", "Win rate", (v) => (v == null ? "–" : `${fixed(v)} %`)],
  ["profit_factor", "Profit factor", (v) => fixed(v)],
  ["expectancy", "Expectancy (per trade)", (v) => pnl(v)],
  ["avg_trade_pct", "Average trade", (v) => percent(v)],
  ["best_trade_pct", "Best trade", (v) => percent(v)],
  ["worst_trade_pct", "Worst trade", (v) => percent(v)],
  ["avg_trade_duration_ms", "Average trade duration", (v) => duration(v)],
  ["exposure_pct", "Exposure", (v) => (v == null ? "–" : `${fixed(v)} %`)],
  ["fees_paid", "Fees paid", (v) => fixed(v)],
  ["buy_hold_return_pct", "Buy and hold", (v) => percent(v)],
  ["initial_capital", "Initial capital", (v) => fixed(v)],
  ["final_equity", "Final equity", (v) => fixed(v)],
  ["bars", "Bars", (v) => v.toLocaleString("en-US")],
  ["start", "First bar", (v) => minute(v)],
  ["end", "Last bar", (v) => minute(v)],
];

// Metrics whose sign is gain or loss (coloured so); a drawdown, a win rate or an exposure is not.
const SIGNED = new Set(["total_return_pct", "cagr_pct", "expectancy", "avg_trade_pct", "best_trade_pct", "worst_trade_pct", "buy_hold_return_pct"]);

const INTERVAL_UNITS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, mo: 2_592_000_000 };
function intervalMs(interval) {
  const match = /^(\d+)(mo|s|m|h|d|w)$/.exec(interval ?? "");
  return match ? Number(match[1]) * INTERVAL_UNITS[match[2]] : 60_000;
}

/** One backtest: progress while it runs; then its metrics, equity and drawdown, trades on the candles, monthly returns, trade list. */
export async function renderBacktest(app, id) {
  let view;
  try {
    view = await api.backtest(id);
  } catch (e) {
    app.append(h("section", { className: "card" }, h("h2", {}, `Backtest ${id}`), h("p", { className: "form-error" }, e.message),
      h("a", { href: "#/backtests" }, "Back to the backtests")));
    return { dispose() {} };
  }
  const disposers = [];
  const body = h("div", { className: "backtest-body" });
  const statusBadge = h("span", { className: "badge", "data-testid": "status" });
  const controls = h("div", { className: "actions" });
  const meta = h("span", { className: "muted" });
  app.append(h("section", { className: "runner-head" }, h("a", { href: "#/backtests", className: "muted" }, "← Backtests"),
    h("h1", {}, id), statusBadge, meta, controls), body);

  function renderHead() {
    const s = view.settings;
    statusBadge.className = `badge status-${view.status}`;
    statusBadge.textContent = view.status;
    meta.textContent = `${view.strategy_name} · ${view.dataset} (${view.symbol}) · ${minute(view.report?.start ?? s.from)} → ${minute(view.report?.end ?? s.to)}`;
    controls.replaceChildren(...[
      view.status === "queued" || view.status === "running" ? button("Cancel", cancel) : null,
      view.status === "done" ? h("a", { className: "button small", href: `#/backtests?strategy=${encodeURIComponent(view.strategy_name)}&dataset=${encodeURIComponent(view.dataset)}` }, "New run") : null,
      button("Delete", remove, "danger"),
    ].filter(Boolean));
  }

  async function cancel() {
    try {
      view = await api.cancelBacktest(id);
      render();
    } catch (e) {
      toast(e.message, "error");
    }
  }

  async function remove() {
    if (!confirm(`Delete backtest ${id} and its results?`)) return;
    try {
      await api.deleteBacktest(id);
      location.hash = "#/backtests";
    } catch (e) {
      toast(e.message, "error");
    }
  }

  // While queued or running: a progress bar fed by the stream; the report replaces it when the job ends.
  let progressBar = null;
  function renderProgress() {
    const bar = h("div", { className: "bar", style: `width: ${view.progress * 100}%` });
    const label = h("span", { className: "label" }, `${fixed(view.progress * 100, 1)} %`);
    progressBar = { bar, label };
    body.replaceChildren(h("section", { className: "card" }, h("h2", {}, view.status === "queued" ? "Waiting for a worker" : "Running"),
      h("div", { className: "progress big", "data-testid": "progress" }, bar, label)));
  }

  function render() {
    for (const dispose of disposers.splice(0)) dispose();
    delete body.dataset.rendered;
    renderHead();
    if (view.status === "queued" || view.status === "running") { renderProgress(); return; }
    progressBar = null;
    body.replaceChildren();
    if (view.error) body.append(h("section", { className: "card error-card", "data-testid": "error" }, h("h2", {}, "Error"), h("pre", {}, view.error)));
    if (view.report) renderReport(body, view, disposers);
    else body.append(h("section", { className: "card" }, h("p", { className: "muted" }, view.status === "cancelled"
      ? `Cancelled after ${view.bars_done.toLocaleString("en-US")} of ${view.bars_total.toLocaleString("en-US")} bars: no report.` : "No report.")));
    body.append(settingsCard(view));
  }

  const off = stream.on(async (tag, e) => {
    if (tag === "Resync" || (tag === "BacktestFinished" && e.backtest_id === id)) {
      try {
        const next = await api.backtest(id);
        const changed = next.status !== view.status;
        view = next;
        if (changed || tag === "BacktestFinished") render();
      } catch {
        // deleted elsewhere
      }
      return;
    }
    if (tag === "BacktestProgress" && e.backtest_id === id && progressBar) {
      if (view.status === "queued") { view = { ...view, status: "running" }; renderHead(); }
      progressBar.bar.style.width = `${e.progress * 100}%`;
      progressBar.label.textContent = `${fixed(e.progress * 100, 1)} % · ${e.bars_done.toLocaleString("en-US")} bars · ${Math.round(e.bars_per_second).toLocaleString("en-US")} bars/s`;
    }
  });
  render();
  // The job may have ended between the first read and the subscription.
  if (view.status === "queued" || view.status === "running") api.backtest(id).then((v) => { if (v.status !== view.status) { view = v; render(); } }).catch(() => {});
  return { dispose: () => { off(); for (const dispose of disposers) dispose(); } };
}

// The entries each risk limit refused (docs/backtesting.md §2.4); nothing when the backtest had no limits (null).
function riskRejections(counts) {
  if (counts == null) return null;
  const entries = Object.entries(counts);
  return h("table", { className: "kv metrics", "data-testid": "risk-rejections" },
    h("caption", { className: "muted" }, "Entries refused by the risk limits"),
    entries.length ? entries.map(([limit, count]) => kvRow(limit, String(count), { dataset: { limit } }))
      : [h("tr", {}, h("td", { className: "muted" }, "No limit refuses entries (the maximum drawdown ends the run instead)."))]);
}

function renderReport(body, view, disposers) {
  const report = view.report;
  const metrics = h("table", { className: "kv metrics", "data-testid": "metrics" },
    METRICS.map(([key, label, format]) => kvRow(label, h("span", { className: SIGNED.has(key) ? pnlClass(report[key]) : "" }, format(report[key])),
      { dataset: { metric: key, value: report[key] === null ? "null" : String(report[key]) } })));
  const equityBox = h("div", { className: "chart equity", "data-testid": "equity-chart" });
  const candlesBox = h("div", { className: "chart", "data-testid": "trades-chart" });
  const legend = h("div", { className: "legend muted", dataset: { idle: "Hover a bar: its prices and the trades on it." } });
  const tradeCaption = h("span", { className: "muted", "data-testid": "trade-caption" });
  const previous = button("◀ Previous trade", () => select(selectedIndex - 1));
  const next = button("Next trade ▶", () => select(selectedIndex + 1));
  const heatmap = h("div", { className: "table-wrap", "data-testid": "monthly" });
  const live = runLiveForm(view);
  const trades = reportTrades(view, (index) => select(index));

  body.append(
    h("div", { className: "report-grid" },
      h("section", { className: "card" }, h("h2", {}, "Metrics"), metrics, riskRejections(report.risk_rejections)),
      h("section", { className: "card chart-card" }, h("h2", {}, "Equity and drawdown"), equityBox)),
    h("section", { className: "card chart-card" },
      h("h2", {}, "Trades on the candles", h("span", { className: "actions" }, previous, next), tradeCaption), legend, candlesBox),
    h("section", { className: "card" }, h("h2", {}, "Monthly returns (UTC months)"), heatmap),
    trades.element,
    live);

  const equity = equityChart(equityBox);
  const candles = tradesChart(candlesBox, legend);
  disposers.push(() => equity.dispose(), () => candles.dispose());

  const loads = [
    api.backtestEquity(view.id, EQUITY_POINTS).then((points) => equity.set(points, report.initial_capital)).catch((e) => toast(e.message, "error")),
    api.backtestMonthly(view.id).then((months) => heatmap.replaceChildren(monthlyTable(months))).catch((e) => toast(e.message, "error")),
    trades.shown,
  ];

  let selectedIndex = 0;
  let dataset = null;
  let loading = 0;
  async function select(index) {
    if (report.trades > 0) index = Math.min(Math.max(index, 0), report.trades - 1);
    selectedIndex = index;
    previous.disabled = index <= 0;
    next.disabled = index >= report.trades - 1;
    const token = ++loading;
    try {
      // The dataset (for its interval) and the trade at once: each is a round trip.
      const [info, [trade]] = await Promise.all([dataset ?? api.dataset(view.dataset),
        report.trades > 0 ? api.backtestTrades(view.id, { offset: index, limit: 1 }) : []]);
      dataset = info;
      const step = intervalMs(dataset.interval);
      let from = report.start;
      let to = report.end;
      if (report.bars > FEW_BARS && trade) {
        from = Math.max(report.start, trade.entry_timestamp - 150 * step);
        to = Math.min(report.end, Math.max(trade.exit_timestamp + 150 * step, from + 600 * step));
      }
      const [bars, around] = await Promise.all([
        api.datasetBars(view.dataset, from, to, MAX_CANDLES),
        api.backtestTrades(view.id, { from, to, limit: 2000 }),
      ]);
      if (token !== loading) return;
      candles.set(bars, around, trade);
      tradeCaption.textContent = trade
        ? `trade ${index + 1} of ${report.trades.toLocaleString("en-US")}: ${trade.side} ${trade.quantity} · ${minute(trade.entry_timestamp)} → ${minute(trade.exit_timestamp)} · ${pnl(trade.pnl)}`
        : "no trades";
      trades.highlight(index);
    } catch (e) {
      if (token !== loading) return;
      tradeCaption.textContent = e.status === 404 ? `The dataset ${view.dataset} has been deleted: no candles to show.` : e.message;
    }
  }
  loads.push(select(0));
  // Everything loaded and painted (charts draw on the next frame): the mark the dashboard harness times the page by.
  Promise.all(loads).then(() => requestAnimationFrame(() => requestAnimationFrame(() => {
    body.dataset.rendered = "true";
    performance.mark("report-rendered");
  })));
}

/** Years down, months across, a year column compounding its months; each cell coloured by its return. */
function monthlyTable(months) {
  if (months.length === 0) return h("p", { className: "muted" }, "No bars.");
  const years = new Map();
  for (const m of months) {
    const [year, month] = m.month.split("-").map(Number);
    if (!years.has(year)) years.set(year, new Map());
    years.get(year).set(month, m);
  }
  const largest = Math.max(1e-9, ...months.map((m) => Math.abs(m.return_pct ?? 0)));
  const cell = (value, title, attributes = {}) => {
    const strength = value == null ? 0 : 0.15 + 0.65 * Math.min(1, Math.abs(value) / largest);
    const color = value > 0 ? `rgba(34,197,94,${strength})` : value < 0 ? `rgba(239,68,68,${strength})` : "transparent";
    return h("td", { className: "num heat", style: `background:${color}`, title, ...attributes }, value == null ? "" : fixed(value));
  };
  const names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  return h("table", { className: "heatmap" },
    h("thead", {}, h("tr", {}, h("th", {}, "Year"), names.map((n) => h("th", { className: "num" }, n)), h("th", { className: "num" }, "Year"))),
    h("tbody", {}, [...years].map(([year, byMonth]) => {
      let growth = 1;
      for (const m of byMonth.values()) growth *= 1 + (m.return_pct ?? 0) / 100;
      return h("tr", {}, h("th", { scope: "row" }, year),
        names.map((_, i) => {
          const m = byMonth.get(i + 1);
          return m ? cell(m.return_pct, `${m.month}: ${fixed(m.start_equity)} → ${fixed(m.end_equity)}`, { dataset: { month: m.month } }) : h("td", {});
        }),
        cell((growth - 1) * 100, `${year}`, { dataset: { year: String(year) } }));
    })));
}

/** The report's trade list (tradeList.js): pages from the server, the report's totals, a CSV export; a row shows its trade on the chart. */
function reportTrades(view, onSelect) {
  const report = view.report;
  return tradeList({
    fetchPage: (offset, limit) => api.backtestTrades(view.id, { offset, limit }),
    totals: { count: report.trades, net: report.expectancy == null ? 0 : report.expectancy * report.trades, fees: report.fees_paid, winRate: report.win_rate_pct },
    fileName: `${view.id}-trades.csv`,
    pageSize: PAGE,
    onSelect,
  });
}

/**
 * "Run live with these settings": a runner with the run's strategy, window, account settings and params on a live symbol.
 * <view> needs strategy_name, symbol and settings (a backtest's settings shape); the optimization page passes a trial's.
 */
export function runLiveForm(view, title = "Run live") {
  const s = view.settings;
  const symbol = h("select", { name: "symbol", "data-testid": "live-symbol" });
  const runnerId = h("input", { name: "runner_id", "data-testid": "live-runner-id", pattern: "[A-Za-z0-9_.\\-]{1,64}",
    value: `${view.strategy_name}_${view.symbol}`.toLowerCase().replace(/[^a-z0-9_.-]/g, "_").slice(0, 64) });
  const message = h("p", { className: "form-error", role: "alert" });
  const create = h("button", { type: "submit", className: "primary" }, "Run live with these settings");
  const form = h("form", { className: "run-live", "data-testid": "run-live" },
    h("label", { className: "field" }, h("span", {}, "Runner id"), runnerId),
    h("label", { className: "field" }, h("span", {}, "Symbol"), symbol),
    create, message,
    h("p", { className: "hint muted" }, `Strategy ${view.strategy_name} as saved now (params: ${describeParams(s.params)}), window ${s.window_size}, capital ${fixed(s.account.initial_capital)}, `
      + `fee ${s.account.fee_bps} bps, slippage ${s.account.slippage_bps} bps, fill ${s.account.fill}, stops ${s.account.stops}.`));
  Promise.all([api.symbols().catch(() => []), api.strategies().catch(() => [])]).then(([symbols, strategies]) => {
    symbol.replaceChildren(...symbols.map((x) => h("option", { value: x, selected: x === view.symbol }, x)));
    if (!strategies.some((x) => x.name === view.strategy_name)) {
      create.disabled = true;
      message.textContent = `The strategy ${view.strategy_name} is not saved (inline code, or deleted since): save it in the editor to run it live.`;
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      const created = await api.createRunner({
        runner_id: runnerId.value.trim(), symbol: symbol.value, strategy_name: view.strategy_name, window_size: s.window_size,
        initial_capital: s.account.initial_capital, fee_bps: s.account.fee_bps, slippage_bps: s.account.slippage_bps,
        fill: s.account.fill, stops: s.account.stops, params: s.params ?? undefined,
      });
      location.hash = `#/runners/${encodeURIComponent(created.runner_id)}`;
    } catch (e) {
      const fields = Object.entries(e.errors).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`).join(" ");
      message.textContent = fields || e.message;
    }
  });
  return h("section", { className: "card" }, h("h2", {}, title), form);
}

/** What the run was given (docs/backtesting.md §1.1) and the digest of its inputs. */
function settingsCard(view) {
  const s = view.settings;
  const a = s.account;
  return h("section", { className: "card" }, h("h2", {}, "Settings"), h("table", { className: "kv", "data-testid": "settings" },
    kvRow("Strategy", view.strategy_name), kvRow("Dataset", `${view.dataset} (${view.symbol})`),
    kvRow("Range", `${s.from == null ? "first bar" : minute(s.from)} → ${s.to == null ? "last bar" : minute(s.to)}`),
    kvRow("Parameters", describeParams(s.params)),
    kvRow("Window size", s.window_size), kvRow("Initial capital", fixed(a.initial_capital)),
    kvRow("Fee / slippage", `${a.fee_bps} bps / ${a.slippage_bps} bps`), kvRow("Fill / stops", `${a.fill} / ${a.stops}`),
    kvRow("Stop on error / close at end", `${s.stop_on_error} / ${s.close_at_end}`),
    kvRow("Bars", `${view.bars_done.toLocaleString("en-US")} of ${view.bars_total.toLocaleString("en-US")}`),
    kvRow("Ran", view.started_at ? `${minute(view.started_at)} (${zoneLabel()}), ${took(Math.max(0, (view.finished_at ?? view.started_at) - view.started_at))}` : "–"),
    view.report ? kvRow("Input digest", h("code", { className: "digest" }, view.report.digest)) : null));
}

function took(ms) {
  return ms < 10_000 ? `${ms.toLocaleString("en-US")} ms` : duration(ms);
}
