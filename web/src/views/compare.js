import { api } from "../api.js";
import { comparisonChart } from "../backtestCharts.js";
import { h, minute } from "../format.js";
import { METRICS } from "./backtest.js";
import { describeParams } from "../params.js";

const COLORS = ["#60a5fa", "#f59e0b", "#a78bfa", "#34d399", "#f472b6"];
const EQUITY_POINTS = 1000;

// Which way is better for each metric; metrics not listed (bars, dates, trade count, exposure…) describe a run without ranking it.
const HIGHER = new Set(["total_return_pct", "cagr_pct", "sharpe", "sortino", "calmar", "win_rate_pct", "profit_factor", "expectancy",
  "avg_trade_pct", "best_trade_pct", "worst_trade_pct", "final_equity"]);
const LOWER = new Set(["max_drawdown_pct", "max_drawdown_duration_ms", "volatility_ann_pct", "fees_paid"]);

/** What differs between runs' settings, row by row. */
const SETTINGS = [
  ["Strategy", (v) => v.strategy_name],
  ["Dataset", (v) => `${v.dataset} (${v.symbol})`],
  ["From", (v) => (v.settings.from == null ? "first bar" : minute(v.settings.from))],
  ["To", (v) => (v.settings.to == null ? "last bar" : minute(v.settings.to))],
  ["Parameters", (v) => describeParams(v.settings.params)],
  ["Window size", (v) => String(v.settings.window_size)],
  ["Initial capital", (v) => String(v.settings.account.initial_capital)],
  ["Fee (bps)", (v) => String(v.settings.account.fee_bps)],
  ["Slippage (bps)", (v) => String(v.settings.account.slippage_bps)],
  ["Fill", (v) => v.settings.account.fill],
  ["Stops", (v) => v.settings.account.stops],
  ["Stop on error", (v) => String(v.settings.stop_on_error)],
  ["Close at end", (v) => String(v.settings.close_at_end)],
  ["Input digest", (v) => (v.report ? `${v.report.digest.slice(0, 12)}…` : "–")],
];

/** Two to five runs side by side: returns overlaid, metrics with the best of each row marked, settings with differences highlighted. */
export async function renderCompare(app, query) {
  const ids = [...new Set((new URLSearchParams(query ?? "").get("ids") ?? "").split(",").map((s) => s.trim()).filter(Boolean))];
  const head = h("section", { className: "runner-head" }, h("a", { href: "#/backtests", className: "muted" }, "← Backtests"), h("h1", {}, "Compare backtests"));
  app.append(head);
  const fail = (text) => {
    app.append(h("section", { className: "card" }, h("p", { className: "form-error", "data-testid": "compare-error" }, text)));
    return { dispose() {} };
  };
  if (ids.length < 2 || ids.length > 5) return fail(`Compare needs 2 to 5 backtests (got ${ids.length}): tick them in the history and press Compare.`);
  let views;
  try {
    views = await Promise.all(ids.map((id) => api.backtest(id)));
  } catch (e) {
    return fail(e.message);
  }
  const chartBox = h("div", { className: "chart equity", "data-testid": "compare-chart" });
  const legend = h("div", { className: "legend" }, views.map((v, i) => h("span", { className: "swatch", style: `--color:${COLORS[i]}` },
    h("a", { href: `#/backtests/${encodeURIComponent(v.id)}` }, v.id), ` ${v.strategy_name}`)));
  app.append(
    h("section", { className: "card chart-card" }, h("h2", {}, "Return over time (% of initial capital)"), legend, chartBox),
    h("section", { className: "card" }, h("h2", {}, "Metrics"), h("div", { className: "table-wrap" }, metricsTable(views))),
    h("section", { className: "card" }, h("h2", {}, "Settings"), h("div", { className: "table-wrap" }, settingsTable(views))));
  const chart = comparisonChart(chartBox);
  const curves = await Promise.all(views.map((v) => (v.report ? api.backtestEquity(v.id, EQUITY_POINTS).catch(() => []) : [])));
  curves.forEach((points, i) => { if (points.length) chart.add(views[i].id, COLORS[i], points, views[i].report.initial_capital); });
  return { dispose: () => chart.dispose() };
}

function header(views) {
  return h("thead", {}, h("tr", {}, h("th", {}, ""), views.map((v, i) => h("th", { className: "num" },
    h("span", { className: "swatch", style: `--color:${COLORS[i]}` }, h("a", { href: `#/backtests/${encodeURIComponent(v.id)}` }, v.id)),
    v.status !== "done" ? h("small", { className: "muted" }, ` ${v.status}`) : null))));
}

function metricsTable(views) {
  return h("table", { className: "compare", "data-testid": "compare-metrics" }, header(views), h("tbody", {}, METRICS.map(([key, label, format]) => {
    const values = views.map((v) => v.report?.[key] ?? null);
    const known = values.filter((x) => x !== null);
    const best = HIGHER.has(key) ? Math.max(...known) : LOWER.has(key) ? Math.min(...known) : null;
    // A best is marked only when the runs differ: a row where all agree has no winner. A null is "undefined", which for a
    // profit factor (no losing trade) or a Calmar ratio (no drawdown) may be the best case: such a row ranks no one.
    const marked = best !== null && known.length > 1 && known.some((x) => x !== best) && known.length === values.length;
    return h("tr", { dataset: { metric: key } }, h("th", { scope: "row" }, label), values.map((x) => h("td", {
      className: `num${marked && x === best ? " best" : ""}`, dataset: { value: x === null ? "null" : String(x) },
    }, x === null ? "–" : format(x))));
  })));
}

function settingsTable(views) {
  return h("table", { className: "compare", "data-testid": "compare-settings" }, header(views), h("tbody", {}, SETTINGS.map(([label, read]) => {
    const values = views.map(read);
    const differs = new Set(values).size > 1;
    return h("tr", { className: differs ? "differs" : "" }, h("th", { scope: "row" }, label), values.map((x) => h("td", { className: "num" }, x)));
  })));
}
