import { CandlestickSeries, ColorType, createChart, createSeriesMarkers, LineStyle } from "lightweight-charts";
import { axisLabel, crosshairLabel } from "./format.js";

// Bars (often several per second from the simulated feed) are merged into one-second candles; slower bars
// (e.g. one-minute klines) keep one candle each.
const BUCKET_SECONDS = 1;

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

/** A live candlestick chart with entry/exit markers and stop-loss/take-profit lines. */
export function priceChart(container) {
  const chart = createChart(container, chartOptions());
  const series = chart.addSeries(CandlestickSeries, CANDLE_COLORS);
  const markers = createSeriesMarkers(series, []);
  let markerList = [];
  let last = null;
  const lines = {};
  let candles = 0;

  const bucket = (ms) => Math.floor(ms / 1000 / BUCKET_SECONDS) * BUCKET_SECONDS;

  function add(bar) {
    const time = bucket(bar.timestamp);
    if (last && time < last.time) return; // older than what is shown (a replayed event)
    if (last && time === last.time) {
      last = { ...last, high: Math.max(last.high, bar.high), low: Math.min(last.low, bar.low), close: bar.close };
    } else {
      last = { time, open: bar.open, high: bar.high, low: bar.low, close: bar.close };
      candles += 1;
    }
    series.update(last);
    container.dataset.candles = String(candles);
  }

  return {
    setHistory(bars) {
      last = null;
      candles = 0;
      const merged = [];
      for (const bar of bars) {
        const time = bucket(bar.timestamp);
        const previous = merged[merged.length - 1];
        if (previous && previous.time === time) {
          previous.high = Math.max(previous.high, bar.high);
          previous.low = Math.min(previous.low, bar.low);
          previous.close = bar.close;
        } else if (!previous || time > previous.time) {
          merged.push({ time, open: bar.open, high: bar.high, low: bar.low, close: bar.close });
        }
      }
      series.setData(merged);
      last = merged.length ? { ...merged[merged.length - 1] } : null;
      candles = merged.length;
      container.dataset.candles = String(candles);
      chart.timeScale().scrollToRealTime();
    },
    add,
    /** An entry (arrow) or exit (circle) at a time in ms. */
    mark(kind, timestamp, side, text) {
      const time = bucket(timestamp);
      const long = side === "Long";
      const marker = kind === "entry"
        ? { time, position: long ? "belowBar" : "aboveBar", color: long ? "#22c55e" : "#f97316", shape: long ? "arrowUp" : "arrowDown", text }
        : { time, position: "aboveBar", color: "#60a5fa", shape: "circle", text };
      markerList = [...markerList, marker].sort((a, b) => a.time - b.time).slice(-200);
      container.dataset.markers = String(markerList.length);
      markers.setMarkers(markerList);
    },
    /** Stop-loss and take-profit lines; null removes a line. */
    levels(stop, target) {
      for (const [key, price, color, title] of [["stop", stop, "#ef4444", "SL"], ["target", target, "#22c55e", "TP"]]) {
        if (lines[key]) series.removePriceLine(lines[key]);
        lines[key] = price ? series.createPriceLine({ price, color, lineWidth: 1, lineStyle: LineStyle.Dashed, axisLabelVisible: true, title }) : null;
      }
    },
    dispose() {
      chart.remove();
    },
  };
}
