import "./styles.css";
import { api } from "./api.js";
import { stream } from "./stream.js";
import { renderOverview } from "./views/overview.js";
import { renderRunner } from "./views/runner.js";
import { renderStrategies } from "./views/strategies.js";

// Hash routes: #/ (runners), #/runners/<id>, #/strategies, #/strategies/<name>.
const routes = [
  [/^#?\/?$/, () => renderOverview],
  [/^#\/runners\/([^/]+)$/, () => renderRunner],
  [/^#\/strategies(?:\/([^/]+))?$/, () => renderStrategies],
];

let current = null; // { dispose(), canLeave?() }
let currentHash = location.hash;

async function route() {
  if (current?.canLeave && !current.canLeave()) {
    history.replaceState(null, "", currentHash); // stay: the view keeps its unsaved work
    return;
  }
  current?.dispose?.();
  currentHash = location.hash;
  const app = document.getElementById("app");
  app.replaceChildren();
  for (const [pattern, view] of routes) {
    const match = location.hash.match(pattern);
    if (match) {
      const name = match[1] ? decodeURIComponent(match[1]) : undefined;
      document.querySelectorAll("[data-nav]").forEach((a) =>
        a.classList.toggle("active", a.dataset.nav === (pattern.source.includes("strategies") ? "strategies" : "runners")));
      current = await view()(app, name);
      return;
    }
  }
  location.hash = "#/";
}

function showConnection(status, s) {
  const element = document.getElementById("connection");
  element.dataset.state = status;
  element.querySelector(".label").textContent =
    status === "live" ? "live" : status === "offline" ? `offline, retrying in ${s.retryIn ?? 1}s` : status;
}

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

// Health is read when the stream (re)connects and on each heartbeat: no timer polls it.
stream.onStatus((status, s) => {
  showConnection(status, s);
  if (status === "live") showHealth();
});
stream.on((tag) => {
  if (tag === "Heartbeat" || tag === "RunnerStarted" || tag === "RunnerStopped") showHealth();
});
setInterval(() => {
  const rate = stream.eventsPerSecond();
  document.getElementById("rate").textContent = rate === null ? "– ev/s" : `${rate.toFixed(rate < 10 ? 1 : 0)} ev/s`;
}, 1000);

window.addEventListener("hashchange", route);
window.addEventListener("beforeunload", (event) => {
  if (current?.canLeave && !current.canLeave(true)) {
    event.preventDefault();
    event.returnValue = "";
  }
});
stream.connect();
route();
