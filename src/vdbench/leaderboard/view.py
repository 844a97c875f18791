"""What each table shows, cell by cell: shared by the markdown and the HTML renderers."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from urllib.parse import quote

from vdbench.core.results import VIDDIFFBENCH
from vdbench.data.viddiffbench_facts import SPLITS
from vdbench.leaderboard.layout import layout_of
from vdbench.leaderboard.records import Cell, Row
from vdbench.leaderboard.table import SIGNIFICANCE, Table

DASH = "\u2014"
NOT_SIGNIFICANT = "\u2020"
SAFE_LINK = ("https://", "http://")  # a hand-edited record must not smuggle a javascript: link
# A run's viewer page is linked relatively from the leaderboard's folder, only when the two
# are close (runs/ and leaderboard/ side by side): a link that climbs further would spell out
# the folders of the machine that built the page.
MAX_UP = 2


@dataclass(frozen=True)
class Shown:
    sort: float | str | None  # what a sortable table orders by; None sorts last
    text: str
    detail: str = ""  # the 95% interval, shown smaller
    tooltip: str = ""
    dim: bool = False  # not significantly different from chance
    link: str = ""


@dataclass(frozen=True)
class Column:
    title: str
    numeric: bool
    show: Callable[[Row], Shown]


def pct(x: float | None) -> str:
    return DASH if x is None else f"{100 * x:.1f}"


def metric_cell(cell: Cell | None) -> Shown:
    if cell is None:
        return Shown(None, DASH)
    detail = f"[{pct(cell.ci95[0])}, {pct(cell.ci95[1])}]" if cell.ci95 else ""
    tips = []
    if cell.ci95:
        tips.append(f"95% CI {detail}")
    if cell.p_vs_chance is not None:
        tips.append(f"p vs chance {p_text(cell.p_vs_chance)}")
    if cell.n_scored is not None:
        tips.append(f"{cell.n_scored} scored differences")
    dim = cell.p_vs_chance is not None and cell.p_vs_chance >= SIGNIFICANCE
    text = pct(cell.value) + (NOT_SIGNIFICANT if dim else "")
    return Shown(round(cell.value, 6), text, detail, " \u00b7 ".join(tips), dim)


def p_text(p: float | None) -> str:
    return DASH if p is None else ("<0.001" if p < 0.001 else f"{p:.3f}")


def record_text(row: Row) -> str:
    kind, _, name = row.id.partition(":")
    return "reported in the paper" if row.source == "paper" else f"{kind} {name}"


def relative_link(target: Path, base: Path) -> str:
    """target as a link relative to the folder base (each part URL-quoted, so no part reads as
    a scheme), or "" when there is none: another drive, or more than MAX_UP levels up."""
    try:
        rel = PurePath(os.path.relpath(target.resolve(), base.resolve()))
    except ValueError:  # another drive (Windows)
        return ""
    parts = rel.parts
    ups = sum(p == ".." for p in parts)
    if ups > MAX_UP or rel.is_absolute() or ".." in parts[ups:]:
        return ""
    return "/".join(p if p == ".." else quote(p, safe="") for p in parts)


def safe_local_link(link: str) -> bool:
    """A relative link that cannot be read as a scheme (javascript:) or another host."""
    first = link.split("/", 1)[0]
    return bool(link) and not link.startswith(("/", "\\")) and ":" not in first


def seed_text(row: Row) -> str:
    spread = row.seed_spread
    if not spread:
        return ""
    pooled = ", pooled" if spread["metric"] == "overall" else ""
    return (f"({len(spread['seeds'])} seeds{pooled}: mean {pct(spread['mean'])}, "
            f"sd {100 * spread['sd']:.1f})")


def _method(row: Row) -> Shown:
    authors = row.info.get("authors")
    tips = [f"{k}: {row.info[k]}" for k in ("model_snapshot", "notes", "source") if k in row.info]
    tips += [f"{k}={v}" for k, v in row.options.items()]
    tips += [f"{k}={v}" for k, v in (("protocol", row.protocol), ("seed", row.seed))
             if v is not None]
    if row.seed_spread:
        tips.append("seeds " + ", ".join(str(s) for s in row.seed_spread["seeds"]))
    link = row.info.get("link", "")
    detail = " \u00b7 ".join(x for x in (f"({authors})" if authors else "", seed_text(row)) if x)
    return Shown(row.label.lower(), row.label, detail, " \u00b7 ".join(tips),
                 link=link if link.startswith(SAFE_LINK) else "")


def _record(row: Row) -> Shown:
    text = record_text(row)
    if row.viewer and safe_local_link(row.viewer):
        return Shown(text, text, tooltip="open this run's viewer page (vdbench view)",
                     link=row.viewer)
    return Shown(text, text)


def _date(row: Row) -> str:
    return row.info.get("date") or row.created[:10]


def _number(x: float | None, text: str) -> Shown:
    return Shown(None if x is None else round(x, 6), text)


def _split_cell(split: str) -> Callable[[Row], Shown]:
    return lambda r: metric_cell(r.splits.get(split))


def _average(row: Row) -> Shown:
    """The average of the splits, marked like its splits when the row as a whole is not
    better than chance (the test over all its scored differences)."""
    cell = row.average
    if cell is not None and row.overall is not None and row.overall.p_vs_chance is not None:
        cell = dataclasses.replace(cell, p_vs_chance=row.overall.p_vs_chance)
    return metric_cell(cell)


def columns(table: Table) -> list[Column]:
    """The table's columns, leaving out those no row of it has a value for."""
    if table.benchmark != VIDDIFFBENCH:
        return benchmark_columns(table)
    cols = [Column("Rank", True, lambda r: _number(r.rank, str(r.rank or DASH))),
            Column("Method", False, _method)]
    # the ranked number first: on a narrow screen it is the one in view
    cols.append(Column("Average", True, _average))
    cols += [Column(s.capitalize(), True, _split_cell(s)) for s in SPLITS]
    cols += [
        Column("All (pooled)", True, lambda r: metric_cell(r.overall)),
        Column("p vs chance", True, lambda r: _number(
            r.overall.p_vs_chance if r.overall else None,
            p_text(r.overall.p_vs_chance if r.overall else None))),
        Column("No match %", True, lambda r: _number(r.errors.get("err_nomatch"),
                                                     pct(r.errors.get("err_nomatch")))),
        Column("Flipped %", True, lambda r: _number(r.errors.get("err_flippedpred"),
                                                    pct(r.errors.get("err_flippedpred")))),
        Column("Coverage %", True, lambda r: _number(r.coverage, pct(r.coverage))),
        Column("Subset", False, lambda r: Shown(r.subset, r.subset or DASH)),
        Column("Date", False, lambda r: Shown(_date(r) or None, _date(r) or DASH)),
        Column("Record", False, _record),
    ]
    if table.reported:  # the paper gives the four numbers only
        return [c for c in cols if c.title in ("Method", "Easy", "Medium", "Hard", "Average")]
    always = {"Rank", "Method", "Easy", "Medium", "Hard", "Average", "Record"}
    return [c for c in cols
            if c.title in always or any(c.show(r).sort is not None for r in table.rows)]


def _named_cell(key: str) -> Callable[[Row], Shown]:
    return lambda r: metric_cell(r.columns.get(key))


def benchmark_columns(table: Table) -> list[Column]:
    """A benchmark other than VidDiffBench: its headline metric (ranked), then the columns
    its layout names (layout.py), then what vdbench knows of each record. Reported tables
    show the published numbers only."""
    layout = layout_of(table.benchmark)
    headline = (table.metric.replace("_", " ").capitalize() if layout.generic
                else layout.headline_title)
    keys: list[str] = []
    for r in table.rows:
        keys += [k for k in r.columns if k not in keys]
    named = [k for k, _ in (*layout.metrics, *layout.groups)]
    keys = [k for k in named if k in keys] + [k for k in keys if k not in named]
    cols = [Column("Rank", True, lambda r: _number(r.rank, str(r.rank or DASH))),
            Column("Method", False, _method),
            Column(headline, True, lambda r: metric_cell(r.overall))]
    cols += [Column(layout.title(k), True, _named_cell(k)) for k in keys]
    if table.reported:
        return cols[1:]
    cols += [
        Column("p vs chance", True, lambda r: _number(
            r.overall.p_vs_chance if r.overall else None,
            p_text(r.overall.p_vs_chance if r.overall else None))),
        Column("Coverage %", True, lambda r: _number(r.coverage, pct(r.coverage))),
        Column("Subset", False, lambda r: Shown(r.subset, r.subset or DASH)),
        Column("Date", False, lambda r: Shown(_date(r) or None, _date(r) or DASH)),
        Column("Record", False, _record),
    ]
    always = {"Rank", "Method", headline, "Record"}
    return [c for c in cols
            if c.title in always or any(c.show(r).sort is not None for r in table.rows)]
