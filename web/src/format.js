// Small formatting and DOM helpers shared by the views.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
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

export function time(ms) {
  if (!ms) return "–";
  return new Date(ms).toLocaleTimeString("en-GB", { hour12: false });
}

export function dateTime(ms) {
  if (!ms) return "–";
  const d = new Date(ms);
  return `${d.toLocaleDateString("en-CA")} ${d.toLocaleTimeString("en-GB", { hour12: false })}`;
}

export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "–";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** A UTC date and time, "2024-01-31 23:59" (seconds only when there are any): backtests live in exchange time. */
export function utc(ms) {
  if (ms === null || ms === undefined) return "–";
  const iso = new Date(ms).toISOString();
  const seconds = iso.slice(17, 19) !== "00" ? iso.slice(16, 19) : "";
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}${seconds}`;
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

/** A key/value table row. */
export function kvRow(key, value, attributes = {}) {
  return h("tr", attributes, h("th", {}, key), h("td", {}, value));
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

/** One CSV field: quoted when it holds a separator, a quote or a line break. */
export function csvField(value) {
  const text = value === null || value === undefined ? "" : String(value);
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
    default: return JSON.stringify(e);
  }
}
