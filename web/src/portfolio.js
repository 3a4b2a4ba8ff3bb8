import { AreaSeries, createChart } from "lightweight-charts";
import { api } from "./api.js";
import { bySecond } from "./backtestCharts.js";
import { chartOptions } from "./chart.js";
import { fixed, h, pnl, pnlClass, price } from "./format.js";

const REFRESH_MS = 5_000;  // the accounts' sums: unrealized P&L moves with every tick, a glance every few seconds is enough
const CURVE_POINTS = 1_000;

/**
 * The portfolio card of the landing page: equity, P&L (realized and unrealized), P&L today, open positions, and the P&L
 * curve across all runners. onLines(lines) receives the per-runner figures on each refresh, for the runners table.
 */
export function portfolioCard(onLines) {
  const tile = (key, label) => {
    const value = h("strong", { "data-testid": `portfolio-${key}` }, "–");
    const sub = h("small", { className: "muted" });
    return { element: h("div", { className: "tile" }, h("span", { className: "muted" }, label), value, sub), value, sub };
  };
  const tiles = {
    equity: tile("equity", "Equity"),
    pnl: tile("pnl", "P&L"),
    today: tile("today", "P&L today (UTC)"),
    open: tile("open", "Open positions"),
  };
  const chartBox = h("div", { className: "chart portfolio-chart", "data-testid": "portfolio-chart" });
  const caption = h("p", { className: "muted small" });
  const element = h("section", { className: "card portfolio", "data-testid": "portfolio" },
    h("h2", {}, "Portfolio"),
    h("div", { className: "tiles", "aria-live": "polite" }, Object.values(tiles).map((t) => t.element)),
    chartBox, caption);

  let chart = null;
  let series = null;
  let lastTime = 0;
  let timer = 0;
  let disposed = false;

  function show(summary) {
    const set = (t, text, className = "", sub = "") => {
      t.value.textContent = text;
      t.value.className = className;
      t.sub.textContent = sub;
    };
    set(tiles.equity, price(summary.equity), "", `from ${price(summary.initial_capital)} · fees ${fixed(summary.fees_paid)}`);
    set(tiles.pnl, pnl(summary.pnl), pnlClass(summary.pnl), `realized ${pnl(summary.realized_pnl)} · unrealized ${pnl(summary.unrealized_pnl)}`);
    set(tiles.today, pnl(summary.pnl_today), pnlClass(summary.pnl_today), "since 00:00 UTC");
    set(tiles.open, String(summary.open_positions), "", `${summary.runners_count} runner${summary.runners_count === 1 ? "" : "s"}`);
    tiles.pnl.value.dataset.value = String(summary.pnl);
    tiles.today.value.dataset.value = String(summary.pnl_today);
    tiles.equity.value.dataset.value = String(summary.equity);
    onLines(summary.runners);
    // The newest figure extends the sampled curve until the next sample is stored.
    const time = Math.floor(summary.as_of / 1000);
    if (series && time >= lastTime) {
      series.update({ time, value: summary.pnl }); // the same second replaces its point
      if (time > lastTime) chartBox.dataset.points = String(Number(chartBox.dataset.points ?? 0) + 1);
      lastTime = time;
    }
  }

  // One read at a time: a poke during a read asks for another one right after it.
  let busy = false;
  let again = false;
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const summary = await api.portfolio();
      if (!disposed) show(summary);
    } catch {
      // offline or refused: the figures shown stay until the next try (the connection badge says why)
    } finally {
      busy = false;
    }
    clearTimeout(timer);
    if (!disposed) timer = setTimeout(refresh, again ? 300 : REFRESH_MS);
    again = false;
  }

  // The page may be left while a read is on its way: nothing touches the chart once it is disposed.
  async function start() {
    if (disposed) return;
    chart = createChart(chartBox, chartOptions({ timeScale: { secondsVisible: false } }));
    series = chart.addSeries(AreaSeries, {
      lineColor: "#60a5fa", topColor: "rgba(96,165,250,0.35)", bottomColor: "rgba(96,165,250,0.02)", lineWidth: 2,
      priceFormat: { type: "price", precision: 2, minMove: 0.01 }, title: "P&L",
    });
    try {
      const curve = await api.portfolioEquity(CURVE_POINTS);
      if (disposed) return;
      const points = bySecond(curve.times.map((t, i) => ({ time: Math.floor(t / 1000), value: curve.pnl[i] })));
      series.setData(points);
      lastTime = points.length ? points[points.length - 1].time : 0;
      chartBox.dataset.points = String(points.length);
      caption.textContent = points.length
        ? "Realized and unrealized P&L of every runner, sampled on the server; a runner removed takes its P&L out of later points."
        : "The curve fills as the server samples the portfolio.";
      chart.timeScale().fitContent();
    } catch {
      if (disposed) return;
      caption.textContent = "The curve could not be read.";
    }
    if (!disposed) await refresh();
  }

  return {
    element,
    start,
    /** Reads the figures again soon (a trade closed). */
    poke() {
      if (busy) { again = true; return; }
      clearTimeout(timer);
      if (!disposed) timer = setTimeout(refresh, 300);
    },
    dispose() {
      disposed = true;
      clearTimeout(timer);
      chart?.remove();
    },
  };
}
