"""leaderboard/index.html: one self-contained page (inline CSS and JS, the plot as a data URI,
no external scripts or fonts) that works opened from the file system. Click a column header
to sort; numbers sort numerically and missing values always sort last."""

from __future__ import annotations

import base64
from html import escape

from vdbench.leaderboard.plot import CSS_DPI, PER_TABLE, WIDTH_IN
from vdbench.leaderboard.records import Row
from vdbench.leaderboard.render_md import MODE_TITLES
from vdbench.leaderboard.reported import PAPER
from vdbench.leaderboard.table import MODES, Leaderboard, Table
from vdbench.leaderboard.view import Column, Shown, columns

PLOT_CAPTION = (
    "Average of the three splits with its 95% interval, for the best "
    f"{PER_TABLE} rows of each table that have all three; hollow grey markers: reported in the "
    "paper; dashed line: chance (closed mode). One panel per mode and dataset, each with an "
    "axis fitted to its own rows: runs on the bundled mini benchmark are never drawn on an "
    "axis with full-benchmark numbers such as the paper's.")

CSS = """
:root { --ink: #1d2330; --muted: #667085; --line: #e4e7ec; --accent: #2f5bd3;
        --paper: #f6f3ea; --dim: #98a2b3; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica,
       Arial, sans-serif; color: var(--ink); background: #fafbfc; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 8px; padding-bottom: 4px;
     border-bottom: 2px solid var(--line); }
.sub { color: var(--muted); margin: 0 0 16px; }
.sub, .caveat, figcaption, ul.notes li { overflow-wrap: break-word; }
nav a { color: var(--accent); margin-right: 16px; text-decoration: none; }
figure { margin: 16px 0; background: #fff; border: 1px solid var(--line); border-radius: 8px;
         padding: 8px; overflow-x: auto; }
.plots { display: flex; flex-wrap: wrap; justify-content: center; align-items: flex-start;
         gap: 12px 24px; }
.plots img { flex: 1 1 400px; width: 100%; min-width: 0; max-width: 580px; height: auto;
             display: block; }
figcaption, .empty, .caveat { color: var(--muted); font-size: 13px; }
.caveat { background: #fff6e5; border: 1px solid #f5d49a; border-radius: 6px; padding: 8px 12px;
          color: #7a4b00; }
.wrap { overflow-x: auto; margin: 12px 0 20px; background: #fff; border: 1px solid var(--line);
        border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; padding: 10px 12px; font-weight: 600; }
.wrap caption { position: sticky; left: 0; max-width: min(calc(100vw - 74px), 1222px); }
caption .meta { display: block; font-weight: 400; color: var(--muted); font-size: 12px; }
th, td { padding: 6px 10px; border-top: 1px solid var(--line); white-space: nowrap; }
th { background: #f2f4f7; text-align: left; cursor: pointer; user-select: none; font-size: 13px;
     position: sticky; top: 0; }
th.num, td.num { text-align: right; }
th:hover { background: #e8ecf3; }
th[aria-sort="ascending"]::after { content: " \\25B2"; color: var(--accent); }
th[aria-sort="descending"]::after { content: " \\25BC"; color: var(--accent); }
td small { color: var(--muted); display: block; font-size: 11px; }
td.wrap-text { white-space: normal; overflow-wrap: anywhere; min-width: 9em; }
td.dim { color: var(--dim); }
tbody tr:nth-child(even) { background: #fbfcfd; }
tbody tr:hover { background: #eef3ff; }
tr.reported { background: var(--paper) !important; font-style: italic; }
.badge { display: inline-block; font-style: normal; font-size: 11px; padding: 0 6px;
         border-radius: 9px; margin-left: 6px; background: #e9e1c9; color: #6b5a22; }
.badge.subset { background: #fde7e7; color: #8a1c1c; }
.badge.smoke { background: #fdebd3; color: #8a4b00; }
table.smoke caption { color: #8a4b00; }
td a { color: var(--accent); text-decoration: none; }
ul.notes li { margin: 4px 0; color: #344054; }
code { background: #f2f4f7; padding: 1px 4px; border-radius: 4px; }
@media (max-width: 640px) {
  main { padding: 16px 12px 32px; }
  .wrap caption { max-width: calc(100vw - 26px); }
  h1 { font-size: 22px; }
  figure { padding: 4px; margin: 12px 0; }
  th, td { padding: 5px 8px; }
  /* the method wraps, so rank, method and the ranked Average fit a phone's width */
  table.board:not(.reported) td:nth-child(2) { white-space: normal; min-width: 7em;
                                               max-width: 10em; }
  .badge { margin-left: 0; }
  nav a { margin-right: 12px; }
  ul.notes { padding-left: 20px; }
}
"""

JS = """
(function () {
  function key(td, numeric) {
    var v = td.getAttribute("data-v");
    if (v === null) return null;
    return numeric ? parseFloat(v) : v;
  }
  function sortBy(table, th, col) {
    var numeric = th.classList.contains("num");
    var now = th.getAttribute("aria-sort");
    var dir = now === "descending" ? "ascending" : now === "ascending" ? "descending"
      : th.getAttribute("data-first");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col], numeric), y = key(b.cells[col], numeric);
      if (x === null || y === null) return (x === null) - (y === null);
      var c = numeric ? x - y : x.localeCompare(y);
      return dir === "ascending" ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    table.querySelectorAll("thead th").forEach(function (h) {
      h.setAttribute("aria-sort", "none");
    });
    th.setAttribute("aria-sort", dir);
  }
  document.querySelectorAll("table.board").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, col) {
      th.addEventListener("click", function () { sortBy(table, th, col); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th, col); }
      });
    });
  });
})();
"""


def render_html(board: Leaderboard, plots: dict[str, bytes | None] | None) -> str:
    """The page; plots: the plot's PNG for each mode, None without matplotlib."""
    n = board.n_records
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>VidDiffBench leaderboard</title>",
        f"<style>{CSS}</style></head><body><main>",
        "<h1>VidDiffBench leaderboard</h1>",
        (f'<p class="sub">Video Action Differencing ({escape(PAPER)}). Rebuilt by '
         f"<code>vdbench leaderboard</code> from {n['submissions']} submission(s) and "
         f"{n['runs']} run(s), plus the numbers reported in the paper. Click a column header "
         "to sort.</p>"),
        ('<nav><a href="#closed">Closed mode</a><a href="#open">Open mode</a>'
         '<a href="#notes">Notes</a></nav>'),
    ]
    if plots is not None:
        images = "".join(
            f'<img alt="{escape(MODE_TITLES[mode])}: average of easy, medium and hard with 95% '
            f'intervals, one panel per dataset" width="{round(WIDTH_IN * CSS_DPI)}" '
            f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'
            for mode, png in plots.items() if png is not None)
        parts.append(f'<figure><div class="plots">{images}</div>'
                     f"<figcaption>{escape(PLOT_CAPTION)}</figcaption></figure>")
    else:
        parts.append('<p class="empty">Plot not drawn: matplotlib is not installed '
                     "(<code>pip install 'vdbench[plot]'</code>).</p>")
    for mode in MODES:
        parts.append(_section(mode, [t for t in board.tables if t.mode == mode]))
    parts.append('<section id="notes"><h2>Notes</h2><ul class="notes">')
    parts += [f"<li>{escape(note)}</li>" for note in board.notes]
    parts.append("<li>Submit a prediction file: <code>vdbench submit preds.json --name NAME"
                 "</code> (see <code>submissions/README.md</code>); rebuild this page: "
                 "<code>make leaderboard</code>.</li></ul></section>")
    parts.append(f"</main><script>{JS}</script></body></html>\n")
    return "\n".join(parts)


def _section(mode: str, tables: list[Table]) -> str:
    out = [f'<section id="{mode}"><h2>{escape(MODE_TITLES[mode])}</h2>']
    reproduced = [t for t in tables if not t.reported]
    if not reproduced:
        out.append('<p class="empty">No vdbench result recorded in this mode yet: '
                   "<code>make eval</code> or <code>vdbench submit</code> adds one.</p>")
    elif len(tables) > 1:
        out.append('<p class="caveat">These tables differ in dataset, dataset revision or '
                   "judge; their rows are not comparable across tables and are ranked "
                   "separately.</p>")
    for i, t in enumerate(tables):
        if i:
            out.append(f'<p class="caveat between">{escape(t.differs_from(tables[i - 1]))}</p>')
        out.append(_table(t, f"{mode}-{i + 1}"))
    out.append("</section>")
    return "\n".join(out)


def _table(table: Table, anchor: str) -> str:
    cols = columns(table)
    if table.reported:
        meta = f"{table.dataset}, {PAPER}"
    else:
        meta = f"scored by vdbench on {table.dataset}, revision {table.revision}"
    meta += f"; judge: {table.judge_text}" if table.judge else (
        "; judge: none (closed mode)" if table.mode == "closed" else "")
    meta += f"; {table.judge_quality}" if table.judge_quality else ""
    if table.smoke:
        meta = f"smoke test: {'; '.join(table.smoke)}. {meta}"
    head = "".join(_th(c) for c in cols)
    body = "\n".join(_tr(r, cols) for r in table.rows)
    cls = "board reported" if table.reported else ("board smoke" if table.smoke else "board")
    return (f'<div class="wrap"><table class="{cls}" id="{anchor}">'
            f'<caption>{escape(table.title)}<span class="meta">{escape(meta)}</span></caption>'
            f"<thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table></div>")


def _th(col: Column) -> str:
    first = "ascending" if col.title == "Rank" or not col.numeric else "descending"
    cls = ' class="num"' if col.numeric else ""
    return (f'<th{cls} scope="col" tabindex="0" aria-sort="none" data-first="{first}">'
            f"{escape(col.title)}</th>")


def _tr(row: Row, cols: list[Column]) -> str:
    cls = ' class="reported"' if row.source == "paper" else ""
    cells = "".join(_td(col, row, col.show(row)) for col in cols)
    return f'<tr{cls} data-id="{escape(row.id)}">{cells}</tr>'


def _td(col: Column, row: Row, shown: Shown) -> str:
    classes = [c for c in ("num" if col.numeric else "", "dim" if shown.dim else "",
                           "wrap-text" if col.title in ("Record", "Subset") else "") if c]
    attrs = f' class="{" ".join(classes)}"' if classes else ""
    if shown.sort is not None:
        attrs += f' data-v="{escape(str(shown.sort))}"'
    if shown.tooltip:
        attrs += f' title="{escape(shown.tooltip)}"'
    text = escape(shown.text)
    if shown.link:
        text = f'<a href="{escape(shown.link)}" rel="noopener">{text}</a>'
    if col.title == "Method":
        if row.source == "paper":
            text += '<span class="badge">reported in the paper</span>'
        elif row.dataset == "mini" or (row.judge or "").startswith("offline"):
            text += '<span class="badge smoke">smoke test, not comparable</span>'
        if row.subset:
            text += f'<span class="badge subset">subset: {escape(row.subset)}</span>'
    if shown.detail:
        text += f"<small>{escape(shown.detail)}</small>"
    return f"<td{attrs}>{text}</td>"
