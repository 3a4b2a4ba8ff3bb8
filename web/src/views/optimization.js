import { api } from "../api.js";
import { stream } from "../stream.js";
import { equityChart } from "../backtestCharts.js";
import { button, fixed, h, minute, percent, pnlClass, toast } from "../format.js";
import { describeParams } from "../params.js";
import { runLiveForm } from "./backtest.js";

const PAGE = 50;
const SORTS = { trial: "trial", objective: "objective", total_return_pct: "total_return_pct", sharpe: "sharpe", max_drawdown_pct: "max_drawdown_pct", trades: "trades" };
const ACTIVE = new Set(["queued", "running"]);

/**
 * One optimization: live progress while it runs; then the best trial, the deflated Sharpe ratio and the probability of
 * overfitting (a sentence each), the walk-forward windows (in-sample against out-of-sample, the stitched curve), a heatmap
 * of the objective over any two parameters, and the trials table, sortable and paged, with "Backtest this" and "Run live".
 */
export async function renderOptimization(app, id) {
  let view;
  try {
    view = await api.optimization(id);
  } catch (e) {
    app.append(h("section", { className: "card" }, h("h2", {}, `Optimization ${id}`), h("p", { className: "form-error" }, e.message),
      h("a", { href: "#/optimizations" }, "Back to the optimizations")));
    return { dispose() {} };
  }
  const disposers = [];
  const body = h("div", { className: "optimization-body" });
  const statusBadge = h("span", { className: "badge", "data-testid": "status" });
  const controls = h("div", { className: "actions" });
  const meta = h("span", { className: "muted" });
  app.append(h("section", { className: "runner-head" }, h("a", { href: "#/optimizations", className: "muted" }, "← Optimizations"),
    h("h1", {}, id), statusBadge, meta, controls), body);

  function renderHead() {
    const s = view.settings ?? {};
    statusBadge.className = `badge status-${view.status}`;
    statusBadge.textContent = view.status;
    meta.textContent = `${view.strategy_name} · ${view.dataset} (${view.symbol}) · ${s.method} · ${s.objective}`;
    controls.replaceChildren(...[
      ACTIVE.has(view.status) ? button("Cancel", async () => { try { view = await api.cancelOptimization(id); render(); } catch (e) { toast(e.message, "error"); } }) : null,
      button("Delete", async () => {
        if (!confirm(`Delete optimization ${id} and its trials?`)) return;
        try { await api.deleteOptimization(id); location.hash = "#/optimizations"; } catch (e) { toast(e.message, "error"); }
      }, "danger"),
    ].filter(Boolean));
  }

  let progress = null;
  function renderProgress() {
    const bar = h("div", { className: "bar" });
    bar.style.width = `${(view.progress ?? 0) * 100}%`;
    const label = h("span", { className: "label" }, progressText(view));
    progress = { bar, label };
    body.replaceChildren(h("section", { className: "card" }, h("h2", {}, view.status === "queued" ? "Waiting for a worker" : "Running"),
      h("div", { className: "progress big", "data-testid": "progress" }, bar, label)));
  }

  function render() {
    for (const dispose of disposers.splice(0)) dispose();
    renderHead();
    if (ACTIVE.has(view.status)) { renderProgress(); return; }
    progress = null;
    body.replaceChildren();
    if (view.error) body.append(h("section", { className: "card error-card", "data-testid": "error" }, h("h2", {}, "Error"), h("pre", {}, view.error)));
    if (view.status === "done" || view.best) renderResults(body, view, disposers);
    else body.append(h("section", { className: "card" }, h("p", { className: "muted" }, view.status === "cancelled" ? "Cancelled: no results." : "No results.")));
  }

  const off = stream.on(async (tag, e) => {
    if (tag === "Resync" || (tag === "OptimizationFinished" && e.optimization_id === id)) {
      try {
        view = await api.optimization(id);
        render();
      } catch {
        // deleted elsewhere
      }
      return;
    }
    if (tag === "OptimizationProgress" && e.optimization_id === id && progress) {
      if (view.status === "queued") { view = { ...view, status: "running" }; renderHead(); }
      view = { ...view, ...e };
      progress.bar.style.width = `${e.progress * 100}%`;
      progress.label.textContent = progressText(view);
    }
  });
  render();
  if (ACTIVE.has(view.status)) api.optimization(id).then((v) => { if (v.status !== view.status) { view = v; render(); } }).catch(() => {});
  return { dispose: () => { off(); for (const dispose of disposers) dispose(); } };
}

function progressText(v) {
  const windows = v.windows > 1 ? ` · window ${(v.window ?? 0) + 1} of ${v.windows}` : "";
  const best = v.best_objective != null ? ` · best ${fixed(v.best_objective, 3)}${v.best_trial != null ? ` (trial ${v.best_trial})` : ""}` : "";
  return `${fixed((v.progress ?? 0) * 100, 1)} % · ${(v.trials_done ?? 0).toLocaleString("en-US")} of ${(v.trials_planned ?? 0).toLocaleString("en-US")} trials${windows}${best}`;
}

function renderResults(body, view, disposers) {
  const live = h("div", { "data-testid": "row-live" });
  const actions = rowActions(view, live);
  body.append(bestCard(view, actions), guardsCard(view));
  if (view.walk_forward) body.append(walkForwardCard(view, disposers));
  body.append(heatmapCard(view), trialsCard(view, actions), live);
}

/** "Backtest this" and "Run live with these params" for one row: the optimization's backtest settings with the row's values. */
function rowActions(view, liveHolder) {
  const backtest = view.settings?.backtest ?? {};
  const account = backtest.account ?? {};
  const values = (row) => ({ ...(backtest.params ?? {}), ...row.params });
  return {
    async backtest(row) {
      try {
        const accepted = await api.submitBacktest({
          strategy_name: view.strategy_name, dataset: view.dataset, from: backtest.from ?? undefined, to: backtest.to ?? undefined,
          window_size: backtest.window_size, initial_capital: account.initial_capital, fee_bps: account.fee_bps, slippage_bps: account.slippage_bps,
          fill: account.fill, stops: account.stops, stop_on_error: backtest.stop_on_error, close_at_end: backtest.close_at_end, params: values(row),
        });
        location.hash = `#/backtests/${encodeURIComponent(accepted.id)}`;
      } catch (e) {
        toast(e.message, "error");
      }
    },
    live(row) {
      const settings = { ...backtest, params: values(row) };
      liveHolder.replaceChildren(runLiveForm({ strategy_name: view.strategy_name, symbol: view.symbol, settings }, `Run trial ${row.trial} live`));
      liveHolder.scrollIntoView({ block: "nearest" });
    },
  };
}

function bestCard(view, actions) {
  const best = view.best;
  const r = best?.report;
  const content = best
    ? [
      h("p", { className: "best-params", "data-testid": "best-params" }, `Trial ${best.trial}: ${describeParams(best.params)}`),
      h("table", { className: "kv" },
        h("tr", {}, h("th", { scope: "row" }, view.settings?.objective ?? "objective"), h("td", { "data-testid": "best-objective" }, fixed(best.objective, 3))),
        h("tr", {}, h("th", { scope: "row" }, "Return"), h("td", { className: pnlClass(r?.total_return_pct) }, percent(r?.total_return_pct))),
        h("tr", {}, h("th", { scope: "row" }, "Sharpe"), h("td", {}, fixed(r?.sharpe, 3))),
        h("tr", {}, h("th", { scope: "row" }, "Max drawdown"), h("td", {}, r ? `${fixed(r.max_drawdown_pct)} %` : "–")),
        h("tr", {}, h("th", { scope: "row" }, "Trades"), h("td", {}, r?.trades ?? "–"))),
      h("div", { className: "actions" }, button("Backtest this", () => actions.backtest(best), "primary"), button("Run live with these params", () => actions.live(best))),
    ]
    : [h("p", { className: "muted" }, "No trial met the constraints: see each trial's note below.")];
  const trials = `${(view.trials_done ?? 0).toLocaleString("en-US")} trials${view.stopped_early ? " (stopped early: no improvement for the patience given)" : ""}`;
  return h("section", { className: "card", "data-testid": "best" }, h("h2", {}, "Best trial", h("span", { className: "muted small-title" }, trials)), content);
}

/** The two overfitting numbers, each with the sentence that says how to read it. */
function guardsCard(view) {
  const dsr = view.deflated_sharpe;
  const pbo = view.overfitting;
  const gauge = (value, good) => h("span", { className: `gauge ${value == null ? "" : good(value) ? "gain" : "loss"}` }, value == null ? "–" : fixed(value, 3));
  return h("section", { className: "card guards", "data-testid": "guards" }, h("h2", {}, "Is it luck?"),
    h("div", { className: "guard", "data-testid": "dsr" }, h("h3", {}, "Deflated Sharpe ratio ", gauge(dsr?.probability, (v) => v >= 0.95)),
      h("p", {}, "The probability that the best trial's Sharpe ratio is really above zero, after allowing for how many trials were tried and for skewed, fat-tailed returns; below 0.95 the winner may be luck."),
      dsr ? h("p", { className: "muted" }, `${dsr.trials.toLocaleString("en-US")} trials, ${dsr.observations.toLocaleString("en-US")} bars; the best of that many trials of noise would reach a per-bar Sharpe of ${fixed(dsr.expected_max_sharpe, 4)}, this one ${fixed(dsr.sharpe, 4)}.`)
        : h("p", { className: "muted" }, "Undefined: fewer than two trials ran.")),
    h("div", { className: "guard", "data-testid": "pbo" }, h("h3", {}, "Probability of backtest overfitting ", gauge(pbo?.probability, (v) => v <= 0.25)),
      h("p", {}, "How often the parameters that are best on one half of the data rank below the median on the other half; near 0 the ranking holds out of sample, near 0.5 or above the search fitted noise."),
      pbo ? h("p", { className: "muted" }, `${pbo.combinations.toLocaleString("en-US")} splits of ${pbo.blocks} blocks over ${pbo.trials.toLocaleString("en-US")} trials; median out-of-sample rank of the in-sample winner ${fixed(pbo.median_out_of_sample_rank * 100, 0)} %.`)
        : h("p", { className: "muted" }, "Undefined: fewer than two trials, or fewer bars than blocks.")));
}

/** Walk-forward: in-sample against out-of-sample objective per window (bars), the windows table, and the stitched curve. */
function walkForwardCard(view, disposers) {
  const wf = view.walk_forward;
  const windows = wf.windows ?? [];
  const values = windows.flatMap((w) => [w.in_sample_objective, w.out_of_sample_objective]).filter((v) => v != null);
  const top = Math.max(1e-9, ...values.map(Math.abs));
  const svgNs = "http://www.w3.org/2000/svg";
  const svg = (tag, attributes = {}) => {
    const element = document.createElementNS(svgNs, tag);
    for (const [k, v] of Object.entries(attributes)) element.setAttribute(k, String(v));
    return element;
  };
  const width = Math.max(320, windows.length * 56);
  const height = 180;
  const mid = height / 2;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "is-oos", "data-testid": "is-oos", role: "img", "aria-label": "In-sample and out-of-sample objective per window" });
  chart.append(svg("line", { x1: 0, x2: width, y1: mid, y2: mid, class: "axis" }));
  windows.forEach((w, i) => {
    const x = i * (width / windows.length) + 8;
    const barWidth = Math.max(8, width / windows.length / 2 - 10);
    for (const [k, value, kind] of [[0, w.in_sample_objective, "in"], [1, w.out_of_sample_objective, "out"]]) {
      if (value == null) continue;
      const size = (Math.abs(value) / top) * (mid - 14);
      const bar = svg("rect", { x: x + k * (barWidth + 2), y: value >= 0 ? mid - size : mid, width: barWidth, height: Math.max(1, size), class: `bar-${kind}` });
      const title = svg("title");
      title.textContent = `window ${w.window + 1}, ${kind === "in" ? "in-sample" : "out-of-sample"}: ${fixed(value, 3)}`;
      bar.append(title);
      chart.append(bar);
    }
    const label = svg("text", { x: x + barWidth, y: height - 2, class: "label" });
    label.textContent = String(w.window + 1);
    chart.append(label);
  });
  const table = h("table", { className: "windows", "data-testid": "windows" },
    h("thead", {}, h("tr", {}, ["Window", "Train", "Test", "Best params", "In-sample", "Out-of-sample", "OOS return", "DSR", "PBO"].map((c) => h("th", {}, c)))),
    h("tbody", {}, windows.map((w) => h("tr", { dataset: { window: w.window } },
      h("td", {}, w.window + 1), h("td", {}, `${minute(w.train_from)} → ${minute(w.train_to)}`), h("td", {}, `${minute(w.test_from)} → ${minute(w.test_to)}`),
      h("td", {}, w.best ? describeParams(w.best.params) : "no trial counted"), h("td", { className: "num" }, fixed(w.in_sample_objective, 3)),
      h("td", { className: `num ${pnlClass(w.out_of_sample_objective)}` }, fixed(w.out_of_sample_objective, 3)),
      h("td", { className: `num ${pnlClass(w.out_of_sample?.total_return_pct)}` }, percent(w.out_of_sample?.total_return_pct)),
      h("td", { className: "num" }, fixed(w.deflated_sharpe?.probability, 2)), h("td", { className: "num" }, fixed(w.overfitting?.probability, 2))))));
  const oos = wf.out_of_sample;
  const curve = h("div", { className: "chart equity", "data-testid": "oos-equity" });
  const card = h("section", { className: "card", "data-testid": "walk-forward" }, h("h2", {}, "Walk-forward"),
    h("p", { className: "legend" }, h("span", { className: "swatch in" }, "in-sample (training) objective"), h("span", { className: "swatch out" }, "out-of-sample (test) objective")),
    chart, h("div", { className: "table-wrap" }, table),
    h("h3", {}, "Stitched out-of-sample equity"),
    oos ? h("p", { className: "muted", "data-testid": "oos-summary" }, `Return ${percent(oos.total_return_pct)}, Sharpe ${fixed(oos.sharpe, 3)}, max drawdown ${fixed(oos.max_drawdown_pct)} %, ${oos.trades} trades over ${oos.bars.toLocaleString("en-US")} test bars.`) : null,
    curve);
  // The chart needs its container in the page to measure it.
  requestAnimationFrame(() => {
    if (!curve.isConnected) return;
    const chartHandle = equityChart(curve);
    disposers.push(() => chartHandle.dispose());
    api.optimizationEquity(view.id, 2000).then((points) => chartHandle.set(points, view.settings?.backtest?.account?.initial_capital ?? 10000)).catch((e) => toast(e.message, "error"));
  });
  return card;
}

/**
 * The objective over two parameters: each cell is the best objective among the trials that fall in it (parameters with
 * more than 12 values are cut into 12 equal bins), coloured from the worst to the best cell.
 */
function heatmapCard(view) {
  const dims = view.space ?? [];
  const holder = h("div", { className: "table-wrap", "data-testid": "heatmap" });
  const card = h("section", { className: "card" }, h("h2", {}, "Objective heatmap"));
  if (dims.length === 0) return card;
  const select = (name, chosen) => h("select", { name, "aria-label": name }, dims.map((d) => h("option", { value: d.name, selected: d.name === chosen }, d.name)));
  const x = select("x", dims[0].name);
  const y = select("y", (dims[1] ?? dims[0]).name);
  card.append(h("div", { className: "heat-axes" }, h("label", {}, "Across ", x), h("label", {}, "Down ", y)), holder);
  let trials = null;
  async function draw() {
    trials ??= (await api.optimizationTrials(view.id, { sort: "trial", order: "asc", limit: 10000 }).catch(() => ({ trials: [] }))).trials;
    holder.replaceChildren(heatmap(trials, dims.find((d) => d.name === x.value), dims.find((d) => d.name === y.value)));
  }
  x.addEventListener("change", draw);
  y.addEventListener("change", draw);
  draw();
  return card;
}

function axis(dim) {
  if (dim.kind === "choice") return { labels: dim.choices.map(String), index: (v) => dim.choices.findIndex((c) => c === v) };
  const count = dim.count ?? Infinity;
  if (count <= 12) {
    const values = Array.from({ length: count }, (_, k) => Number((dim.min + k * (dim.step ?? 0)).toPrecision(12)));
    return { labels: values.map((v) => String(v)), index: (v) => Math.round((v - dim.min) / (dim.step || 1)) };
  }
  const bins = 12;
  const width = (dim.max - dim.min) / bins || 1;
  return {
    labels: Array.from({ length: bins }, (_, k) => `${fixed(dim.min + k * width, width < 1 ? 3 : 0)}–${fixed(dim.min + (k + 1) * width, width < 1 ? 3 : 0)}`),
    index: (v) => Math.min(bins - 1, Math.max(0, Math.floor((v - dim.min) / width))),
  };
}

function heatmap(trials, xDim, yDim) {
  const ax = axis(xDim);
  const ay = axis(yDim);
  const cells = new Map(); // "i,j" → { best, n }
  for (const t of trials) {
    if (t.status !== "ok" || t.objective == null) continue;
    const i = ax.index(t.params[xDim.name]);
    const j = ay.index(t.params[yDim.name]);
    if (i < 0 || j < 0) continue;
    const key = `${i},${j}`;
    const cell = cells.get(key) ?? { best: -Infinity, n: 0 };
    cell.best = Math.max(cell.best, t.objective);
    cell.n++;
    cells.set(key, cell);
  }
  if (cells.size === 0) return h("p", { className: "muted" }, "No trial counted, so there is nothing to map.");
  const bests = [...cells.values()].map((c) => c.best);
  const low = Math.min(...bests);
  const high = Math.max(...bests);
  const color = (v) => {
    const f = high > low ? (v - low) / (high - low) : 1;
    return `rgba(${Math.round(239 - 205 * f)},${Math.round(68 + 129 * f)},${Math.round(68 + 26 * f)},${0.25 + 0.6 * f})`;
  };
  return h("table", { className: "heatmap objective" },
    h("thead", {}, h("tr", {}, h("th", {}, `${yDim.name} \\ ${xDim.name}`), ax.labels.map((l) => h("th", { className: "num" }, l)))),
    h("tbody", {}, ay.labels.map((label, j) => h("tr", {}, h("th", { scope: "row" }, label), ax.labels.map((xl, i) => {
      const cell = cells.get(`${i},${j}`);
      if (!cell) return h("td", { className: "heat empty" });
      return h("td", { className: "num heat", style: `background:${color(cell.best)}`, dataset: { x: xl, y: label, best: String(cell.best) },
        title: `${xDim.name} ${xl}, ${yDim.name} ${label}: best ${fixed(cell.best, 3)} of ${cell.n} trial${cell.n === 1 ? "" : "s"}` }, fixed(cell.best, 2));
    })))));
}

/** Every trial, sorted by the server (click a column), a page at a time, each row with its actions. */
function trialsCard(view, actions) {
  const names = (view.space ?? []).map((d) => d.name);
  let sort = "objective";
  let order = "desc";
  let offset = 0;
  const tbody = h("tbody");
  const info = h("span", { className: "muted", "data-testid": "trials-info" });
  const previous = button("← Previous", () => { offset = Math.max(0, offset - PAGE); load(); });
  const next = button("Next →", () => { offset += PAGE; load(); });
  const header = (label, key) => {
    if (!key) return h("th", {}, label);
    const th = h("th", { className: "sortable", dataset: { sort: key }, tabindex: 0, "aria-sort": "none" }, label);
    const choose = () => {
      if (sort === key) order = order === "desc" ? "asc" : "desc";
      else { sort = key; order = key === "trial" ? "asc" : "desc"; }
      offset = 0;
      load();
    };
    th.addEventListener("click", choose);
    th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(); } });
    return th;
  };
  const head = h("tr", {}, header("Trial", SORTS.trial), names.map((n) => header(n)), header("Status"), header("Objective", SORTS.objective),
    header("Return", SORTS.total_return_pct), header("Sharpe", SORTS.sharpe), header("Max DD", SORTS.max_drawdown_pct), header("Trades", SORTS.trades),
    header("Note"), header(""));
  const card = h("section", { className: "card", "data-testid": "trials" }, h("h2", {}, "Trials", info),
    h("div", { className: "table-wrap" }, h("table", { className: "trials" }, h("thead", {}, head), tbody)),
    h("div", { className: "pager" }, previous, next));

  async function load() {
    try {
      const page = await api.optimizationTrials(view.id, { sort, order, offset, limit: PAGE });
      head.querySelectorAll("th[data-sort]").forEach((th) => {
        th.setAttribute("aria-sort", th.dataset.sort === sort ? (order === "asc" ? "ascending" : "descending") : "none");
      });
      tbody.replaceChildren(...page.trials.map((t) => {
        const r = t.report;
        return h("tr", { dataset: { trial: t.trial }, className: t.status === "ok" ? "" : "muted" },
          h("td", { className: "num" }, t.trial), names.map((n) => h("td", { className: "num" }, String(t.params[n]))),
          h("td", {}, h("span", { className: `badge trial-${t.status}` }, t.status)),
          h("td", { className: "num" }, fixed(t.objective, 3)), h("td", { className: `num ${pnlClass(r?.total_return_pct)}` }, percent(r?.total_return_pct)),
          h("td", { className: "num" }, fixed(r?.sharpe, 3)), h("td", { className: "num" }, r ? `${fixed(r.max_drawdown_pct)} %` : "–"),
          h("td", { className: "num" }, r?.trades ?? "–"), h("td", { className: "note" }, t.note ?? ""),
          h("td", {}, h("div", { className: "actions" }, button("Backtest this", () => actions.backtest(t)), button("Run live", () => actions.live(t)))));
      }));
      info.textContent = page.total === 0 ? "none" : `${offset + 1}–${Math.min(offset + PAGE, page.total)} of ${page.total.toLocaleString("en-US")}`;
      previous.disabled = offset === 0;
      next.disabled = offset + PAGE >= page.total;
    } catch (e) {
      toast(e.message, "error");
    }
  }
  load();
  return card;
}
