import "./styles.css";
import { api, onUnauthorized, setCsrfToken } from "./api.js";
import { stream } from "./stream.js";
import { renderOverview } from "./views/overview.js";
import { renderRunner } from "./views/runner.js";
import { renderBacktests } from "./views/backtests.js";
import { renderBacktest } from "./views/backtest.js";
import { renderCompare } from "./views/compare.js";
import { renderAudit } from "./views/audit.js";
import { renderOptimizations } from "./views/optimizations.js";
import { renderOptimization } from "./views/optimization.js";
import { renderLogin } from "./views/login.js";
import { router } from "./router.js";
import { ask, dateTime, h, setTimeZone, timeZone, toast, zoneLabel } from "./format.js";

// Hash routes: #/ (runners), #/runners/<id>, #/strategies, #/strategies/<name>, #/backtests[?strategy=&dataset=],
// #/backtests/<id>, #/backtests/compare?ids=a,b, #/optimizations[?strategy=&dataset=], #/optimizations/<id>. Each route
// also says what the page streams (server-side filter), so a view never has to race another for the filter. A route's query string reaches its view as it is (`query: true`).
// The kill switch's events pass every runner_id and symbol filter; a page that filters by type asks for them too (the halt
// banner is on every page).
const ENGINE = ["EngineHalted", "EngineResumed"];
const BACKTEST_EVENTS = () => ({ type: ["BacktestProgress", "BacktestFinished", ...ENGINE] });
const OPTIMIZATION_EVENTS = () => ({ type: ["OptimizationProgress", "OptimizationFinished", ...ENGINE] });
// The editor (CodeMirror) is its own chunk, fetched when the Strategies page is first opened: the other pages start without
// parsing it.
const renderStrategies = (...args) => import("./views/strategies.js").then((m) => m.renderStrategies(...args));
// title: the page's heading for assistive technology when the view shows none of its own.
const routes = [
  { pattern: /^#?\/?$/, nav: "runners", title: "Runners and portfolio", view: renderOverview, filter: () => ({}) },
  { pattern: /^#\/runners\/([^/]+)$/, nav: "runners", title: "Runner", view: renderRunner, filter: (id) => ({ runner_id: [id] }) },
  { pattern: /^#\/strategies(?:\/([^/?]+))?(?:\?line=(\d+))?$/, nav: "strategies", title: "Strategies", view: renderStrategies, filter: () => ({ type: ["RunnerStarted", "RunnerStopped", ...ENGINE] }) },
  { pattern: /^#\/backtests\/compare(?:\?(.*))?$/, nav: "backtests", title: "Compare backtests", view: renderCompare, filter: BACKTEST_EVENTS, query: true },
  { pattern: /^#\/backtests\/([^/?]+)$/, nav: "backtests", title: "Backtest", view: renderBacktest, filter: BACKTEST_EVENTS },
  { pattern: /^#\/backtests(?:\?(.*))?$/, nav: "backtests", title: "Backtests", view: renderBacktests, filter: BACKTEST_EVENTS, query: true },
  { pattern: /^#\/optimizations\/([^/?]+)$/, nav: "optimizations", title: "Optimization", view: renderOptimization, filter: OPTIMIZATION_EVENTS },
  { pattern: /^#\/optimizations(?:\?(.*))?$/, nav: "optimizations", title: "Optimizations", view: renderOptimizations, filter: OPTIMIZATION_EVENTS, query: true },
  { pattern: /^#\/audit$/, nav: "audit", title: "Audit log", view: renderAudit, filter: () => ({ type: ["Heartbeat", ...ENGINE] }) },
];

// Grey blocks in the shape of a page while its view loads its data: the page is never blank.
function skeleton() {
  const block = (className) => h("div", { className: `skeleton-block ${className}` });
  return h("div", { className: "skeleton", "aria-hidden": "true", "data-testid": "skeleton" },
    h("section", { className: "card" }, block("title"), block("line"), block("line short")),
    h("section", { className: "card" }, block("title"), block("tall")));
}

let current = null; // { dispose(), canLeave?() }
let navigation = 0;

async function route() {
  if (current?.canLeave && !current.canLeave()) {
    history.replaceState(null, "", router.currentHash); // stay: the view keeps its unsaved work
    return;
  }
  current?.dispose?.();
  current = null;
  router.currentHash = location.hash;
  const token = ++navigation;
  // Each view renders into its own container: a slower view that finishes after the user moved on
  // renders into a detached element and is disposed at once.
  const container = h("div", { className: "view" });
  const placeholder = skeleton();
  document.getElementById("app").replaceChildren(placeholder, container);
  for (const { pattern, nav, title, view, filter, query } of routes) {
    const match = location.hash.match(pattern);
    if (!match) continue;
    const name = match[1] ? (query ? match[1] : decodeURIComponent(match[1])) : undefined;
    document.querySelectorAll("[data-nav]").forEach((a) => a.classList.toggle("active", a.dataset.nav === nav));
    stream.setFilter(filter(name));
    let handle;
    try {
      handle = await view(container, name, match[2]);
    } finally {
      placeholder.remove();
    }
    if (!container.querySelector("h1")) container.prepend(h("h1", { className: "sr-only" }, title));
    if (token !== navigation) {
      handle?.dispose?.();
      return;
    }
    current = handle;
    return;
  }
  location.hash = "#/";
}

// Offline, the figures on the page are as they were when the stream dropped: greyed (body.offline), with a button that
// reconnects at once instead of after the pause.
function showConnection(status, s) {
  const element = document.getElementById("connection");
  element.dataset.state = status;
  element.querySelector(".label").textContent =
    status === "live" ? "live" : status === "offline" ? `offline, retrying in ${s.retryIn ?? 1}s` : status;
  document.body.classList.toggle("offline", status === "offline");
  document.getElementById("retry").hidden = status !== "offline";
}
document.getElementById("retry").addEventListener("click", () => stream.retryNow());

async function showHealth() {
  try {
    const health = await api.health();
    const e = health.engine;
    const f = health.feed;
    const feed = [`${f.kind} feed${f.connected ? "" : " (not connected)"}`];
    if (f.last_message_age_ms != null) feed.push(`last message ${Math.round(f.last_message_age_ms / 1000)}s ago`);
    if (f.reconnects) feed.push(`${f.reconnects} reconnect${f.reconnects === 1 ? "" : "s"}`);
    if (f.gaps) feed.push(`${f.gaps} gap${f.gaps === 1 ? "" : "s"}`);
    document.getElementById("health").textContent = `${feed.join(" · ")} · ${e.running}/${e.runners} running · ${health.status}`;
    document.getElementById("health").title = f.last_error ? `Feed: ${f.last_error}` : "Engine health";
    document.getElementById("health").dataset.status = health.status;
  } catch {
    document.getElementById("health").textContent = "server unreachable";
  }
}

// The kill switch: a banner on every page while the engine is halted (with Resume), and Halt in the top bar otherwise; both
// ask first. Read when the stream (re)connects and on each EngineHalted / EngineResumed.
let canTrade = true;
async function showEngine() {
  let engine;
  try {
    engine = await api.engine();
  } catch {
    return; // unreachable or not allowed: the banner stays as it was
  }
  const banner = document.getElementById("halt-banner");
  banner.hidden = !engine.halted;
  document.getElementById("halt").hidden = engine.halted || !canTrade;
  document.getElementById("resume").hidden = !canTrade;
  document.body.classList.toggle("halted", engine.halted);
  banner.querySelector(".text").textContent = engine.halted
    ? `Engine halted${engine.halted_at ? ` since ${dateTime(engine.halted_at)}` : ""}: no runner may enter a position until it is resumed.`
    : "";
}

document.getElementById("halt").addEventListener("click", async () => {
  const answer = await ask({
    title: "Halt the engine?",
    message: "Every runner's entries are refused from its next bar until the engine is resumed.",
    fields: [h("label", { className: "check" }, h("input", { type: "checkbox", name: "flatten", "data-testid": "halt-flatten" }),
      "Also close every open position at its runner's next bar")],
    confirm: "Halt",
    kind: "danger",
  });
  if (!answer) return;
  try {
    await api.halt(answer.flatten === "on");
  } catch (e) {
    toast(e.message, "error");
  }
  showEngine();
});

document.getElementById("resume").addEventListener("click", async () => {
  if (!(await ask({ title: "Resume the engine?", message: "Runners may enter positions again.", confirm: "Resume" }))) return;
  try {
    await api.resume();
  } catch (e) {
    toast(e.message, "error");
  }
  showEngine();
});

// Health is read when the stream (re)connects and on each heartbeat: no timer polls it.
stream.onStatus((status, s) => {
  showConnection(status, s);
  if (status === "live") {
    showHealth();
    showEngine();
  }
});
stream.on((tag) => {
  if (tag === "Heartbeat" || tag === "RunnerStarted" || tag === "RunnerStopped") showHealth();
  if (tag === "EngineHalted" || tag === "EngineResumed") showEngine();
});
setInterval(() => {
  const rate = stream.eventsPerSecond();
  document.getElementById("rate").textContent = rate === null ? "– ev/s" : `${rate.toFixed(rate < 10 ? 1 : 0)} ev/s`;
}, 1000);

// One clock for the whole dashboard: the toggle re-renders the page in the other zone.
const zoneButton = document.getElementById("zone");
function showZone() {
  zoneButton.textContent = timeZone() === "utc" ? "UTC" : "Local time";
  zoneButton.setAttribute("aria-label", `Times are shown in ${zoneLabel()}; switch`);
}
zoneButton.addEventListener("click", () => {
  setTimeZone(timeZone() === "utc" ? "local" : "utc");
  showZone();
  route();
});
showZone();

// Light or dark: "auto" follows the system (and its changes), the toggle cycles auto → light → dark, remembered here.
const THEME_KEY = "tickrunner.theme";
const themeButton = document.getElementById("theme");
const systemLight = matchMedia("(prefers-color-scheme: light)");
const storedTheme = () => { try { return localStorage.getItem(THEME_KEY) ?? "auto"; } catch { return "auto"; } };
function applyTheme() {
  const choice = storedTheme();
  const theme = choice === "auto" ? (systemLight.matches ? "light" : "dark") : choice;
  document.documentElement.dataset.theme = theme;
  themeButton.textContent = choice === "auto" ? `Theme: auto (${theme})` : `Theme: ${theme}`;
  themeButton.setAttribute("aria-label", `Colours: ${themeButton.textContent}; switch`);
}
// Charts take their colours when they are made, so the page is drawn again; not over unsaved work (the editor), which
// keeps its charts-free page and gets the new colours on its next visit.
const redraw = () => { if (!current?.canLeave || current.canLeave(true)) route(); };
themeButton.addEventListener("click", () => {
  const next = { auto: "light", light: "dark", dark: "auto" }[storedTheme()] ?? "auto";
  try { localStorage.setItem(THEME_KEY, next); } catch { /* private mode: for this page only */ }
  applyTheme();
  redraw();
});
systemLight.addEventListener("change", () => { if (storedTheme() === "auto") { applyTheme(); redraw(); } });
applyTheme();

window.addEventListener("beforeunload", (event) => {
  if (current?.canLeave && !current.canLeave(true)) {
    event.preventDefault();
    event.returnValue = "";
  }
});

// Who is here. With keys not asked for (loopback, no key) the page starts at once; otherwise it starts after a login.
// A refusal later (session expired, logged out elsewhere, key revoked) brings the login back; the page reloads after it,
// so the stream reconnects with the new cookie and the view the user was on comes back.
function showLogin(expired) {
  stream.disconnect();
  current?.dispose?.();
  current = null;
  renderLogin(document.getElementById("app"), { expired, onLoggedIn: () => location.reload() });
}

function showWho(session) {
  const who = document.getElementById("who");
  const logout = document.getElementById("logout");
  who.hidden = logout.hidden = !session.authenticated;
  if (session.authenticated) who.textContent = `${session.name} · ${session.scope}`;
  // The audit log is for admins (and for everyone when keys are not asked for: this is then the owner's own machine).
  document.querySelector('[data-nav="audit"]').hidden = session.scope !== "admin";
  canTrade = session.scope !== "read"; // halting and resuming need the trade scope
}

document.getElementById("logout").addEventListener("click", async () => {
  try {
    await api.logout();
  } finally {
    location.reload();
  }
});

async function start() {
  let session;
  try {
    session = await api.session();
  } catch {
    session = { auth_required: false, scope: "admin" }; // the server is unreachable: the views say so themselves
  }
  setCsrfToken(session.csrf_token ?? null);
  showWho(session);
  if (session.auth_required && !session.authenticated) {
    showLogin(false);
    return;
  }
  onUnauthorized(() => showLogin(true));
  stream.onRefused = () => showLogin(true);
  window.addEventListener("hashchange", route);
  stream.connect();
  route();
}
start();
