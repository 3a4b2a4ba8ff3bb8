import { api, uploadDataset } from "../api.js";
import { stream } from "../stream.js";
import { button, fixed, h, minute, percent, pnlClass, timeZone, toast, zoneLabel } from "../format.js";
import { parameterInputs } from "../params.js";

const HISTORY_COLUMNS = ["", "Backtest", "Strategy", "Dataset", "Status", "Progress", "Return", "Sharpe", "Max DD", "Trades", "Created", ""];
const ACTIVE = new Set(["queued", "running"]);

/** Backtests: the new-backtest form, datasets (list and upload with progress) and the history with live progress. */
export async function renderBacktests(app, query) {
  const preset = new URLSearchParams(query ?? "");
  const [strategies, datasets] = await Promise.all([api.strategies().catch(() => []), api.datasets().catch(() => [])]);

  const datasetView = datasetsCard(datasets, (list) => form.setDatasets(list));
  const history = historyCard();
  const form = backtestForm(strategies, datasets, preset, (accepted) => history.added(accepted));
  app.append(
    h("section", { className: "card" }, h("h2", {}, "New backtest"), form.element),
    history.element,
    datasetView.element,
  );

  const off = stream.on((tag, e) => {
    if (tag === "Resync") history.reload();
    else if (tag === "BacktestProgress") history.progress(e);
    else if (tag === "BacktestFinished") history.finished(e);
  });
  await history.reload();
  return { dispose: () => off() };
}

/** The form of POST /api/backtests; the server's validation errors appear next to their fields. */
function backtestForm(strategies, datasets, preset, onQueued) {
  const field = (name, label, input, hint) => h("label", { className: "field", dataset: { field: name } },
    h("span", {}, label), input, hint ? h("small", { className: "hint" }, hint) : null, h("small", { className: "error" }));
  const strategy = h("select", { name: "strategy_name" }, strategies.map((s) =>
    h("option", { value: s.name, selected: s.name === preset.get("strategy") }, `${s.name}${s.source === "uploaded" ? " (uploaded)" : ""}`)));
  const dataset = h("select", { name: "dataset" });
  const datasetHint = h("small", { className: "hint" });
  const from = h("input", { name: "from", type: "datetime-local", step: 60 });
  const to = h("input", { name: "to", type: "datetime-local", step: 60 });
  const number = (name, value, attributes = {}) => h("input", { name, type: "number", value, step: "any", ...attributes });
  const windowSize = number("window_size", 100, { min: 1, max: 100000, step: 1 });
  const capital = number("initial_capital", 10000, { min: 0 });
  const fee = number("fee_bps", 0, { min: 0 });
  const slippage = number("slippage_bps", 0, { min: 0 });
  const fill = h("select", { name: "fill" }, h("option", { value: "close" }, "close (this bar)"), h("option", { value: "next_open" }, "next_open (next bar's open)"));
  const stops = h("select", { name: "stops" }, h("option", { value: "close" }, "close (at the close)"), h("option", { value: "intrabar" }, "intrabar (high/low)"));
  const stopOnError = h("input", { type: "checkbox", name: "stop_on_error", checked: true });
  const closeAtEnd = h("input", { type: "checkbox", name: "close_at_end", checked: true });
  const message = h("p", { className: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", className: "primary" }, "Run backtest");
  // The chosen strategy's declared parameters, as typed inputs (empty: the default).
  const paramsBox = h("fieldset", { className: "field params", "data-testid": "params" }, h("legend", {}, "Parameters"));
  let parameters = parameterInputs([]);
  let loadingParams = 0;
  async function showParameters() {
    const token = ++loadingParams;
    const declared = await api.strategy(strategy.value).then((s) => s.params ?? []).catch(() => []);
    if (token !== loadingParams) return;
    parameters = parameterInputs(declared);
    paramsBox.replaceChildren(h("legend", {}, "Parameters"), ...(declared.length ? parameters.elements
      : [h("small", { className: "hint" }, "This strategy declares no parameters.")]));
  }
  strategy.addEventListener("change", showParameters);
  showParameters();
  const element = h("form", { className: "create-runner backtest-form", novalidate: true, "data-testid": "backtest-form" },
    field("strategy_name", "Strategy", strategy),
    h("label", { className: "field", dataset: { field: "dataset" } }, h("span", {}, "Dataset"), dataset, datasetHint, h("small", { className: "error" })),
    field("from", `From (${zoneLabel()})`, from, "empty: the first bar"),
    field("to", `To (${zoneLabel()})`, to, "empty: the last bar"),
    field("window_size", "Window size", windowSize, "bars kept; 1–100,000"),
    field("initial_capital", "Initial capital", capital),
    field("fee_bps", "Fee (bps)", fee, "per fill, of the notional"),
    field("slippage_bps", "Slippage (bps)", slippage, "against you, per fill"),
    field("fill", "Fill", fill),
    field("stops", "Stops", stops),
    h("fieldset", { className: "field flags" }, h("legend", {}, "Run"),
      h("label", { className: "check" }, stopOnError, "stop_on_error"), h("label", { className: "check" }, closeAtEnd, "close_at_end")),
    paramsBox,
    h("div", { className: "submit" }, submit),
    message);

  let datasetList = [];
  function setDatasets(list) {
    datasetList = list;
    const chosen = dataset.value || preset.get("dataset");
    dataset.replaceChildren(...list.map((d) => h("option", { value: d.id, selected: d.id === chosen }, `${d.id} (${d.symbol} ${d.interval})`)));
    if (list.length === 0) dataset.append(h("option", { value: "" }, "no dataset yet: upload one below"));
    describeDataset();
    submit.disabled = list.length === 0;
  }
  function describeDataset() {
    const d = datasetList.find((x) => x.id === dataset.value);
    datasetHint.textContent = d ? `${minute(d.first)} → ${minute(d.last)} · ${d.bars.toLocaleString("en-US")} bars${d.gaps ? ` · ${d.gaps} gaps` : ""}` : "";
    for (const input of [from, to]) {
      input.min = d ? toLocalInput(d.first) : "";
      input.max = d ? toLocalInput(d.last) : "";
    }
  }
  dataset.addEventListener("change", describeDataset);
  setDatasets(datasets);

  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    element.querySelectorAll(".field .error").forEach((e) => (e.textContent = ""));
    element.querySelectorAll(".field").forEach((e) => e.classList.remove("invalid"));
    message.textContent = "";
    const numberOf = (input) => (input.value === "" ? undefined : Number(input.value));
    const body = {
      strategy_name: strategy.value,
      dataset: dataset.value,
      from: fromLocalInput(from.value),
      to: toEndOfMinute(fromLocalInput(to.value)),
      window_size: numberOf(windowSize),
      initial_capital: numberOf(capital),
      fee_bps: numberOf(fee),
      slippage_bps: numberOf(slippage),
      fill: fill.value,
      stops: stops.value,
      stop_on_error: stopOnError.checked,
      close_at_end: closeAtEnd.checked,
      params: parameters.values(),
    };
    submit.disabled = true;
    try {
      const accepted = await api.submitBacktest(body);
      toast(`Backtest ${accepted.id} queued.`);
      onQueued(accepted);
    } catch (e) {
      let placed = false;
      for (const [name, errors] of Object.entries(e.errors)) {
        const holder = element.querySelector(`.field[data-field="${name}"]`);
        if (holder) {
          holder.classList.add("invalid");
          holder.querySelector(".error").textContent = [].concat(errors).join(" ");
          placed = true;
        }
      }
      const lines = e.diagnostics.map((d) => `line ${d.line}: ${d.message}`).join("; ");
      if (!placed || e.status !== 400) message.textContent = lines ? `${e.message} (${lines})` : e.message;
    } finally {
      submit.disabled = false;
    }
  });
  return { element, setDatasets };
}

// datetime-local inputs hold wall time without a zone: the form reads and writes them in the dashboard's zone.
function toLocalInput(ms) {
  const shifted = timeZone() === "utc" ? ms : ms - new Date(ms).getTimezoneOffset() * 60_000;
  return new Date(shifted).toISOString().slice(0, 16);
}
function fromLocalInput(value) {
  if (!value) return undefined;
  return timeZone() === "utc" ? Date.parse(`${value}:00Z`) : new Date(`${value}:00`).getTime();
}
// "To 10:05" includes the bar that opens at 10:05 and any within that minute.
function toEndOfMinute(ms) {
  return ms === undefined ? undefined : ms + 59_999;
}

/** The history: one row per job, its progress bar and status updated in place from the stream (no re-render per event). */
function historyCard() {
  const rows = new Map(); // id → { cells, data }
  const tbody = h("tbody");
  const empty = h("tr", { className: "empty" }, h("td", { colspan: HISTORY_COLUMNS.length }, "No backtests yet: run one above."));
  const compare = h("button", { type: "button", className: "small", disabled: true, "data-testid": "compare" }, "Compare selected");
  const element = h("section", { className: "card", "data-testid": "backtest-history" },
    h("h2", {}, "History", compare),
    h("div", { className: "table-wrap" }, h("table", { className: "backtests" },
      h("thead", {}, h("tr", {}, HISTORY_COLUMNS.map((c) => h("th", {}, c)))), tbody)));

  const selected = () => [...rows.values()].filter((r) => r.check.checked).map((r) => r.data.id);
  function updateCompare() {
    const n = selected().length;
    compare.disabled = n < 2 || n > 5;
    compare.textContent = n ? `Compare selected (${n})` : "Compare selected";
    compare.title = n > 5 ? "Compare at most 5 runs" : n < 2 ? "Select 2 to 5 finished runs" : "";
  }
  compare.addEventListener("click", () => { location.hash = `#/backtests/compare?ids=${selected().map(encodeURIComponent).join(",")}`; });

  function row(summary) {
    let entry = rows.get(summary.id);
    if (!entry) {
      const check = h("input", { type: "checkbox", "aria-label": `select ${summary.id}`, onchange: updateCompare });
      const bar = h("div", { className: "bar" });
      const cells = {
        status: h("span", { className: "badge" }),
        progress: h("div", { className: "progress", "data-testid": "progress" }, bar, h("span", { className: "label" })),
        ret: h("td", { className: "num" }), sharpe: h("td", { className: "num" }), dd: h("td", { className: "num" }),
        trades: h("td", { className: "num" }), actions: h("div", { className: "actions" }),
      };
      const element = h("tr", { dataset: { backtest: summary.id } },
        h("td", {}, check),
        h("td", {}, h("a", { href: `#/backtests/${encodeURIComponent(summary.id)}` }, summary.id)),
        h("td", {}, summary.strategy_name),
        h("td", {}, h("span", { title: summary.symbol }, summary.dataset)),
        h("td", {}, cells.status),
        h("td", {}, cells.progress),
        cells.ret, cells.sharpe, cells.dd, cells.trades,
        h("td", { className: "muted" }, minute(summary.created_at)),
        h("td", {}, cells.actions));
      entry = { element, cells, bar, check, data: summary, actionsFor: null };
      rows.set(summary.id, entry);
    }
    entry.data = { ...entry.data, ...summary };
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
    cells.progress.querySelector(".label").textContent = ACTIVE.has(s.status) || s.status === "cancelled"
      ? `${fixed((s.progress ?? 0) * 100, 1)} %${s.bars_per_second ? ` · ${Math.round(s.bars_per_second).toLocaleString("en-US")} bars/s` : ""}`
      : s.status === "failed" ? "failed" : "100 %";
    cells.ret.textContent = percent(s.total_return_pct);
    cells.ret.className = `num ${pnlClass(s.total_return_pct)}`;
    cells.sharpe.textContent = fixed(s.sharpe);
    cells.dd.textContent = s.max_drawdown_pct == null ? "–" : `${fixed(s.max_drawdown_pct)} %`;
    cells.trades.textContent = s.trades ?? "–";
    entry.check.disabled = s.status !== "done";
    if (entry.check.disabled) entry.check.checked = false;
    // The buttons are rebuilt only when the status changes, so a click is never lost to a progress update.
    if (entry.actionsFor !== s.status) {
      entry.actionsFor = s.status;
      cells.actions.replaceChildren(...[
        ACTIVE.has(s.status) ? button("Cancel", () => cancel(s.id)) : null,
        button("Delete", () => remove(s.id), "danger"),
      ].filter(Boolean));
    }
  }

  function place(entry) {
    // Newest first: ids are bt-N with N growing.
    const n = (id) => Number(id.slice(id.lastIndexOf("-") + 1));
    const ordered = [...rows.values()].sort((a, b) => n(b.data.id) - n(a.data.id));
    const next = ordered[ordered.indexOf(entry) + 1]?.element ?? null;
    if (entry.element.parentNode !== tbody || entry.element.nextSibling !== next) tbody.insertBefore(entry.element, next);
    empty.remove();
  }

  async function reload() {
    try {
      const list = await api.backtests(200);
      const ids = new Set(list.map((s) => s.id));
      for (const [id, entry] of rows) if (!ids.has(id)) { entry.element.remove(); rows.delete(id); }
      for (const summary of list) place(row(summary));
      if (rows.size === 0) tbody.append(empty);
      updateCompare();
    } catch (e) {
      toast(e.message, "error");
    }
  }

  async function refreshOne(id) {
    try {
      const view = await api.backtest(id);
      const report = view.report;
      place(row({
        id: view.id, status: view.status, strategy_name: view.strategy_name, dataset: view.dataset, symbol: view.symbol,
        progress: view.progress, created_at: view.created_at, finished_at: view.finished_at, error: view.error,
        total_return_pct: report?.total_return_pct ?? null, sharpe: report?.sharpe ?? null,
        max_drawdown_pct: report?.max_drawdown_pct ?? null, trades: report?.trades ?? null,
      }));
      updateCompare();
    } catch {
      // deleted meanwhile
    }
  }

  async function cancel(id) {
    try {
      await api.cancelBacktest(id);
      await refreshOne(id);
    } catch (e) {
      toast(e.message, "error");
    }
  }

  async function remove(id) {
    if (!confirm(`Delete backtest ${id} and its results?`)) return;
    try {
      await api.deleteBacktest(id);
      rows.get(id)?.element.remove();
      rows.delete(id);
      if (rows.size === 0) tbody.append(empty);
      updateCompare();
    } catch (e) {
      toast(e.message, "error");
    }
  }

  return {
    element,
    reload,
    added: (accepted) => refreshOne(accepted.id),
    progress(e) {
      const entry = rows.get(e.backtest_id);
      if (!entry) { refreshOne(e.backtest_id); return; } // submitted elsewhere
      entry.data = { ...entry.data, status: entry.data.status === "queued" ? "running" : entry.data.status, progress: e.progress, bars_per_second: e.bars_per_second };
      paint(entry);
    },
    finished: (e) => refreshOne(e.backtest_id),
  };
}

/** Datasets: the list, delete, and a CSV upload with a progress bar and the import's errors (with their line). */
function datasetsCard(initial, onChange) {
  const tbody = h("tbody");
  const file = h("input", { type: "file", name: "file", accept: ".csv,.gz,.txt,text/csv", required: true, "data-testid": "dataset-file" });
  const symbol = h("input", { name: "symbol", placeholder: "from the file", "data-testid": "dataset-symbol" });
  const interval = h("input", { name: "interval", placeholder: "inferred", size: 6 });
  const id = h("input", { name: "id", placeholder: "SYMBOL-interval", "data-testid": "dataset-id" });
  const overwrite = h("input", { type: "checkbox", name: "overwrite" });
  const bar = h("div", { className: "bar" });
  const progressLabel = h("span", { className: "label" });
  const progress = h("div", { className: "progress", hidden: true, "data-testid": "upload-progress" }, bar, progressLabel);
  const result = h("p", { className: "upload-result", role: "status", "data-testid": "upload-result" });
  const submit = h("button", { type: "submit", className: "primary" }, "Upload");
  const form = h("form", { className: "upload", "data-testid": "dataset-upload" },
    h("label", { className: "field" }, h("span", {}, "CSV file (.csv or .csv.gz)"), file),
    h("label", { className: "field" }, h("span", {}, "Symbol"), symbol),
    h("label", { className: "field" }, h("span", {}, "Interval"), interval),
    h("label", { className: "field" }, h("span", {}, "Dataset id"), id),
    h("label", { className: "check" }, overwrite, "overwrite"),
    submit, progress, result);
  const element = h("section", { className: "card", "data-testid": "datasets" },
    h("h2", {}, "Datasets"),
    h("div", { className: "table-wrap" }, h("table", { className: "datasets" },
      h("thead", {}, h("tr", {}, ["Dataset", "Symbol", "Interval", "First", "Last", "Bars", "Gaps", ""].map((c) => h("th", {}, c)))), tbody)),
    h("h2", { className: "sub" }, "Upload candles"), form);

  function render(list) {
    tbody.replaceChildren(...list.map((d) => h("tr", { dataset: { dataset: d.id } },
      h("td", {}, d.id), h("td", {}, d.symbol), h("td", {}, d.interval), h("td", {}, minute(d.first)), h("td", {}, minute(d.last)),
      h("td", { className: "num" }, d.bars.toLocaleString("en-US")),
      h("td", { className: "num", title: d.missing_bars ? `${d.missing_bars} bars missing` : "" }, d.gaps),
      h("td", {}, button("Delete", () => remove(d.id), "danger")))));
    if (list.length === 0) tbody.append(h("tr", { className: "empty" }, h("td", { colspan: 8 }, "No datasets: upload a CSV of candles below, or use `data import` on the command line.")));
  }

  async function reload() {
    const list = await api.datasets().catch(() => []);
    render(list);
    onChange(list);
  }

  async function remove(datasetId) {
    if (!confirm(`Delete dataset ${datasetId}? Backtests that used it keep their results.`)) return;
    try {
      await api.deleteDataset(datasetId);
      await reload();
    } catch (e) {
      toast(e.message, "error");
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) { result.textContent = "Choose a CSV file first."; result.className = "upload-result error"; return; }
    submit.disabled = true;
    progress.hidden = false;
    result.textContent = "";
    result.className = "upload-result";
    const show = (fraction, text) => { bar.style.width = `${fraction * 100}%`; progressLabel.textContent = text; };
    show(0, "0 %");
    try {
      const answer = await uploadDataset(chosen, {
        symbol: symbol.value.trim(), interval: interval.value.trim(), id: id.value.trim(), overwrite: overwrite.checked ? "true" : "",
      }, (f) => show(f, f < 1 ? `${Math.round(f * 100)} % sent` : "importing…"));
      show(1, "done");
      const d = answer.dataset;
      const r = answer.report;
      result.textContent = `Imported ${d.id}: ${d.bars.toLocaleString("en-US")} ${d.interval} bars of ${d.symbol}, ${minute(d.first)} → ${minute(d.last)}`
        + `${r.gap_count ? `, ${r.gap_count} gaps (${r.missing_bars} bars missing)` : ""}${r.warnings.length ? `; ${r.warnings.join("; ")}` : ""}.`;
      result.className = "upload-result ok";
      form.reset();
      await reload();
    } catch (e) {
      show(0, "failed");
      result.textContent = e.status === 413 ? `Too large: ${e.message}` : e.message;
      result.className = "upload-result error";
    } finally {
      submit.disabled = false;
    }
  });

  render(initial);
  return { element, reload };
}
