import { button, csvField, download, fixed, h, minute, percent, pnl, pnlClass, price, toast, zoneLabel } from "./format.js";

const CSV_CHUNK = 100_000; // the trade endpoints' largest page

/**
 * A trade list a page at a time from the server, with totals and a CSV export of every trade; shared by the backtest
 * report and the runner page. Trades are { side, quantity, entry_timestamp, entry_price, exit_timestamp, exit_price, fees,
 * pnl, return_pct, reason } (map other shapes before). Options:
 * - fetchPage(offset, limit): a page, oldest first (closing order);
 * - totals: { count, net, fees, winRate } (winRate in percent or null);
 * - fileName: the CSV's name; title: the card's heading; pageSize (50);
 * - onSelect(index): a row was clicked (rows are clickable only with it); startAtEnd: open on the last (newest) page.
 */
export function tradeList({ fetchPage, totals, fileName, title = "Trades", pageSize = 50, onSelect = null, startAtEnd = false }) {
  const tbody = h("tbody");
  const pageLabel = h("span", { className: "muted", "data-testid": "trade-page" });
  const previous = button("« Previous", () => show(page - 1));
  const next = button("Next »", () => show(page + 1));
  const exportButton = button("Export CSV", exportCsv, "", { "data-testid": "export-csv" });
  const totalsLine = h("p", { className: "totals", "data-testid": "trade-totals" });
  const element = h("section", { className: "card", "data-testid": "trade-list" },
    h("h2", {}, title, h("span", { className: "actions" }, previous, pageLabel, next, exportButton)), totalsLine,
    h("div", { className: "table-wrap" }, h("table", { className: "trades" },
      h("thead", {}, h("tr", {}, ["#", "Side", "Qty", `Entry (${zoneLabel()})`, "Entry", `Exit (${zoneLabel()})`, "Exit", "Fees", "P&L", "Return", "Reason"].map((c) => h("th", { scope: "col" }, c)))),
      tbody)));
  let page = 0;
  let highlighted = -1;
  let current = totals;
  let showing = 0;

  const pages = () => Math.max(1, Math.ceil(current.count / pageSize));

  function renderTotals() {
    totalsLine.replaceChildren(`${current.count.toLocaleString("en-US")} trades · net P&L `, h("b", { className: pnlClass(current.net) }, pnl(current.net)),
      ` · fees ${fixed(current.fees)} · win rate ${current.winRate == null ? "–" : `${fixed(current.winRate)} %`}`);
  }

  async function show(p) {
    page = Math.min(Math.max(p, 0), pages() - 1);
    previous.disabled = page === 0;
    next.disabled = page >= pages() - 1;
    pageLabel.textContent = `page ${page + 1} of ${pages()}`;
    const token = ++showing;
    const list = await fetchPage(page * pageSize, pageSize).catch((e) => { toast(e.message, "error"); return []; });
    if (token !== showing) return; // a later page was asked for meanwhile
    tbody.replaceChildren(...list.map((t, i) => {
      const index = page * pageSize + i;
      return h("tr", { className: `${onSelect ? "clickable" : ""}${index === highlighted ? " selected" : ""}`, dataset: { index: String(index) },
        onclick: onSelect ? () => onSelect(index) : undefined, title: onSelect ? "Show on the chart" : undefined },
        h("td", { className: "num muted" }, index + 1), h("td", { className: t.side === "Long" ? "gain" : "loss" }, t.side), h("td", { className: "num" }, t.quantity),
        h("td", {}, minute(t.entry_timestamp)), h("td", { className: "num" }, price(t.entry_price)),
        h("td", {}, minute(t.exit_timestamp)), h("td", { className: "num" }, price(t.exit_price)),
        h("td", { className: "num" }, fixed(t.fees)), h("td", { className: `num ${pnlClass(t.pnl)}` }, pnl(t.pnl)),
        h("td", { className: `num ${pnlClass(t.return_pct)}` }, percent(t.return_pct)), h("td", {}, t.reason));
    }));
    if (list.length === 0) tbody.append(h("tr", { className: "empty" }, h("td", { colspan: 11 }, "No trades.")));
  }

  async function exportCsv() {
    exportButton.disabled = true;
    try {
      const all = [];
      for (let offset = 0; ; offset += CSV_CHUNK) {
        const chunk = await fetchPage(offset, CSV_CHUNK);
        all.push(...chunk);
        if (chunk.length < CSV_CHUNK) break;
      }
      const header = ["side", "entry_time", "entry_timestamp", "entry_price", "exit_time", "exit_timestamp", "exit_price", "quantity", "fees", "pnl", "return_pct", "reason"];
      const lines = all.map((t) => [t.side, new Date(t.entry_timestamp).toISOString(), t.entry_timestamp, t.entry_price, new Date(t.exit_timestamp).toISOString(),
        t.exit_timestamp, t.exit_price, t.quantity, t.fees, t.pnl, t.return_pct, t.reason].map(csvField).join(","));
      download(fileName, `${header.join(",")}\n${lines.join("\n")}\n`);
    } catch (e) {
      toast(e.message, "error");
    } finally {
      exportButton.disabled = false;
    }
  }

  renderTotals();
  return {
    element,
    shown: show(startAtEnd ? pages() - 1 : 0),
    /** New totals (trades closed meanwhile); a list on its last page moves on to the new last page. */
    update(next) {
      const onLast = page >= pages() - 1;
      current = next;
      renderTotals();
      return show(onLast ? pages() - 1 : page);
    },
    highlight(index) {
      highlighted = index;
      if (Math.floor(index / pageSize) !== page) { show(Math.floor(index / pageSize)); return; }
      tbody.querySelectorAll("tr.selected").forEach((r) => r.classList.remove("selected"));
      tbody.querySelector(`tr[data-index="${index}"]`)?.classList.add("selected");
    },
  };
}
