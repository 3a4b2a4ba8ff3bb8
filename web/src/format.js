// Small formatting and DOM helpers shared by the views.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  // A header cell heads its column unless it says it heads its row (kvRow and the tables' row labels do).
  if (tag === "th" && !("scope" in attributes)) element.setAttribute("scope", "col");
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "className") element.className = value;
    else if (key === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function price(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const digits = Math.abs(value) >= 1000 ? 2 : Math.abs(value) >= 1 ? 4 : 6;
  return Number(value).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: digits });
}

export function pnl(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const text = Number(value).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return value > 0 ? `+${text}` : text;
}

export function pnlClass(value) {
  return value > 0 ? "gain" : value < 0 ? "loss" : "";
}

// One clock for every time the dashboard shows (tables, logs, chart axes): the browser's zone by default, or UTC.
const ZONE_KEY = "tickrunner.time-zone";
let zone = (() => {
  try {
    return localStorage.getItem(ZONE_KEY) === "utc" ? "utc" : "local";
  } catch {
    return "local";
  }
})();

/** "local" or "utc". */
export const timeZone = () => zone;

/** Switches every time shown to <zone> ("local" or "utc"), remembered in this browser. */
export function setTimeZone(value) {
  zone = value === "utc" ? "utc" : "local";
  try {
    localStorage.setItem(ZONE_KEY, zone);
  } catch {
    // private mode: for this page only
  }
}

/** The zone's short name for labels: "UTC" or the browser's offset, e.g. "UTC−05:00". */
export function zoneLabel(ms = Date.now()) {
  if (zone === "utc") return "UTC";
  const offset = -new Date(ms).getTimezoneOffset();
  if (offset === 0) return "local, UTC";
  const sign = offset > 0 ? "+" : "−";
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  return `local, UTC${sign}${hours}:${String(Math.abs(offset) % 60).padStart(2, "0")}`;
}

// The parts of an instant in the chosen zone.
function parts(ms) {
  const d = new Date(ms);
  const utcZone = zone === "utc";
  const pad = (n) => String(n).padStart(2, "0");
  return {
    date: `${utcZone ? d.getUTCFullYear() : d.getFullYear()}-${pad((utcZone ? d.getUTCMonth() : d.getMonth()) + 1)}-${pad(utcZone ? d.getUTCDate() : d.getDate())}`,
    hm: `${pad(utcZone ? d.getUTCHours() : d.getHours())}:${pad(utcZone ? d.getUTCMinutes() : d.getMinutes())}`,
    s: pad(utcZone ? d.getUTCSeconds() : d.getSeconds()),
  };
}

/** "14:05:09" in the chosen zone. */
export function time(ms) {
  if (!ms) return "–";
  const p = parts(ms);
  return `${p.hm}:${p.s}`;
}

/** "2024-01-31 14:05:09" in the chosen zone. */
export function dateTime(ms) {
  if (!ms) return "–";
  const p = parts(ms);
  return `${p.date} ${p.hm}:${p.s}`;
}

/** "2024-01-31 14:05" in the chosen zone, seconds only when there are any (bar times). */
export function minute(ms) {
  if (ms === null || ms === undefined) return "–";
  const p = parts(ms);
  return `${p.date} ${p.hm}${p.s !== "00" ? `:${p.s}` : ""}`;
}

/** A chart axis label for a time in seconds, in the chosen zone (lightweight-charts counts UTC seconds). */
export function axisLabel(seconds, kind) {
  const p = parts(seconds * 1000);
  // kind: 0 year, 1 month, 2 day of month, 3 time, 4 time with seconds (lightweight-charts' TickMarkType)
  if (kind === 0) return p.date.slice(0, 4);
  if (kind === 1) return p.date.slice(0, 7);
  if (kind === 2) return p.date.slice(5);
  return kind === 4 ? `${p.hm}:${p.s}` : p.hm;
}

/** The time of a point under the chart's crosshair. */
export function crosshairLabel(seconds) {
  return minute(seconds * 1000);
}

export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "–";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** A number with fixed decimals and thousands separators; "–" for null. */
export function fixed(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return Number(value).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A percentage with a sign: "+12.34 %". */
export function percent(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return `${value > 0 ? "+" : ""}${fixed(value, digits)} %`;
}

/** A small button. */
export function button(label, onclick, kind = "", attributes = {}) {
  return h("button", { type: "button", className: `small ${kind}`, onclick, ...attributes }, label);
}

/**
 * A modal confirmation with a message and optional form fields (inputs named as the values wanted); resolves with the
 * fields' values when confirmed, null when cancelled (Escape, Cancel).
 */
export function ask({ title, message, fields = [], confirm = "OK", kind = "" }) {
  return new Promise((resolve) => {
    const form = h("form", { method: "dialog", className: "ask" }, h("h2", {}, title), message ? h("p", {}, message) : null, ...fields,
      h("div", { className: "actions" },
        h("button", { type: "submit", value: "ok", className: `small ${kind}`, "data-testid": "ask-confirm" }, confirm),
        h("button", { type: "submit", value: "cancel", className: "small", formnovalidate: true, "data-testid": "ask-cancel" }, "Cancel")));
    const dialog = h("dialog", { className: "ask-dialog", "data-testid": "ask" }, form);
    document.body.append(dialog);
    dialog.addEventListener("close", () => {
      const values = dialog.returnValue === "ok" ? Object.fromEntries(new FormData(form)) : null;
      dialog.remove();
      resolve(values);
    });
    dialog.showModal();
  });
}

/** A key/value table row. */
export function kvRow(key, value, attributes = {}) {
  return h("tr", attributes, h("th", { scope: "row" }, key), h("td", {}, value));
}

/** Offers text as a file download (no server round trip). */
export function download(name, text, type = "text/csv") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * One CSV field: quoted when it holds a separator, a quote or a line break. Text (not numbers) that a spreadsheet would
 * take for a formula (= + - @, tab, CR first) gets a leading apostrophe: a strategy writes exit reasons.
 */
export function csvField(value) {
  let text = value === null || value === undefined ? "" : String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

let toastTimer;
export function toast(message, kind = "info") {
  const element = document.getElementById("toast");
  element.textContent = message;
  element.dataset.kind = kind;
  element.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (element.hidden = true), 5000);
}

/** Describes an event for logs: "PositionClosed 49000 (−100.00) Stop loss hit at 49000". */
export function describe(tag, e) {
  switch (tag) {
    case "TickReceived": return `tick ${price(e.data.close)} vol ${e.data.volume}`;
    case "StateTransition": return `${e.from} → ${e.to}: ${e.reason}`;
    case "ActionExecuted": {
      const { type, ...fields } = e.action;
      return `${type} ${Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "number" ? price(v) : v}`).join(" ")}`;
    }
    case "PositionOpened": return `opened ${e.position.side} ${e.position.quantity} @ ${price(e.position.entry_price)}`;
    case "PositionUpdated": return `price ${price(e.current_price)}, unrealized ${pnl(e.unrealized_pnl)}`;
    case "PositionClosed": return `closed @ ${price(e.exit_price)}, realized ${pnl(e.realized_pnl)}: ${e.reason}`;
    case "Error": return `${e.severity}: ${e.error}`;
    case "RunnerStarted": return `started on ${e.symbol}`;
    case "RunnerStopped": return `stopped: ${e.reason}`;
    case "RunnerStatusChanged": return `now ${e.status}`;
    case "Plot": return Object.entries(e.values).map(([name, v]) => `${name} ${price(v)}`).join(" · ");
    case "RiskLimitHit": return `${e.limit} (${price(e.value)}, limit ${price(e.threshold)}): ${e.action}`;
    default: return JSON.stringify(e);
  }
}
