import { AreaSeries, CandlestickSeries, createChart, createSeriesMarkers, HistogramSeries, LineSeries } from "lightweight-charts";
import { CANDLE_COLORS, chartOptions } from "./chart.js";
import { fixed, minute, pnl, price } from "./format.js";

// lightweight-charts counts time in whole seconds and needs it strictly increasing: points that share a second keep the last.
export function bySecond(points) {
  const out = [];
  for (const point of points) {
    const previous = out[out.length - 1];
    if (previous && previous.time === point.time) out[out.length - 1] = point;
    else if (!previous || point.time > previous.time) out.push(point);
  }
  return out;
}

const seconds = (ms) => Math.floor(ms / 1000);

/**
 * Equity over time with its drawdown below (the underwater pane: how far equity is under its running peak, in %).
 * The peak starts at the initial capital, as in the report's max drawdown; on a thinned curve each bucket's high and
 * low are kept, so the deepest point shown is the run's.
 */
export function equityChart(container) {
  const chart = createChart(container, chartOptions({ timeScale: { secondsVisible: false } }));
  const equity = chart.addSeries(LineSeries, { color: "#60a5fa", lineWidth: 2, priceFormat: { type: "price", precision: 2, minMove: 0.01 }, title: "equity" });
  const underwater = chart.addSeries(AreaSeries, {
    lineColor: "#ef4444", topColor: "rgba(239,68,68,0.05)", bottomColor: "rgba(239,68,68,0.45)", lineWidth: 1,
    priceFormat: { type: "custom", formatter: (v) => `${v.toFixed(2)} %` }, title: "drawdown",
  }, 1);
  chart.panes()[1]?.setStretchFactor(0.35);
  chart.panes()[0]?.setStretchFactor(1);

  return {
    /** points: [[timestamp ms, equity], …]. */
    set(points, initialCapital) {
      let peak = initialCapital;
      let deepest = 0;
      const line = [];
      const drawdown = [];
      for (const [t, e] of points) {
        if (e === null) continue;
        peak = Math.max(peak, e);
        const dd = peak > 0 ? (e / peak - 1) * 100 : 0;
        deepest = Math.min(deepest, dd);
        line.push({ time: seconds(t), value: e });
        drawdown.push({ time: seconds(t), value: dd });
      }
      equity.setData(bySecond(line));
      underwater.setData(bySecond(drawdown));
      chart.timeScale().fitContent();
      container.dataset.points = String(line.length);
      container.dataset.deepest = deepest.toFixed(6);
    },
    dispose: () => chart.remove(),
  };
}

/** Several runs' returns (% of their initial capital) on one time axis, one colour each. */
export function comparisonChart(container) {
  const chart = createChart(container, chartOptions({ timeScale: { secondsVisible: false } }));
  let count = 0;
  return {
    add(label, color, points, initialCapital) {
      const series = chart.addSeries(LineSeries, {
        color, lineWidth: 2, title: label, priceFormat: { type: "custom", formatter: (v) => `${v.toFixed(2)} %` },
      });
      series.setData(bySecond(points.filter(([, e]) => e !== null).map(([t, e]) => ({ time: seconds(t), value: (e / initialCapital - 1) * 100 }))));
      container.dataset.series = String(++count);
      chart.timeScale().fitContent();
    },
    dispose: () => chart.remove(),
  };
}

/**
 * A dataset's candles with volume below and a backtest's trades as markers: an arrow at the entry, a circle at the exit. Marker
 * text stays off the chart (dense trades would stack it); the legend above the chart describes the bar and the trades under the
 * cursor instead.
 */
export function tradesChart(container, legend) {
  const chart = createChart(container, chartOptions());
  const candles = chart.addSeries(CandlestickSeries, CANDLE_COLORS);
  const volume = chart.addSeries(HistogramSeries, { color: "#334155", priceFormat: { type: "volume" } }, 1);
  chart.panes()[1]?.setStretchFactor(0.22);
  const markers = createSeriesMarkers(candles, []);
  let byTime = new Map(); // second → descriptions of the trades that entered or left on that bar
  let bars = new Map();

  function describeBar(time) {
    const bar = bars.get(time);
    if (!bar) return "";
    const parts = [`${minute(time * 1000)}  O ${price(bar.open)} H ${price(bar.high)} L ${price(bar.low)} C ${price(bar.close)}`];
    for (const text of byTime.get(time) ?? []) parts.push(text);
    return parts.join(" · ");
  }

  chart.subscribeCrosshairMove((param) => {
    legend.textContent = param.time === undefined ? legend.dataset.idle ?? "" : describeBar(param.time);
  });

  return {
    /** bars: MarketData objects; trades: the backtest's trades open in their range; selected: the trade to centre on. */
    set(barList, trades, selected) {
      const data = bySecond(barList.map((b) => ({ time: seconds(b.timestamp), open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume })));
      bars = new Map(data.map((b) => [b.time, b]));
      candles.setData(data.map(({ volume: _, ...c }) => c));
      volume.setData(data.map((b) => ({ time: b.time, value: b.volume, color: b.close >= b.open ? "rgba(34,197,94,0.45)" : "rgba(239,68,68,0.45)" })));
      const first = data.length ? data[0].time : 0;
      const last = data.length ? data[data.length - 1].time : 0;
      const list = [];
      byTime = new Map();
      const note = (time, text) => byTime.set(time, [...(byTime.get(time) ?? []), text]);
      for (const t of trades) {
        const long = t.side === "Long";
        const isSelected = selected && t.entry_timestamp === selected.entry_timestamp && t.exit_timestamp === selected.exit_timestamp;
        const entry = seconds(t.entry_timestamp);
        const exit = seconds(t.exit_timestamp);
        if (entry >= first && entry <= last) {
          list.push({ time: entry, position: long ? "belowBar" : "aboveBar", color: long ? "#22c55e" : "#f97316", shape: long ? "arrowUp" : "arrowDown",
            size: isSelected ? 2 : 1, text: isSelected ? `${t.side} ${fixed(t.quantity, 4)}` : undefined });
          note(entry, `entry ${t.side} ${t.quantity} @ ${price(t.entry_price)}`);
        }
        if (exit >= first && exit <= last) {
          list.push({ time: exit, position: long ? "aboveBar" : "belowBar", color: t.pnl >= 0 ? "#60a5fa" : "#f472b6", shape: "circle",
            size: isSelected ? 2 : 1, text: isSelected ? pnl(t.pnl) : undefined });
          note(exit, `exit @ ${price(t.exit_price)} ${pnl(t.pnl)} (${t.reason})`);
        }
      }
      list.sort((a, b) => a.time - b.time);
      markers.setMarkers(list);
      container.dataset.candles = String(data.length);
      container.dataset.markers = String(list.length);
      if (selected && data.length) {
        // The selected trade with some bars either side in view.
        const from = data.findIndex((b) => b.time >= seconds(selected.entry_timestamp));
        let to = data.findIndex((b) => b.time >= seconds(selected.exit_timestamp));
        if (to < 0) to = data.length - 1;
        const pad = Math.max(20, Math.round((to - from) * 0.6));
        chart.timeScale().setVisibleLogicalRange({ from: Math.max(0, from - pad), to: Math.min(data.length - 1, to + pad) });
      } else {
        chart.timeScale().fitContent();
      }
      legend.textContent = legend.dataset.idle ?? "";
    },
    dispose: () => chart.remove(),
  };
}
