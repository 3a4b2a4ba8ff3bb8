import { api } from "../api.js";
import { button, dateTime, h, zoneLabel } from "../format.js";

const PAGE = 100;
const COLUMNS = ["Time", "Key", "Action", "Target", "Status", "Outcome", "From"];

/** The audit log (admin): every state-changing request, newest first, filtered by time, paged back 100 at a time. */
export async function renderAudit(app) {
  const since = h("input", { type: "datetime-local", name: "since", step: 60, "aria-label": "Since" });
  const body = h("tbody");
  const status = h("p", { className: "muted", role: "status" });
  const older = button("Older", () => load(true), "small");
  let oldest = null;

  async function load(more = false) {
    const sinceMs = since.value ? new Date(since.value).getTime() : undefined;
    try {
      const rows = await api.audit({ since: sinceMs, limit: PAGE, before_id: more ? oldest : undefined });
      if (!more) body.replaceChildren();
      for (const row of rows) body.append(line(row));
      if (rows.length > 0) oldest = rows[rows.length - 1].id;
      older.hidden = rows.length < PAGE;
      status.textContent = body.children.length === 0 ? "No state-changing request in this range." : `${body.children.length} request(s) shown, newest first.`;
    } catch (e) {
      status.textContent = e.message;
    }
  }

  since.addEventListener("change", () => load());
  app.append(h("section", { className: "card" },
    h("h2", {}, "Audit log"),
    h("p", { className: "muted" }, `Who changed what: every POST, PUT and DELETE the API answered, refused ones included. Times: ${zoneLabel()}.`),
    h("div", { className: "toolbar" }, h("label", { className: "field inline" }, h("span", {}, "Since"), since), button("Refresh", () => load(), "small")),
    h("div", { className: "table-wrap" }, h("table", { className: "audit" },
      h("thead", {}, h("tr", {}, COLUMNS.map((c) => h("th", { scope: "col" }, c)))), body)),
    status, older));
  await load();
  return { dispose() {} };
}

function line(row) {
  const outcome = h("span", { className: `badge ${row.outcome === "ok" ? "status-running" : row.outcome === "denied" ? "status-failing" : "status-paused"}` }, row.outcome);
  return h("tr", { dataset: { id: row.id } },
    h("td", { className: "nowrap" }, dateTime(row.at)),
    h("td", {}, row.key_name ?? h("span", { className: "muted", title: "Keys were not asked for (loopback, no key), or the request sent none" }, "–")),
    h("td", { className: "mono" }, row.action),
    h("td", { className: "mono" }, row.target ?? ""),
    h("td", {}, row.status || ""),
    h("td", {}, outcome),
    h("td", { className: "muted" }, row.address ?? ""));
}
