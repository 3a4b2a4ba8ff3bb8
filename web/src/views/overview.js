import { api } from "../api.js";
import { stream } from "../stream.js";
import { button, h, price, pnl, pnlClass, toast } from "../format.js";

const FAILING_MS = 12_000; // how long after its last error event a runner shows as failing (identical errors come every 10 s)
const COLUMNS = ["Runner", "Symbol", "Strategy", "Status", "State", "Position", "Unrealized P&L", "Ticks", "Errors", ""];

/** The runners table (live) and the create-runner form. */
export async function renderOverview(app) {
  const rows = new Map(); // runner_id → { data, element }
  const tbody = h("tbody");
  const empty = h("tr", { className: "empty" }, h("td", { colspan: COLUMNS.length }, "No runners yet: create one above."));
  const table = h("table", { className: "runners", "data-testid": "runners-table" },
    h("thead", {}, h("tr", {}, COLUMNS.map((c) => h("th", {}, c)))), tbody);
  const form = await createForm(async (created) => {
    upsert(created);
    location.hash = `#/runners/${encodeURIComponent(created.runner_id)}`;
  });
  app.append(
    h("section", { className: "card" }, h("h2", {}, "New runner"), form),
    h("section", { className: "card" }, h("h2", {}, "Runners"), h("div", { className: "table-wrap" }, table)),
  );

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
  }

  // Each row's cells are made once and then only their text and class change: a button under the pointer or the
  // keyboard focus stays the same element across ticks, so a click or a key press is never lost to a re-render.
  function makeRow(snapshot) {
    const id = snapshot.runner_id;
    const cell = (attributes = {}) => h("td", attributes);
    const cells = {
      status: h("span", { className: "badge" }), state: h("span", { className: "badge", "data-testid": "state" }),
      position: cell(), unrealized: cell(), ticks: cell({ className: "num", "data-testid": "ticks" }), errors: cell({ className: "num" }),
      actions: h("div", { className: "actions" }),
    };
    const element = h("tr", { dataset: { runner: id } },
      h("td", {}, h("a", { href: `#/runners/${encodeURIComponent(id)}` }, id)),
      h("td", {}, snapshot.symbol), h("td", {}, snapshot.strategy_name),
      h("td", {}, cells.status), h("td", {}, cells.state), cells.position, cells.unrealized, cells.ticks, cells.errors,
      h("td", {}, cells.actions));
    return { data: snapshot, element, cells, buttonsFor: null };
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
    const ordered = [...rows.keys()].sort();
    const index = ordered.indexOf(id);
    const next = rows.get(ordered[index + 1])?.element;
    if (row.element.parentNode !== tbody || row.element.nextSibling !== (next ?? null)) tbody.insertBefore(row.element, next ?? null);
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
      case "PositionClosed": r.position = null; break;
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
  return { dispose: () => { off(); cancelAnimationFrame(frame); } };
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
