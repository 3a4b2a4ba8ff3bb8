import { api } from "../api.js";
import { stream } from "../stream.js";
import { button, fixed, h, minute, toast } from "../format.js";
import { describeParams } from "../params.js";

const ACTIVE = new Set(["queued", "running"]);
const OBJECTIVES = ["sharpe", "sortino", "calmar", "total_return_pct", "profit_factor"];

/** Optimizations: the new-optimization form (the space from the strategy's declared parameters) and the history, live. */
export async function renderOptimizations(app, query) {
  const preset = new URLSearchParams(query ?? "");
  const [strategies, datasets] = await Promise.all([api.strategies().catch(() => []), api.datasets().catch(() => [])]);
  const history = historyCard();
  const form = optimizationForm(strategies, datasets, preset, (accepted) => history.refresh(accepted.id));
  app.append(h("section", { className: "card" }, h("h2", {}, "New optimization"), form), history.element);
  const off = stream.on((tag, e) => {
    if (tag === "Resync") history.reload();
    else if (tag === "OptimizationProgress") history.progress(e);
    else if (tag === "OptimizationFinished") history.refresh(e.optimization_id);
  });
  await history.reload();
  return { dispose: () => off() };
}

/**
 * One row per declared parameter: searched (a range, or the choices to try) or fixed at a value. Numbers start at the
 * declared range; a parameter left unsearched keeps its default unless a value is given.
 */
function spaceEditor(declared) {
  const rows = declared.map((p) => {
    const search = h("input", { type: "checkbox", checked: true, "data-search": p.name, "aria-label": `search ${p.name}` });
    let range;
    let fixedInput;
    if (p.kind === "choice") {
      const boxes = p.choices.map((c) => h("label", { className: "check" }, h("input", { type: "checkbox", checked: true, value: JSON.stringify(c) }), String(c)));
      range = { element: h("span", { className: "choices", "data-space": p.name }, boxes), value: () => ({ choices: boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => JSON.parse(i.value)) }) };
      fixedInput = h("select", { "data-fixed": p.name }, h("option", { value: "" }, `default (${p.default})`), p.choices.map((c) => h("option", { value: JSON.stringify(c) }, String(c))));
    } else {
      const number = (name, value) => h("input", { type: "number", step: "any", name, value: value ?? "", placeholder: name, "data-space": `${p.name}.${name}`, className: "narrow" });
      const min = number("min", p.min);
      const max = number("max", p.max);
      const step = number("step", p.step);
      range = {
        element: h("span", { className: "range" }, min, "–", max, "step", step),
        value: () => {
          const out = {};
          for (const [key, input] of [["min", min], ["max", max], ["step", step]]) if (input.value !== "") out[key] = Number(input.value);
          return out;
        },
      };
      fixedInput = h("input", { type: "number", step: p.step ?? "any", placeholder: String(p.default), "data-fixed": p.name, className: "narrow" });
    }
    const toggle = () => {
      range.element.hidden = !search.checked;
      fixedInput.hidden = search.checked;
    };
    search.addEventListener("change", toggle);
    toggle();
    const element = h("tr", { dataset: { param: p.name, field: `space.${p.name}` } },
      h("td", {}, h("label", { className: "check" }, search, p.name)),
      h("td", { className: "muted" }, p.kind === "choice" ? `one of ${p.choices.join(", ")}` : `${p.min}–${p.max}${p.step ? ` step ${p.step}` : ""}`),
      h("td", {}, range.element, fixedInput, h("small", { className: "error" })));
    return { p, search, range, fixedInput, element };
  });
  return {
    element: rows.length
      ? h("div", { className: "table-wrap" }, h("table", { className: "space", "data-testid": "space" },
        h("thead", {}, h("tr", {}, h("th", {}, "Parameter"), h("th", {}, "Declared"), h("th", {}, "Search over, or fixed value"))),
        h("tbody", {}, rows.map((r) => r.element))))
      : h("p", { className: "hint" }, "This strategy declares no parameters (a global params table): there is nothing to optimize."),
    empty: rows.length === 0,
    space() {
      const out = {};
      for (const r of rows) if (r.search.checked) out[r.p.name] = r.range.value();
      return out;
    },
    fixedValues() {
      const out = {};
      for (const r of rows) {
        if (r.search.checked || r.fixedInput.value === "") continue;
        out[r.p.name] = r.p.kind === "choice" ? JSON.parse(r.fixedInput.value) : Number(r.fixedInput.value);
      }
      return Object.keys(out).length ? out : undefined;
    },
  };
}

function optimizationForm(strategies, datasets, preset, onQueued) {
  const field = (name, label, input, hint) => h("label", { className: "field", dataset: { field: name } },
    h("span", {}, label), input, hint ? h("small", { className: "hint" }, hint) : null, h("small", { className: "error" }));
  const number = (name, value, attributes = {}) => h("input", { name, type: "number", value: value ?? "", step: "any", ...attributes });
  const strategy = h("select", { name: "strategy_name" }, strategies.map((s) => h("option", { value: s.name, selected: s.name === preset.get("strategy") }, s.name)));
  const dataset = h("select", { name: "dataset" }, datasets.map((d) => h("option", { value: d.id, selected: d.id === preset.get("dataset") }, `${d.id} (${d.symbol} ${d.interval}, ${d.bars.toLocaleString("en-US")} bars)`)));
  if (datasets.length === 0) dataset.append(h("option", { value: "" }, "no dataset yet: upload one on the Backtests page"));
  const method = h("select", { name: "method" }, ["tpe", "random", "grid"].map((m) => h("option", { value: m }, m === "tpe" ? "tpe (learns where good trials are)" : m === "grid" ? "grid (every point)" : "random")));
  const trials = number("trials", 100, { min: 1, max: 100000, step: 1 });
  const seed = number("seed", 1, { step: 1 });
  const objective = h("select", { name: "objective" }, OBJECTIVES.map((o) => h("option", { value: o }, o)));
  const minTrades = number("min_trades", "", { min: 0, step: 1, placeholder: "none" });
  const maxDrawdown = number("max_drawdown_pct", "", { min: 0, max: 100, placeholder: "none" });
  const patience = number("patience", "", { min: 1, step: 1, placeholder: "never" });
  const windowSize = number("window_size", 100, { min: 1, max: 100000, step: 1 });
  const capital = number("initial_capital", 10000, { min: 0 });
  const fee = number("fee_bps", 0, { min: 0 });
  const slippage = number("slippage_bps", 0, { min: 0 });
  const fill = h("select", { name: "fill" }, h("option", { value: "close" }, "close"), h("option", { value: "next_open" }, "next_open"));
  const stops = h("select", { name: "stops" }, h("option", { value: "close" }, "close"), h("option", { value: "intrabar" }, "intrabar"));
  const walkForward = h("input", { type: "checkbox", name: "walk_forward", "data-testid": "walk-forward" });
  const trainBars = number("train_bars", "", { min: 2, step: 1, placeholder: "bars" });
  const testBars = number("test_bars", "", { min: 2, step: 1, placeholder: "bars" });
  const windows = number("windows", "", { min: 1, step: 1, placeholder: "as many as fit" });
  const anchored = h("input", { type: "checkbox", name: "anchored" });
  const walkFields = h("div", { className: "walk-fields", hidden: true },
    field("walk_forward.train_bars", "Train bars", trainBars), field("walk_forward.test_bars", "Test bars", testBars),
    field("walk_forward.windows", "Windows", windows), h("label", { className: "check" }, anchored, "anchored (train from the first bar)"));
  walkForward.addEventListener("change", () => { walkFields.hidden = !walkForward.checked; });
  const spaceBox = h("div", { className: "field space-box", dataset: { field: "space" } }, h("span", {}, "Search space"), h("small", { className: "error" }));
  const message = h("p", { className: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", className: "primary" }, "Run optimization");
  let editor = spaceEditor([]);
  let loading = 0;
  async function showSpace() {
    const token = ++loading;
    const declared = strategy.value ? await api.strategy(strategy.value).then((s) => s.params ?? []).catch(() => []) : [];
    if (token !== loading) return;
    editor = spaceEditor(declared);
    spaceBox.replaceChildren(h("span", {}, "Search space"), editor.element, h("small", { className: "error" }));
    submit.disabled = editor.empty || datasets.length === 0;
  }
  strategy.addEventListener("change", showSpace);
  showSpace();

  const element = h("form", { className: "create-runner optimization-form", novalidate: true, "data-testid": "optimization-form" },
    field("strategy_name", "Strategy", strategy), field("dataset", "Dataset", dataset),
    field("method", "Method", method), field("trials", "Trials", trials, "grid: every point"), field("seed", "Seed", seed, "same seed, same trials"),
    field("objective", "Objective", objective), field("min_trades", "Min trades", minTrades), field("max_drawdown_pct", "Max drawdown %", maxDrawdown),
    field("patience", "Early stop after", patience, "trials without improvement"),
    field("window_size", "Window size", windowSize), field("initial_capital", "Initial capital", capital),
    field("fee_bps", "Fee (bps)", fee), field("slippage_bps", "Slippage (bps)", slippage), field("fill", "Fill", fill), field("stops", "Stops", stops),
    spaceBox,
    h("fieldset", { className: "field walk" }, h("legend", {}, h("label", { className: "check" }, walkForward, "Walk-forward")), walkFields, h("small", { className: "error" })),
    h("div", { className: "submit" }, submit), message);

  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    element.querySelectorAll(".error").forEach((e) => (e.textContent = ""));
    element.querySelectorAll(".invalid").forEach((e) => e.classList.remove("invalid"));
    message.textContent = "";
    const value = (input) => (input.value === "" ? undefined : Number(input.value));
    const body = {
      strategy_name: strategy.value, dataset: dataset.value, method: method.value, trials: value(trials), seed: value(seed),
      objective: objective.value, min_trades: value(minTrades), max_drawdown_pct: value(maxDrawdown), patience: value(patience),
      window_size: value(windowSize), initial_capital: value(capital), fee_bps: value(fee), slippage_bps: value(slippage),
      fill: fill.value, stops: stops.value, space: editor.space(), params: editor.fixedValues(),
      walk_forward: walkForward.checked ? { train_bars: value(trainBars), test_bars: value(testBars), windows: value(windows), anchored: anchored.checked } : undefined,
    };
    submit.disabled = true;
    try {
      const accepted = await api.submitOptimization(body);
      toast(`Optimization ${accepted.id} queued.`);
      onQueued(accepted);
    } catch (e) {
      let placed = false;
      for (const [name, errors] of Object.entries(e.errors)) {
        // space.fast goes to the parameter's row, walk_forward.x to its field, walk_forward to the fieldset.
        const holder = element.querySelector(`[data-field="${name}"]`) ?? (name.startsWith("walk_forward") ? element.querySelector(".walk") : null);
        if (!holder) continue;
        holder.classList.add("invalid");
        holder.querySelector(".error").textContent = [].concat(errors).join(" ");
        placed = true;
      }
      const lines = e.diagnostics.map((d) => `line ${d.line}: ${d.message}`).join("; ");
      if (!placed || e.status !== 400) message.textContent = lines ? `${e.message} (${lines})` : e.message;
    } finally {
      submit.disabled = editor.empty;
    }
  });
  return element;
}

/** The history: a row per optimization with its progress (trials, best so far), updated in place from the stream. */
function historyCard() {
  const rows = new Map();
  const tbody = h("tbody");
  const columns = ["Optimization", "Strategy", "Dataset", "Method", "Objective", "Status", "Progress", "Best", "Best params", "Created", ""];
  const empty = h("tr", { className: "empty" }, h("td", { colspan: columns.length }, "No optimizations yet: run one above."));
  const element = h("section", { className: "card", "data-testid": "optimization-history" }, h("h2", {}, "History"),
    h("div", { className: "table-wrap" }, h("table", { className: "optimizations" }, h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c)))), tbody)));

  function row(s) {
    let entry = rows.get(s.id);
    if (!entry) {
      const bar = h("div", { className: "bar" });
      const cells = {
        status: h("span", { className: "badge" }), progress: h("div", { className: "progress", "data-testid": "progress" }, bar, h("span", { className: "label" })),
        best: h("td", { className: "num" }), params: h("td", { className: "muted" }), actions: h("div", { className: "actions" }),
      };
      const element = h("tr", { dataset: { optimization: s.id } },
        h("td", {}, h("a", { href: `#/optimizations/${encodeURIComponent(s.id)}` }, s.id)), h("td", {}, s.strategy_name),
        h("td", {}, h("span", { title: s.symbol }, s.dataset)), h("td", {}, s.method), h("td", {}, s.objective),
        h("td", {}, cells.status), h("td", {}, cells.progress), cells.best, cells.params, h("td", { className: "muted" }, minute(s.created_at)),
        h("td", {}, cells.actions));
      entry = { element, cells, bar, data: s, actionsFor: null };
      rows.set(s.id, entry);
    }
    entry.data = { ...entry.data, ...s };
    paint(entry);
    return entry;
  }

  function paint(entry) {
    const s = entry.data;
    const { cells } = entry;
    cells.status.className = `badge status-${s.status}`;
    cells.status.textContent = s.status;
    cells.status.title = s.error ?? "";
    entry.bar.style.width = s.status === "done" ? "100%" : `${Math.round((s.progress ?? 0) * 1000) / 10}%`;
    cells.progress.dataset.status = s.status;
    cells.progress.querySelector(".label").textContent = `${(s.trials_done ?? 0).toLocaleString("en-US")} / ${(s.trials_planned ?? 0).toLocaleString("en-US")} trials`
      + (s.windows > 1 ? ` · window ${(s.window ?? 0) + 1} of ${s.windows}` : "");
    cells.best.textContent = fixed(s.best_objective, 3);
    cells.params.textContent = s.best_params ? describeParams(s.best_params) : "–";
    if (entry.actionsFor !== s.status) {
      entry.actionsFor = s.status;
      cells.actions.replaceChildren(...[
        ACTIVE.has(s.status) ? button("Cancel", () => act(s.id, () => api.cancelOptimization(s.id))) : null,
        button("Delete", () => { if (confirm(`Delete optimization ${s.id} and its trials?`)) act(s.id, () => api.deleteOptimization(s.id), true); }, "danger"),
      ].filter(Boolean));
    }
  }

  function place(entry) {
    const n = (id) => Number(id.slice(id.lastIndexOf("-") + 1));
    const ordered = [...rows.values()].sort((a, b) => n(b.data.id) - n(a.data.id));
    const next = ordered[ordered.indexOf(entry) + 1]?.element ?? null;
    if (entry.element.parentNode !== tbody || entry.element.nextSibling !== next) tbody.insertBefore(entry.element, next);
    empty.remove();
  }

  async function reload() {
    try {
      const list = await api.optimizations(200);
      const ids = new Set(list.map((s) => s.id));
      for (const [id, entry] of rows) if (!ids.has(id)) { entry.element.remove(); rows.delete(id); }
      for (const s of list) place(row(s));
      if (rows.size === 0) tbody.append(empty);
    } catch (e) {
      toast(e.message, "error");
    }
  }

  async function refresh(id) {
    try {
      const v = await api.optimization(id);
      place(row({ ...v, best_objective: v.best?.objective ?? null, best_params: v.best?.params ?? null, method: v.settings?.method, objective: v.settings?.objective }));
    } catch {
      // deleted meanwhile
    }
  }

  async function act(id, call, removed = false) {
    try {
      await call();
      if (removed) {
        rows.get(id)?.element.remove();
        rows.delete(id);
        if (rows.size === 0) tbody.append(empty);
      } else {
        await refresh(id);
      }
    } catch (e) {
      toast(e.message, "error");
    }
  }

  return {
    element, reload, refresh,
    progress(e) {
      const entry = rows.get(e.optimization_id);
      if (!entry) { refresh(e.optimization_id); return; }
      entry.data = { ...entry.data, status: entry.data.status === "queued" ? "running" : entry.data.status, progress: e.progress,
        trials_done: e.trials_done, trials_planned: e.trials_planned, window: e.window, windows: e.windows, best_objective: e.best_objective };
      paint(entry);
    },
  };
}
