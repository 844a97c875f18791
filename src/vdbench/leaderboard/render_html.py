"""leaderboard/index.html: one self-contained page (inline CSS and JS, the plot as a data URI,
no external scripts or fonts) that works opened from the file system, drawn from templates/.
Click a column header to sort; numbers sort numerically and missing values always sort last.

This module shapes the tables into plain text for the templates, which escape every value.
The page is a list of sections, each drawn by the partial its `template` names."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from vdbench.core.results import VIDDIFFBENCH
from vdbench.leaderboard.layout import layout_of
from vdbench.leaderboard.plot import CSS_DPI, PER_TABLE, WIDTH_IN
from vdbench.leaderboard.records import Row
from vdbench.leaderboard.render_md import (
    MODE_TITLES,
    TITLE,
    chance_text,
    other_benchmarks,
    section_title,
)
from vdbench.leaderboard.reported import PAPER
from vdbench.leaderboard.table import MODES, Leaderboard, Table, benchmark_title
from vdbench.leaderboard.view import Column, Shown, columns
from vdbench.pages import page_environment, render_document

PLOT_CAPTION = (
    "Average of the three splits with its 95% interval, for the best "
    f"{PER_TABLE} rows of each table that have all three; hollow grey markers: reported in the "
    "paper; dashed line: chance (closed mode). One panel per mode and dataset, each with an "
    "axis fitted to its own rows: runs on the bundled mini benchmark are never drawn on an "
    "axis with full-benchmark numbers such as the paper's.")
NAV_TITLES = {"closed": "Closed mode", "open": "Open mode"}


@dataclass(frozen=True)
class Plot:
    alt: str
    width: int
    src: str  # a data: URI


@dataclass(frozen=True)
class HeadCell:
    title: str
    numeric: bool
    first: str  # the direction of the first sort: ascending | descending


@dataclass(frozen=True)
class BodyCell:
    text: str
    classes: str = ""
    sort: float | str | None = None  # data-v; None: sorts last
    tooltip: str = ""
    link: str = ""
    badges: list[tuple[str, str]] = field(default_factory=list)  # (extra class, text)
    detail: str = ""


@dataclass(frozen=True)
class BodyRow:
    id: str
    reported: bool
    cells: list[BodyCell]


@dataclass(frozen=True)
class TableView:
    anchor: str
    cls: str
    title: str
    meta: str
    differs: str  # why it is not comparable with the table before it; "" for the first
    head: list[HeadCell]
    rows: list[BodyRow]


@dataclass(frozen=True)
class Section:
    id: str
    nav: str  # its link in the page's navigation
    title: str
    template: str  # the partial that draws it
    tables: list[TableView]
    empty: bool = False  # no vdbench result in it yet
    notes: list[str] = field(default_factory=list)  # a benchmark's own notes, under its title
    benchmark: str = VIDDIFFBENCH


def render_html(board: Leaderboard, plots: dict[str, bytes | None] | None) -> str:
    """The page; plots: the plot's PNG for each mode, None without matplotlib."""
    shown = None if plots is None else [
        Plot(f"{MODE_TITLES[mode]}: average of easy, medium and hard with 95% intervals, one "
             "panel per dataset", round(WIDTH_IN * CSS_DPI),
             f"data:image/png;base64,{base64.b64encode(png).decode('ascii')}")
        for mode, png in plots.items() if png is not None]
    sections = [mode_section(mode, [t for t in board.tables
                                    if t.mode == mode and t.benchmark == VIDDIFFBENCH])
                for mode in MODES]
    sections += [benchmark_section(b, [t for t in board.tables if t.benchmark == b])
                 for b in other_benchmarks(board)]
    return render_document(page_environment("vdbench.leaderboard"), "leaderboard.html.j2",
                       title=TITLE, paper=PAPER,
                       n_submissions=board.n_records["submissions"],
                       n_runs=board.n_records["runs"], plots=shown, caption=PLOT_CAPTION,
                       sections=sections, notes=board.notes)


def mode_section(mode: str, tables: list[Table]) -> Section:
    return Section(
        mode, NAV_TITLES[mode], MODE_TITLES[mode], "section_mode.html.j2",
        [table_view(t, f"{mode}-{i + 1}", t.differs_from(tables[i - 1]) if i else "")
         for i, t in enumerate(tables)],
        empty=not any(not t.reported for t in tables))


def benchmark_section(benchmark: str, tables: list[Table]) -> Section:
    """A benchmark other than VidDiffBench: all its tables in one section, with its notes."""
    return Section(
        benchmark, benchmark_title(benchmark), section_title(benchmark, tables),
        "section_benchmark.html.j2",
        [table_view(t, f"{benchmark}-{i + 1}", t.differs_from(tables[i - 1]) if i else "")
         for i, t in enumerate(tables)],
        empty=not any(not t.reported for t in tables),
        notes=list(layout_of(benchmark).notes), benchmark=benchmark)


def table_view(table: Table, anchor: str, differs: str = "") -> TableView:
    cols = columns(table)
    if table.reported:
        meta = f"{table.dataset}, {table.paper}"
    else:
        meta = f"scored by vdbench on {table.dataset}, revision {table.revision}"
    meta += f"; judge: {table.judge_text}" if table.judge else (
        "; judge: none (closed mode)" if table.mode == "closed" else "")
    meta += f"; {table.judge_quality}" if table.judge_quality else ""
    if table.benchmark != VIDDIFFBENCH and table.chance is not None and not table.reported:
        meta += f"; chance: {chance_text(table)}"
    if table.smoke:
        meta = f"smoke test: {'; '.join(table.smoke)}. {meta}"
    cls = "board reported" if table.reported else ("board smoke" if table.smoke else "board")
    head = [HeadCell(c.title, c.numeric,
                     "ascending" if c.title == "Rank" or not c.numeric else "descending")
            for c in cols]
    rows = [BodyRow(r.id, r.source == "paper", [_cell(c, r, c.show(r)) for c in cols])
            for r in table.rows]
    return TableView(anchor, cls, table.title, meta, differs, head, rows)


def _cell(col: Column, row: Row, shown: Shown) -> BodyCell:
    classes = [c for c in ("num" if col.numeric else "", "dim" if shown.dim else "",
                           "wrap-text" if col.title in ("Record", "Subset") else "") if c]
    badges = []
    if col.title == "Method":
        if row.source == "paper":
            badges.append(("", "reported in the paper"))
        elif row.dataset == "mini" or (row.judge or "").startswith("offline"):
            badges.append(("smoke", "smoke test, not comparable"))
        if row.subset:
            badges.append(("subset", f"subset: {row.subset}"))
    return BodyCell(shown.text, " ".join(classes), shown.sort, shown.tooltip, shown.link,
                    badges, shown.detail)
