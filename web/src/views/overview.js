import { api } from "../api.js";
import { stream } from "../stream.js";
import { button, fixed, h, price, pnl, pnlClass, toast } from "../format.js";
import { portfolioCard } from "../portfolio.js";

const FAILING_MS = 12_000; // how long after its last error event a runner shows as failing (identical errors come every 10 s)
// [label, sort key]: a column with a key sorts the table when its header is pressed.
const COLUMNS = [["Runner", "runner_id"], ["Symbol", "symbol"], ["Strategy", "strategy_name"], ["Status", "status"], ["State", "state"],
  ["Position", null], ["Unrealized P&L", "unrealized"], ["Realized P&L", "realized"], ["Trades", "trades"], ["Win rate", "win_rate"],
  ["Max DD", "max_drawdown_pct"], ["Ticks", "ticks"], ["Errors", "errors"], ["", null]];
const NUMERIC = new Set(["unrealized", "realized", "trades", "win_rate", "max_drawdown_pct", "ticks", "errors"]);

/** A row's value for a sort key (null sorts last). */
function sortValue(row, key) {
  const r = row.data;
  const line = row.line;
  switch (key) {
    case "unrealized": return r.position ? r.position.unrealized_pnl : null;
    case "realized": return line?.realized_pnl ?? r.account?.realized_pnl ?? null;
    case "trades": return line?.trades ?? 0;
    case "win_rate": return line?.win_rate ?? null;
    case "max_drawdown_pct": return line?.max_drawdown_pct ?? null;
    case "ticks": return r.stats.ticks_processed;
    case "errors": return r.stats.errors;
    default: return r[key];
  }
}

/** The portfolio (figures and curve), the runners table (live, sortable) and the create-runner form. */
export async function renderOverview(app) {
  const rows = new Map(); // runner_id → { data, line, element, cells }
  const tbody = h("tbody");
  const empty = h("tr", { className: "empty" }, h("td", { colspan: COLUMNS.length }, "No runners yet: create one below."));
  // The order is taken when a header is pressed (and when runners come or go), not on every tick: a row never moves
  // under the pointer. Pressing the same header again reverses it.
  let sort = { key: "runner_id", dir: 1 };
  const headers = COLUMNS.map(([label, key]) => {
    if (!key) return h("th", { scope: "col" }, label);
    const th = h("th", { scope: "col", dataset: { sort: key } },
      h("button", { type: "button", className: "sort", onclick: () => sortBy(key) }, label));
    return th;
  });
  const table = h("table", { className: "runners", "data-testid": "runners-table" },
    h("thead", {}, h("tr", {}, headers)), tbody);
  const form = await createForm(async (created) => {
    upsert(created);
    location.hash = `#/runners/${encodeURIComponent(created.runner_id)}`;
  });
  const portfolio = portfolioCard((lines) => {
    for (const line of lines) {
      const row = rows.get(line.runner_id);
      if (row) { row.line = line; scheduleRender(line.runner_id); }
    }
  });
  app.append(
    portfolio.element,
    h("section", { className: "card" }, h("h2", {}, "Runners"), h("div", { className: "table-wrap" }, table)),
    h("section", { className: "card" }, h("h2", {}, "New runner"), form),
  );

  function sortBy(key) {
    sort = { key, dir: sort.key === key ? -sort.dir : NUMERIC.has(key) ? -1 : 1 };
    order();
  }

  // Puts every row where the current sort wants it and marks the sorted header for assistive technology.
  function order() {
    for (const th of headers) {
      if (th.dataset.sort === sort.key) th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
    const sorted = [...rows.values()].sort((a, b) => {
      const x = sortValue(a, sort.key);
      const y = sortValue(b, sort.key);
      if (x === y || (x == null && y == null)) return a.data.runner_id < b.data.runner_id ? -1 : 1;
      if (x == null) return 1;
      if (y == null) return -1;
      return (x < y ? -1 : 1) * sort.dir;
    });
    // Only rows out of place move, so a focused button keeps its focus.
    let previous = null;
    for (const row of sorted) {
      const expected = previous ? previous.nextSibling : tbody.firstChild;
      if (row.element !== expected) tbody.insertBefore(row.element, expected);
      previous = row.element;
    }
    tbody.dataset.order = sorted.map((r) => r.data.runner_id).join(",");
  }

  let dirty = new Set();
  let frame = 0;
  function scheduleRender(id) {
    dirty.add(id);
    frame ||= requestAnimationFrame(() => {
      frame = 0;
      for (const key of dirty) renderRow(key);
      dirty = new Set();
    });
  }

  function upsert(snapshot) {
    const existing = rows.get(snapshot.runner_id);
    if (existing) existing.data = snapshot;
    else rows.set(snapshot.runner_id, makeRow(snapshot));
    renderRow(snapshot.runner_id);
    if (!existing) order();
  }

  // Each row's cells are made once and then only their text and class change: a button under the pointer or the
  // keyboard focus stays the same element across ticks, so a click or a key press is never lost to a re-render.
  function makeRow(snapshot) {
    const id = snapshot.runner_id;
    const cell = (attributes = {}) => h("td", attributes);
    const cells = {
      status: h("span", { className: "badge" }), state: h("span", { className: "badge", "data-testid": "state" }),
      position: cell(), unrealized: cell(), realized: cell({ "data-testid": "realized" }), trades: cell({ className: "num", "data-testid": "trades" }),
      winRate: cell({ className: "num", "data-testid": "win-rate" }), drawdown: cell({ className: "num", "data-testid": "max-dd" }),
      ticks: cell({ className: "num", "data-testid": "ticks" }), errors: cell({ className: "num" }),
      actions: h("div", { className: "actions" }),
    };
    const element = h("tr", { dataset: { runner: id } },
      h("td", {}, h("a", { href: `#/runners/${encodeURIComponent(id)}` }, id)),
      h("td", {}, snapshot.symbol), h("td", {}, snapshot.strategy_name),
      h("td", {}, cells.status), h("td", {}, cells.state), cells.position, cells.unrealized,
      cells.realized, cells.trades, cells.winRate, cells.drawdown, cells.ticks, cells.errors,
      h("td", {}, cells.actions));
    return { data: snapshot, line: null, element, cells, buttonsFor: null };
  }

  const set = (node, text, className) => {
    if (node.textContent !== text) node.textContent = text;
    if (className !== undefined && node.className !== className) node.className = className;
  };

  function renderRow(id) {
    const row = rows.get(id);
    if (!row) return;
    const r = row.data;
    const p = r.position;
    const unrealized = p ? p.unrealized_pnl : null;
    const { cells } = row;
    // A runner whose strategy keeps failing is not "running" in green: it shows as failing while errors keep coming.
    // Recent error events (the engine reports an identical error at most every 10 s), or, as loaded, errors on most ticks.
    const failing = r.status !== "stopped" && ((row.lastErrorAt && Date.now() - row.lastErrorAt < FAILING_MS)
      || (!row.lastErrorAt && r.stats.error_rate >= 0.5));
    if (failing && !row.announced) {
      row.announced = true;
      toast(`${r.runner_id} is failing: ${row.lastError ?? `${r.stats.errors} errors in ${r.stats.ticks_processed} ticks`}`, "error");
    }
    set(cells.status, failing ? `${r.status} · failing` : r.status, failing ? "badge status-failing" : `badge status-${r.status}`);
    set(cells.state, r.state, `badge state-${r.state}`);
    set(cells.position, p ? `${p.side} ${p.quantity} @ ${price(p.entry_price)}` : "–");
    set(cells.unrealized, pnl(unrealized), pnlClass(unrealized));
    const line = row.line;
    const realized = line?.realized_pnl ?? r.account?.realized_pnl ?? null;
    set(cells.realized, pnl(realized), pnlClass(realized));
    set(cells.trades, line ? String(line.trades) : "–");
    set(cells.winRate, line?.win_rate == null ? "–" : `${fixed(line.win_rate * 100, 1)} %`);
    set(cells.drawdown, line ? `${fixed(line.max_drawdown_pct, 2)} %` : "–");
    set(cells.ticks, String(r.stats.ticks_processed));
    set(cells.errors, String(r.stats.errors));
    if (row.buttonsFor !== r.status) {
      row.buttonsFor = r.status;
      const focused = cells.actions.contains(document.activeElement) ? document.activeElement.textContent : null;
      cells.actions.replaceChildren(...[
        r.status === "running" ? button("Pause", () => steer(r.runner_id, "pause")) : null,
        r.status === "paused" ? button("Resume", () => steer(r.runner_id, "resume")) : null,
        r.status !== "stopped" ? button("Stop", () => steer(r.runner_id, "stop")) : null,
        r.status === "stopped" ? button("Start", () => steer(r.runner_id, "start")) : null,
        button("Remove", () => remove(r.runner_id), "danger"),
      ].filter(Boolean));
      // Pause becomes Resume under the keyboard: keep the focus in the row's buttons.
      if (focused) (cells.actions.querySelector("button") ?? cells.actions).focus();
    }
    if (row.element.parentNode !== tbody) tbody.append(row.element);
    empty.remove();
  }

  async function steer(id, verb) {
    try {
      const { status } = await api.steer(id, verb);
      const row = rows.get(id);
      if (row) {
        row.data = { ...row.data, status };
        renderRow(id);
      }
    } catch (e) {
      toast(e.message, "error");
    }
  }

  async function remove(id) {
    if (!confirm(`Remove runner ${id}? It stops and its trades are deleted.`)) return;
    try {
      await api.removeRunner(id);
      rows.get(id)?.element.remove();
      rows.delete(id);
      if (rows.size === 0) tbody.append(empty);
    } catch (e) {
      toast(e.message, "error");
    }
  }

  // Live updates: every event of every runner, applied to its row.
  async function reload() {
    try {
      const snapshots = await api.runners();
      const ids = new Set(snapshots.map((r) => r.runner_id));
      for (const [id, row] of rows) if (!ids.has(id)) { row.element.remove(); rows.delete(id); }
      snapshots.forEach(upsert);
      if (rows.size === 0) tbody.append(empty);
    } catch (e) {
      toast(e.message, "error");
    }
  }

  const off = stream.on((tag, e) => {
    if (tag === "Resync") { reload(); return; } // events were missed: start again from the server's state
    const row = rows.get(e.runner_id);
    switch (tag) {
      case "RunnerStarted": // new, or back after a server restart
        api.runner(e.runner_id).then(upsert).catch(() => {});
        return;
      case "RunnerStopped":
        if (!row) return;
        if (e.reason === "removed") {
          row.element.remove();
          rows.delete(e.runner_id);
          if (rows.size === 0) tbody.append(empty);
        } else {
          row.data = { ...row.data, status: "stopped" };
          scheduleRender(e.runner_id);
        }
        return;
    }
    if (!row) return;
    const r = row.data;
    switch (tag) {
      case "TickReceived": r.stats.ticks_processed += 1; break;
      case "StateTransition": r.state = e.to; break;
      case "PositionOpened": r.position = e.position; break;
      case "PositionUpdated": if (r.position) r.position = { ...r.position, current_price: e.current_price, unrealized_pnl: e.unrealized_pnl }; break;
      case "PositionClosed":
        r.position = null;
        portfolio.poke(); // the realized P&L, trades, win rate and drawdown come with the portfolio's next read
        break;
      case "RunnerStatusChanged": r.status = e.status; break; // paused or resumed anywhere: another tab, the API
      case "Error":
        if (e.severity === "Warning") break;
        row.lastError = e.error;
        row.lastErrorAt = Date.now();
        // Identical errors arrive at most every 10 s with a repeat count: the snapshot has the true totals.
        api.runner(e.runner_id).then((fresh) => { const current = rows.get(e.runner_id); if (current) { current.data = fresh; scheduleRender(e.runner_id); } }).catch(() => {});
        clearTimeout(row.failingTimer);
        row.failingTimer = setTimeout(() => scheduleRender(e.runner_id), FAILING_MS + 50);
        break;
      default: return;
    }
    scheduleRender(e.runner_id);
  });
  await reload();
  portfolio.start();
  return { dispose: () => { off(); cancelAnimationFrame(frame); portfolio.dispose(); } };
}

/** The create-runner form; server validation errors appear next to their fields. */
export async function createForm(onCreated, preset = {}) {
  const [symbols, strategies] = await Promise.all([api.symbols().catch(() => []), api.strategies().catch(() => [])]);
  const field = (name, label, input, hint) => h("label", { className: "field", dataset: { field: name } },
    h("span", {}, label), input, hint ? h("small", { className: "hint" }, hint) : null, h("small", { className: "error" }));
  const id = h("input", { name: "runner_id", required: true, placeholder: "btc_ema_1", pattern: "[A-Za-z0-9_.\\-]{1,64}", value: preset.runner_id ?? "" });
  const symbol = h("select", { name: "symbol" }, symbols.map((s) => h("option", { value: s, selected: s === preset.symbol }, s)));
  const strategy = h("select", { name: "strategy_name" }, strategies.map((s) =>
    h("option", { value: s.name, selected: s.name === preset.strategy_name }, `${s.name}${s.source === "uploaded" ? " (uploaded)" : ""}`)));
  const windowSize = h("input", { name: "window_size", type: "number", min: 1, max: 100000, value: 100 });
  const flags = ["stop_on_error", "log_actions", "log_positions", "collect_metrics"].map((flag) =>
    h("label", { className: "check" }, h("input", { type: "checkbox", name: flag, checked: flag === "log_actions" || flag === "collect_metrics" }), flag));
  const message = h("p", { className: "form-error", role: "alert" });
  const form = h("form", { className: "create-runner", novalidate: true },
    field("runner_id", "Runner id", id),
    field("symbol", "Symbol", symbol),
    field("strategy_name", "Strategy", strategy),
    field("window_size", "Window size", windowSize, "bars kept; 1–100,000"),
    h("fieldset", { className: "field flags" }, h("legend", {}, "Config"), flags),
    h("div", { className: "submit" }, h("button", { type: "submit", className: "primary" }, "Create runner")),
    message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelectorAll(".field .error").forEach((e) => (e.textContent = ""));
    form.querySelectorAll(".field").forEach((e) => e.classList.remove("invalid"));
    message.textContent = "";
    const config = Object.fromEntries(flags.map((l) => { const input = l.querySelector("input"); return [input.name, input.checked]; }));
    const body = {
      runner_id: id.value.trim(),
      symbol: symbol.value,
      strategy_name: strategy.value,
      window_size: windowSize.value === "" ? undefined : Number(windowSize.value),
      config,
    };
    try {
      onCreated(await api.createRunner(body));
      form.reset();
    } catch (e) {
      let placed = false;
      for (const [name, errors] of Object.entries(e.errors)) {
        const holder = form.querySelector(`.field[data-field="${name}"]`);
        if (holder) {
          holder.classList.add("invalid");
          holder.querySelector(".error").textContent = [].concat(errors).join(" ");
          placed = true;
        }
      }
      if (!placed || e.status !== 400) message.textContent = e.message;
    }
  });
  return form;
}
