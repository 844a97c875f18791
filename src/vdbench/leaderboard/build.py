"""Rebuild the leaderboard from every record: rows grouped into tables that never mix modes,
datasets, dataset revisions or judges; the paper's numbers in tables of their own.

Outputs hold no timestamps and no absolute paths, and are written with sorted keys, so the
same records always give byte-identical files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..io import write_bytes_atomic, write_text_atomic
from .records import HEADLINE, Row, read_records
from .reported import PAPER, paper_rows

MODES = ("closed", "open")
SIGNIFICANCE = 0.05


@dataclass
class Table:
    mode: str
    reported: bool  # the paper's published numbers
    dataset: str
    revision: str
    judge: str | None
    rows: list[Row] = field(default_factory=list)

    @property
    def metric(self) -> str:
        return HEADLINE[self.mode]

    @property
    def title(self) -> str:
        if self.reported:
            return f"Reported in the paper ({PAPER}), not reproduced by vdbench"
        return f"{self.dataset} @ {self.revision}" + (f", judge {self.judge}" if self.judge else "")

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "metric": self.metric, "reported_in_paper": self.reported,
                "dataset": self.dataset, "revision": self.revision, "judge": self.judge,
                "title": self.title, "rows": [r.to_json() for r in self.rows]}


@dataclass
class Leaderboard:
    tables: list[Table]
    superseded: list[str]  # older runs of a configuration whose newest run is shown
    skipped: list[dict[str, str]]  # records that could not be read, with the reason
    n_records: dict[str, int]

    @property
    def notes(self) -> list[str]:
        notes = [
            ("Average: the unweighted mean of easy, medium and hard, as in the paper; given only "
             "for rows with all three splits. Its 95% interval combines the per-split bootstrap "
             "intervals (normal approximation; the splits are disjoint sets of pairs)."),
            ("Intervals: 95% bootstrap over pairs. p vs chance: exact two-sided binomial test "
             f"against 50% over all scored differences; values marked \u2020 are not significantly "
             f"different from chance (p \u2265 {SIGNIFICANCE})."),
            ("Rank: within one table only, for rows reproduced by vdbench on all three splits of "
             "the whole benchmark. Tables differ in mode, dataset, dataset revision or judge and "
             "are never ranked against each other."),
            "Rows reported in the paper are copied from it and were not reproduced by vdbench.",
            ("Coverage: the share of scored differences that got a valid prediction; missing "
             "ones count as wrong."),
        ]
        if self.superseded:
            notes.append(f"{len(self.superseded)} older run(s) of a configuration that was run "
                         "again are not shown: the newest run of each configuration is kept.")
        if self.skipped:
            notes.append(f"{len(self.skipped)} record(s) could not be read and are left out "
                         "(listed in leaderboard.json).")
        return notes

    def to_json(self) -> dict[str, Any]:
        return {"generated_by": f"vdbench {__version__}", "records": self.n_records,
                "notes": self.notes, "tables": [t.to_json() for t in self.tables],
                "superseded": self.superseded, "skipped": self.skipped}


def build(submissions_dir: Path | None, runs_dir: Path | None) -> Leaderboard:
    records, skipped = read_records(submissions_dir, runs_dir)
    kept, superseded = _newest_runs(records)
    n_records = {"submissions": sum(r.source == "submission" for r in kept),
                 "runs": sum(r.source == "run" for r in kept)}
    return Leaderboard(_tables(kept + paper_rows()), superseded, skipped, n_records)


def _newest_runs(rows: list[Row]) -> tuple[list[Row], list[str]]:
    newest: dict[str, Row] = {}
    for r in rows:
        if r.source != "run":
            continue
        best = newest.get(r.config)
        if best is None or (r.created, r.id) > (best.created, best.id):
            newest[r.config] = r
    keep = {id(r) for r in newest.values()}
    kept = [r for r in rows if r.source != "run" or id(r) in keep]
    return kept, sorted(r.id for r in rows if r.source == "run" and id(r) not in keep)


def _tables(rows: list[Row]) -> list[Table]:
    tables: dict[tuple, Table] = {}
    for r in rows:
        key = (r.mode, r.source == "paper", r.dataset, r.revision, r.judge)
        tables.setdefault(key, Table(*key)).rows.append(r)
    ordered = sorted(tables.values(), key=lambda t: (
        MODES.index(t.mode), t.reported, t.dataset == "mini", t.dataset, t.revision,
        t.judge or ""))
    for t in ordered:
        _rank(t)
    return ordered


def _rank(table: Table) -> None:
    def headline(r: Row) -> float:
        cell = r.average or r.overall or max(r.splits.values(), key=lambda c: c.value)
        return cell.value

    table.rows.sort(key=lambda r: (not r.complete, -headline(r), r.method, r.id))
    if table.reported:
        return
    previous, rank = None, 0
    for i, r in enumerate(x for x in table.rows if x.complete):
        assert r.average is not None  # complete rows have all three splits
        if r.average.value != previous:
            rank = i + 1  # ties share a rank: 1, 2, 2, 4
        r.rank, previous = rank, r.average.value


def write(board: Leaderboard, out: Path) -> dict[str, Path]:
    """leaderboard.json, leaderboard.md, index.html and (with matplotlib) plot.png."""
    from .plot import render_plot
    from .render_html import render_html
    from .render_md import render_md

    out.mkdir(parents=True, exist_ok=True)
    png = render_plot(board)
    paths = {name: out / name for name in ("leaderboard.json", "leaderboard.md", "index.html")}
    write_text_atomic(paths["leaderboard.json"],
                      json.dumps(board.to_json(), indent=2, sort_keys=True, ensure_ascii=False)
                      + "\n")
    write_text_atomic(paths["leaderboard.md"], render_md(board, png is not None))
    write_text_atomic(paths["index.html"], render_html(board, png))
    plot = out / "plot.png"
    if png is not None:
        write_bytes_atomic(plot, png)
        paths["plot.png"] = plot
    else:
        plot.unlink(missing_ok=True)  # a stale plot would contradict the tables
    return paths
