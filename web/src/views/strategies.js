import { EditorView, basicSetup } from "codemirror";
import { StreamLanguage } from "@codemirror/language";
import { lua } from "@codemirror/legacy-modes/mode/lua";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { EditorState, Compartment } from "@codemirror/state";
import { oneDark } from "@codemirror/theme-one-dark";
import { api } from "../api.js";
import { dateTime, h, toast } from "../format.js";
import { replaceRoute } from "../router.js";

const TEMPLATE = `-- A new strategy: the three functions below are the whole contract (see docs/guides/lua-strategy-guide.md).

function detect_opportunity(market_data, context, indicators)
  -- Idle: return a table to start analyzing (its keys are merged into context), or nil.
  local rsi = indicators.rsi(14)
  if rsi and rsi < 30 then
    return { entry_rsi = rsi }
  end
  return nil
end

function filter_commitment(market_data, context, indicators)
  -- Analyzing: return an action (enter_long, enter_short, cancel_analysis) or nil to keep waiting.
  local price = market_data.close
  return { action = "enter_long", price = price, quantity = 0.1, stop_loss = price * 0.98, take_profit = price * 1.04 }
end

function manage_position(market_data, context, indicators)
  -- InPosition: exit, move the stop or target, or nil. The engine also exits at the stop and target.
  local rsi = indicators.rsi(14)
  if rsi and rsi > 60 then
    return { action = "exit", price = market_data.close, reason = "RSI recovered" }
  end
  return nil
end
`;

/** Strategy list and the Lua editor: validate inline, save, run on a symbol. */
export async function renderStrategies(app, selected, line) {
  const list = h("ul", { className: "strategy-list", "data-testid": "strategy-list" });
  const nameInput = h("input", { name: "name", placeholder: "my_strategy", pattern: "[A-Za-z0-9_\\-]{1,64}", "data-testid": "strategy-name" });
  const source = h("span", { className: "badge" });
  const dirtyMark = h("span", { className: "dirty", hidden: true }, "● unsaved");
  const diagnosticsList = h("ul", { className: "diagnostics", "data-testid": "diagnostics" });
  const editorHost = h("div", { className: "editor", "data-testid": "editor" });
  const symbolSelect = h("select", { name: "symbol", "data-testid": "run-symbol" });
  const runnerIdInput = h("input", { name: "runner_id", placeholder: "runner id", "data-testid": "run-id" });
  const validateButton = h("button", { type: "button", onclick: validate, "data-testid": "validate" }, "Validate");
  const saveButton = h("button", { type: "button", className: "primary", onclick: save, "data-testid": "save" }, "Save");
  const runButton = h("button", { type: "button", onclick: run, "data-testid": "run" }, "Run on…");
  const backtestButton = h("button", { type: "button", onclick: backtest, "data-testid": "backtest" }, "Backtest this");
  const deleteButton = h("button", { type: "button", className: "danger", onclick: remove, "data-testid": "delete", hidden: true }, "Delete");

  app.append(h("div", { className: "strategies" },
    h("section", { className: "card list-card" },
      h("h2", {}, "Strategies"),
      h("button", { type: "button", className: "small", onclick: newStrategy }, "+ New strategy"),
      list),
    h("section", { className: "card editor-card" },
      h("div", { className: "editor-head" }, h("label", { className: "field inline" }, h("span", {}, "Name"), nameInput), source, dirtyMark),
      editorHost,
      h("div", { className: "editor-actions" }, validateButton, saveButton, backtestButton, deleteButton,
        h("span", { className: "run" }, symbolSelect, runnerIdInput, runButton)),
      diagnosticsList)));

  let current = null; // { name, source, code } of what is loaded
  let savedCode = "";
  const readOnly = new Compartment();
  const view = new EditorView({
    parent: editorHost,
    state: EditorState.create({
      doc: "",
      extensions: [basicSetup, StreamLanguage.define(lua), oneDark, lintGutter(), readOnly.of(EditorState.readOnly.of(false)),
        EditorView.updateListener.of((update) => { if (update.docChanged) markDirty(); })],
    }),
  });

  function newStrategy() {
    if (isDirty() && !confirm("This strategy has unsaved changes. Start a new one and lose them?")) return;
    replaceRoute("#/strategies");
    open(null);
  }

  const isDirty = () => view.state.doc.toString() !== savedCode || (current === null && view.state.doc.length > 0 && savedCode === "");
  function markDirty() {
    dirtyMark.hidden = !isDirty();
  }

  function setCode(code) {
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code } });
    savedCode = code;
    markDirty();
    showDiagnostics([]);
  }

  async function loadList() {
    const strategies = await api.strategies().catch(() => []);
    list.replaceChildren(...strategies.map((s) => h("li", { className: current?.name === s.name ? "active" : "" },
      h("a", { href: `#/strategies/${encodeURIComponent(s.name)}` }, s.name),
      h("span", { className: `badge source-${s.source}` }, s.source),
      h("small", { className: "muted" }, dateTime(s.last_modified)))));
    return strategies;
  }

  let opening = 0; // a slower open must not overwrite what the user opened (or started) after it

  async function open(name) {
    const token = ++opening;
    if (name === null) {
      current = null;
      deleteButton.hidden = true;
      nameInput.value = "";
      nameInput.disabled = false;
      source.textContent = "new";
      view.dispatch({ effects: readOnly.reconfigure(EditorState.readOnly.of(false)) });
      setCode(TEMPLATE);
      savedCode = ""; // a new strategy is unsaved until it is saved
      markDirty();
      return;
    }
    let loaded;
    try {
      loaded = await api.strategy(name);
    } catch (e) {
      if (token === opening) toast(e.message, "error");
      return;
    }
    if (token !== opening) return;
    current = loaded;
    deleteButton.hidden = current.source !== "uploaded";
    nameInput.value = current.name;
    nameInput.disabled = true;
    const shipped = current.source === "shipped";
    source.textContent = shipped ? "shipped (read-only: save under a new name)" : "uploaded";
    view.dispatch({ effects: readOnly.reconfigure(EditorState.readOnly.of(false)) });
    setCode(current.code);
    if (shipped) {
      // Shipped strategies are templates: edits are saved as a copy.
      nameInput.disabled = false;
      nameInput.value = `${current.name}_copy`;
    }
    runnerIdInput.value = "";
    loadList();
  }

  function showDiagnostics(diagnostics) {
    const doc = view.state.doc;
    const marks = diagnostics.map((d) => {
      const line = doc.line(Math.min(Math.max(d.line, 1), doc.lines));
      const from = d.column ? Math.min(line.from + d.column - 1, line.to) : line.from;
      return { from, to: Math.max(from, line.to), severity: d.severity === "Warning" ? "warning" : "error", message: d.message };
    });
    view.dispatch(setDiagnostics(view.state, marks));
    diagnosticsList.replaceChildren(...diagnostics.map((d) => h("li", { className: d.severity === "Warning" ? "warning" : "error" },
      h("button", { type: "button", className: "link", onclick: () => goTo(d.line) }, `line ${d.line}${d.column ? `:${d.column}` : ""}`),
      " ", d.message)));
  }

  function goTo(lineNumber) {
    const line = view.state.doc.line(Math.min(Math.max(lineNumber, 1), view.state.doc.lines));
    view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
    view.focus();
  }

  function targetName() {
    return nameInput.value.trim() || current?.name || "strategy";
  }

  async function validate() {
    try {
      const result = await api.validateStrategy(targetName(), view.state.doc.toString());
      showDiagnostics(result.diagnostics);
      diagnosticsList.prepend(h("li", { className: "ok" }, "No errors: the strategy loads."));
      return true;
    } catch (e) {
      if (e.diagnostics.length) showDiagnostics(e.diagnostics);
      else toast(e.message, "error");
      return false;
    }
  }

  async function save() {
    const name = nameInput.value.trim();
    const code = view.state.doc.toString();
    if (!name) {
      toast("Give the strategy a name first.", "error");
      nameInput.focus();
      return false;
    }
    try {
      const existing = current && current.source === "uploaded" && current.name === name;
      const result = existing ? await api.updateStrategy(name, code) : await api.uploadStrategy(name, code);
      savedCode = code;
      current = { name, source: "uploaded", code };
      deleteButton.hidden = false;
      nameInput.disabled = true;
      source.textContent = "uploaded";
      markDirty();
      showDiagnostics(result.diagnostics ?? []);
      diagnosticsList.prepend(h("li", { className: "ok" }, `Saved ${name}.`));
      replaceRoute(`#/strategies/${encodeURIComponent(name)}`);
      await loadList();
      if (existing) await offerReload(name);
      return true;
    } catch (e) {
      if (e.diagnostics.length) showDiagnostics(e.diagnostics);
      const nameError = e.errors?.name;
      toast(nameError ? [].concat(nameError).join(" ") : e.message, "error");
      return false;
    }
  }

  // Hot reload: runners on the saved strategy go on with the new code, keeping position and context, if the user wants;
  // either way the editor says which runners run which version.
  async function offerReload(name) {
    let runners;
    try {
      runners = await api.runners();
    } catch (e) {
      diagnosticsList.prepend(h("li", { className: "warning" }, `Could not list the runners on ${name} (${e.message}): none was restarted; they run the previous version until restarted.`));
      return;
    }
    const users = runners.filter((r) => r.strategy_name === name);
    const live = users.filter((r) => r.status !== "stopped").map((r) => r.runner_id);
    const stopped = users.filter((r) => r.status === "stopped").map((r) => r.runner_id);
    const note = (text, kind = "ok") => diagnosticsList.prepend(h("li", { className: kind }, text));
    if (stopped.length) note(`${stopped.join(", ")} (stopped) will run the new version when started.`, "hint");
    if (live.length === 0) return;
    const list = live.join(", ");
    if (!confirm(`${live.length} runner(s) use ${name}: ${list}.\nRestart them on the new version? They keep their position, context and account.`)) {
      note(`Not restarted: ${list} keep running the previous version until restarted.`, "warning");
      return;
    }
    const failed = [];
    for (const id of live) {
      try {
        await api.reloadRunner(id);
      } catch (e) {
        failed.push(`${id}: ${e.message}`);
      }
    }
    const done = live.filter((id) => !failed.some((f) => f.startsWith(`${id}:`)));
    if (done.length) note(`Restarted ${done.join(", ")} on the new version, position and context kept.`);
    for (const failure of failed) note(`Not restarted, still on the previous version: ${failure}`, "error");
    if (failed.length) toast(`${failed.length} runner(s) could not be restarted on the new version.`, "error");
  }

  // Uploaded strategies only; the server refuses (409, saying which) while a runner uses it.
  async function remove() {
    if (!current || current.source !== "uploaded") return;
    if (!confirm(`Delete the strategy ${current.name}? Backtests that ran it keep their copy of the code.`)) return;
    try {
      await api.deleteStrategy(current.name);
      toast(`Deleted ${current.name}.`);
      savedCode = view.state.doc.toString(); // nothing unsaved to guard: it is gone on purpose
      replaceRoute("#/strategies");
      const strategies = await loadList();
      await open(strategies.find((x) => x.source === "uploaded")?.name ?? strategies[0]?.name ?? null);
    } catch (e) {
      toast(e.message, "error");
    }
  }

  async function backtest() {
    // As for a run: unsaved work is saved first, so the backtest runs what the editor shows.
    if ((isDirty() || !current) && !(await save())) return;
    location.hash = `#/backtests?strategy=${encodeURIComponent(current.name)}`;
  }

  async function run() {
    // Unsaved work is saved first; an unchanged shipped strategy runs as it is.
    if ((isDirty() || !current) && !(await save())) return;
    const strategy = current.name;
    const symbol = symbolSelect.value;
    const runnerId = runnerIdInput.value.trim() || `${strategy}_${symbol.toLowerCase()}`.slice(0, 64);
    try {
      await api.createRunner({ runner_id: runnerId, symbol, strategy_name: strategy });
      location.hash = `#/runners/${encodeURIComponent(runnerId)}`;
    } catch (e) {
      const fields = Object.entries(e.errors).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`).join(" ");
      if (e.diagnostics.length) showDiagnostics(e.diagnostics);
      toast(fields || e.message, "error");
    }
  }

  const symbols = await api.symbols().catch(() => []);
  symbolSelect.replaceChildren(...symbols.map((s) => h("option", { value: s }, s)));
  const strategies = await loadList();
  // Unless the user already started or opened something while the list loaded.
  if (opening === 0) await open(selected ?? (strategies.find((s) => s.source === "uploaded")?.name ?? strategies[0]?.name ?? null));
  if (line) goTo(Number(line)); // from an error's "name.lua:LINE" link

  return {
    canLeave(unloading) {
      if (!isDirty()) return true;
      return unloading ? false : confirm("This strategy has unsaved changes. Leave and lose them?");
    },
    dispose: () => view.destroy(),
  };
}
