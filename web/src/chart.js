import { CandlestickSeries, ColorType, createChart, createSeriesMarkers, HistogramSeries, LineSeries, LineStyle } from "lightweight-charts";
import { axisLabel, crosshairLabel, minute, pnl, price } from "./format.js";

// A theme colour from styles.css (charts draw on a canvas, which CSS does not reach); read when a chart is made, and the
// theme toggle renders the page again.
const themeColor = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** The dashboard's chart look: the theme's colours on a transparent ground, times in the dashboard's zone (format.js). */
export function chartOptions(overrides = {}) {
  const line = themeColor("--chart-line");
  const grid = themeColor("--chart-grid");
  const timeScale = { borderColor: line, timeVisible: true, secondsVisible: true, tickMarkFormatter: axisLabel, ...overrides.timeScale };
  return {
    autoSize: true,
    localization: { timeFormatter: crosshairLabel },
    layout: { background: { type: ColorType.Solid, color: "transparent" }, textColor: themeColor("--chart-text"), fontSize: 11, panes: { separatorColor: line } },
    grid: { vertLines: { color: grid }, horzLines: { color: grid } },
    rightPriceScale: { borderColor: line },
    crosshair: { mode: 0 },
    ...overrides,
    timeScale,
  };
}

export const CANDLE_COLORS = { upColor: "#22c55e", downColor: "#ef4444", borderVisible: false, wickUpColor: "#22c55e", wickDownColor: "#ef4444" };

/** The timeframes the candles endpoint serves, with their length in seconds. */
export const TIMEFRAMES = [["1s", 1], ["1m", 60], ["5m", 300], ["15m", 900], ["1h", 3600], ["4h", 14_400], ["1d", 86_400]];

const PAGE = 500; // candles per request, on load and for each step back
const EDGE = 10; // fetch older candles once fewer than this many are left of the view
const MAX_MARKERS = 5000;

const volumeColor = (c) => (c.close >= c.open ? "rgba(34,197,94,0.45)" : "rgba(239,68,68,0.45)");

/**
 * A live candlestick chart at a chosen timeframe, with a volume pane, older candles loaded when scrolled to the left edge,
 * entry/exit markers for trades, and stop-loss/take-profit lines that stay in view (they take part in the autoscale).
 * Markers carry no text (dense trades would stack it): hovering a candle puts its prices and its trades in <legend>.
 * loadCandles(interval, to, limit) answers the candles endpoint's shape (times in ms); onRange(fromMs) is told when the
 * loaded range starts earlier, so the caller can supply the trades of it (setTrades). loadPlots(interval, to, limit), when
 * given, answers the plots endpoint's shape ({series, points}) for the same range: what the strategy plotted is drawn as lines,
 * on the candles (pane "overlay") or in panes below the volume, with each series' horizontal lines; plot(event) adds a live one.
 */
export function priceChart(container, legend, { loadCandles, loadPlots = null, onRange = () => {} }) {
  const chart = createChart(container, chartOptions());
  const levels = { stop: null, target: null };
  const series = chart.addSeries(CandlestickSeries, {
    ...CANDLE_COLORS,
    // Price lines alone do not move the price scale: the levels are added to what autoscale fits, so they stay in view.
    autoscaleInfoProvider: (original) => {
      const info = original();
      const prices = [levels.stop, levels.target].filter((p) => p != null);
      if (!info || prices.length === 0) return info;
      return { ...info, priceRange: {
        minValue: Math.min(info.priceRange.minValue, ...prices), maxValue: Math.max(info.priceRange.maxValue, ...prices) } };
    },
  });
  const volume = chart.addSeries(HistogramSeries, { color: "#334155", priceFormat: { type: "volume" }, lastValueVisible: false, priceLineVisible: false }, 1);
  chart.panes()[1]?.setStretchFactor(0.22);
  const markers = createSeriesMarkers(series, []);
  const lines = {};

  let interval = 1; // seconds
  let candles = []; // { time (s), open, high, low, close, volume }, oldest first
  let exhausted = false; // the server has nothing older
  let loading = null;
  let generation = 0; // a timeframe switch makes answers to earlier requests stale
  let trades = new Map(); // key → { kind, timestamp (ms), side, text }
  let disposed = false; // answers and events still arrive after the page has left: they must not touch the removed chart
  // The strategy's plotted series by name: { desc {name, pane, color, lines}, line (the chart's series), points [{time (s), value}] }.
  const plots = new Map();
  const panes = new Map(); // a pane name (other than "overlay") → its index below the volume pane

  const bucket = (ms) => Math.floor(ms / 1000 / interval) * interval;
  const intervalName = () => TIMEFRAMES.find(([, s]) => s === interval)?.[0] ?? "1s";
  const fromServer = (c) => ({ time: Math.floor(c.time / 1000), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume });

  function publish() {
    container.dataset.candles = String(candles.length);
    container.dataset.interval = intervalName();
    container.dataset.firstTime = candles.length ? String(candles[0].time * 1000) : "";
  }

  function paint() {
    if (disposed) return;
    series.setData(candles.map(({ volume: _, ...c }) => c));
    volume.setData(candles.map((c) => ({ time: c.time, value: c.volume, color: volumeColor(c) })));
    paintPlots();
    paintMarkers();
    publish();
  }

  // A series the strategy plots, made the first time its name is seen: a line on the candles or in its pane, with its levels.
  function plotSeries(desc) {
    let plot = plots.get(desc.name);
    if (plot || disposed) return plot;
    let pane = 0;
    if (desc.pane !== "overlay") {
      if (!panes.has(desc.pane)) {
        panes.set(desc.pane, chart.panes().length);
        container.classList.add("with-panes");
      }
      pane = panes.get(desc.pane);
    }
    const line = chart.addSeries(LineSeries, { color: desc.color, lineWidth: 2, priceLineVisible: false, lastValueVisible: true, title: desc.name,
      crosshairMarkerVisible: false, ...(pane === 0 ? { autoscaleInfoProvider: () => null } : {}) }, pane); // overlays never stretch the price scale
    if (pane !== 0) chart.panes()[pane]?.setStretchFactor(0.5); // half the candles' height: RSI-like values read at a glance
    for (const level of desc.lines ?? [])
      line.createPriceLine({ price: level, color: desc.color, lineWidth: 1, lineStyle: LineStyle.Dashed, axisLabelVisible: true, title: "" });
    plot = { desc, line, points: [] };
    plots.set(desc.name, plot);
    return plot;
  }

  // Only the points inside the loaded candles: an older one would stretch the time scale past the first candle.
  function paintPlots() {
    if (disposed) return;
    const first = candles.length ? candles[0].time : Infinity;
    for (const plot of plots.values()) plot.line.setData(plot.points.filter((p) => p.time >= first));
    publishPlots();
  }

  function publishPlots() {
    container.dataset.plots = [...plots.values()].map((p) => `${p.desc.name}:${p.desc.pane === "overlay" ? 0 : panes.get(p.desc.pane)}`).join(",");
    container.dataset.plotPoints = [...plots.values()].map((p) => p.points.length).join(",");
  }

  // The plots endpoint's answer as each series' points (times in seconds), oldest first.
  function fromPlots(answer) {
    const bySeries = new Map();
    for (const desc of answer?.series ?? []) { plotSeries(desc); bySeries.set(desc.name, []); }
    for (const p of answer?.points ?? [])
      for (const [name, value] of Object.entries(p.values)) bySeries.get(name)?.push({ time: Math.floor(p.time / 1000), value });
    return bySeries;
  }

  function setPlots(bySeries, before) {
    for (const plot of plots.values()) {
      const points = bySeries.get(plot.desc.name) ?? [];
      // Scrolling back puts the older points in front of those held; otherwise they replace them.
      plot.points = before === undefined ? points : [...points.filter((p) => p.time < before), ...plot.points];
    }
  }

  // Only the trades whose time falls inside the loaded candles: older ones would pile up on the first candle.
  function paintMarkers() {
    if (disposed) return;
    const first = candles.length ? candles[0].time : Infinity;
    const list = [];
    for (const t of trades.values()) {
      const time = bucket(t.timestamp);
      if (time < first) continue;
      const long = t.side === "Long";
      list.push(t.kind === "entry"
        ? { time, position: long ? "belowBar" : "aboveBar", color: long ? "#22c55e" : "#f97316", shape: long ? "arrowUp" : "arrowDown" }
        : { time, position: long ? "aboveBar" : "belowBar", color: t.win === false ? "#f472b6" : "#60a5fa", shape: "circle" });
    }
    list.sort((a, b) => a.time - b.time);
    const shown = list.slice(-MAX_MARKERS);
    markers.setMarkers(shown);
    container.dataset.markers = String(shown.length);
    container.dataset.firstMarker = shown.length ? String(shown[0].time * 1000) : "";
  }

  // The candles and, beside them, the plots of the same interval and range (a plots request that fails leaves the lines empty).
  async function load(to) {
    const mine = generation;
    const [answer, plotted] = await Promise.all([loadCandles(intervalName(), to, PAGE),
      loadPlots ? loadPlots(intervalName(), to, PAGE).catch(() => null) : null]);
    const list = answer.map(fromServer);
    if (mine !== generation || disposed) return null;
    if (list.length < PAGE) exhausted = true;
    list.plots = fromPlots(plotted);
    return list;
  }

  async function reload() {
    generation += 1;
    exhausted = false;
    loading = null;
    publish();
    const list = await load(undefined).catch(() => null);
    if (!list) return;
    candles = list;
    setPlots(list.plots);
    paint();
    if (disposed) return;
    chart.timeScale().scrollToRealTime();
    if (candles.length) onRange(candles[0].time * 1000);
  }

  function loadOlder() {
    if (loading || exhausted || candles.length === 0) return loading;
    const mine = generation;
    loading = load(candles[0].time * 1000).then((older) => {
      if (!older || mine !== generation || older.length === 0) return;
      const range = chart.timeScale().getVisibleLogicalRange();
      const before = older.filter((c) => c.time < candles[0].time);
      setPlots(older.plots, candles[0].time);
      candles = [...before, ...candles];
      paint();
      // The view stays on the candles it showed: the logical indices moved by what was put in front.
      if (range && !disposed) chart.timeScale().setVisibleLogicalRange({ from: range.from + before.length, to: range.to + before.length });
      onRange(candles[0].time * 1000);
    }).catch(() => {}).finally(() => { if (mine === generation) loading = null; });
    return loading;
  }

  chart.timeScale().subscribeVisibleLogicalRangeChange((range) => {
    if (range && range.from < EDGE) loadOlder();
  });

  function describe(time) {
    const c = candles.find((x) => x.time === time);
    if (!c) return "";
    const parts = [`${minute(time * 1000)}  O ${price(c.open)} H ${price(c.high)} L ${price(c.low)} C ${price(c.close)} V ${Number(c.volume.toPrecision(6))}`];
    const values = [...plots.values()].map((p) => [p.desc.name, p.points.find((x) => x.time === time)?.value]).filter(([, v]) => v !== undefined);
    if (values.length) parts.push(values.map(([name, v]) => `${name} ${Number(v.toPrecision(6))}`).join(" "));
    for (const t of trades.values()) if (bucket(t.timestamp) === time) parts.push(t.text);
    return parts.join(" · ");
  }

  if (legend) legend.textContent = legend.dataset.idle ?? "";
  chart.subscribeCrosshairMove((param) => {
    if (!legend) return;
    legend.textContent = param.time === undefined ? legend.dataset.idle ?? "" : describe(param.time);
  });

  function add(bar) {
    if (disposed) return;
    const time = bucket(bar.timestamp);
    const last = candles[candles.length - 1];
    if (last && time < last.time) return; // older than what is shown (a replayed event)
    let candle;
    if (last && time === last.time) {
      candle = { ...last, high: Math.max(last.high, bar.high), low: Math.min(last.low, bar.low), close: bar.close, volume: last.volume + bar.volume };
      candles[candles.length - 1] = candle;
    } else {
      candle = { time, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume };
      candles.push(candle);
    }
    const { volume: v, ...ohlc } = candle;
    series.update(ohlc);
    volume.update({ time, value: v, color: volumeColor(candle) });
    publish();
  }

  // Test hook: where the price scale stands, and a jump to the oldest loaded candle (what dragging the chart right does).
  container.chartTest = {
    priceRange: () => series.priceScale().getVisibleRange(),
    scrollToStart: () => chart.timeScale().setVisibleLogicalRange({ from: -5, to: 40 }),
    loadOlder,
    plots: () => [...plots.values()].map((p) => ({ name: p.desc.name, pane: p.desc.pane === "overlay" ? 0 : panes.get(p.desc.pane),
      color: p.desc.color, points: p.line.data().length, lines: p.line.priceLines().map((l) => l.options().price) })),
    panes: () => chart.panes().length,
  };

  return {
    /** Switches to a timeframe (seconds) and loads its newest candles. */
    setInterval(seconds) {
      interval = seconds;
      candles = [];
      paint();
      return reload();
    },
    reload,
    add,
    /** A live Plot event: its series (new ones are made) and the values of its bar. */
    plot(e) {
      if (disposed) return;
      for (const desc of e.series) plotSeries(desc);
      const time = bucket(e.bar_timestamp);
      const first = candles.length ? candles[0].time : Infinity;
      for (const [name, value] of Object.entries(e.values)) {
        const plot = plots.get(name);
        if (!plot) continue;
        const last = plot.points[plot.points.length - 1];
        if (last && time < last.time) continue; // older than what is shown (a replayed event)
        if (last && time === last.time) last.value = value; // the last value in a bucket wins, as the server aggregates
        else plot.points.push({ time, value });
        if (time >= first) plot.line.update({ time, value });
      }
      publishPlots();
    },
    /** Markers from closed trades (the runner's trade shape) and the open position, replacing earlier ones of the same trades. */
    setTrades(list, open) {
      trades = new Map([...trades].filter(([key]) => key.startsWith("live:")));
      for (const t of list) {
        trades.set(`entry:${t.entry_timestamp}`, { kind: "entry", timestamp: t.entry_timestamp, side: t.side, text: `entry ${t.side} ${t.quantity} @ ${price(t.entry_price)}` });
        trades.set(`exit:${t.exit_timestamp}`, { kind: "exit", timestamp: t.exit_timestamp, side: t.side, win: t.realized_pnl > 0,
          text: `exit @ ${price(t.exit_price)} ${pnl(t.realized_pnl)} (${t.reason})` });
      }
      if (open) trades.set(`entry:${open.entry_timestamp}`, { kind: "entry", timestamp: open.entry_timestamp, side: open.side, text: `entry ${open.side} ${open.quantity} @ ${price(open.entry_price)}` });
      // A live mark the list now covers goes (a live exit is stamped with the last bar seen, not always the trade's own time).
      const covered = list.reduce((latest, t) => Math.max(latest, t.exit_timestamp), open?.entry_timestamp ?? -Infinity);
      for (const [key, t] of [...trades]) if (key.startsWith("live:") && (trades.has(key.slice(5)) || t.timestamp <= covered)) trades.delete(key);
      paintMarkers();
    },
    /** A live entry or exit (at a time in ms) before the trade list has it. */
    mark(kind, timestamp, side, text, win) {
      if (!trades.has(`${kind}:${timestamp}`)) trades.set(`live:${kind}:${timestamp}`, { kind, timestamp, side, text, win });
      paintMarkers();
    },
    /** Stop-loss and take-profit lines; null removes a line. Both are kept inside the price scale. */
    levels(stop, target) {
      if (disposed) return;
      levels.stop = stop ?? null;
      levels.target = target ?? null;
      for (const [key, value, color, title] of [["stop", stop, "#ef4444", "SL"], ["target", target, "#22c55e", "TP"]]) {
        if (lines[key]) series.removePriceLine(lines[key]);
        lines[key] = value ? series.createPriceLine({ price: value, color, lineWidth: 1, lineStyle: LineStyle.Dashed, axisLabelVisible: true, title }) : null;
      }
      container.dataset.levels = [levels.stop, levels.target].filter((p) => p != null).join(",");
    },
    dispose() {
      disposed = true;
      delete container.chartTest;
      chart.remove();
    },
  };
}
