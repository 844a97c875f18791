"""Rebuild the leaderboard from every record: rows grouped into tables, one benchmark's
tables apart from another's, the newest run of each configuration kept (a configuration: the
benchmark, the model and its options, protocol, seed, data, selection and judge), rows
labelled by what tells them apart, complete rows ranked; the numbers each benchmark's authors
published in tables of their own."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from vdbench.benchmarks.catalog import benchmark_names
from vdbench.core.results import VIDDIFFBENCH
from vdbench.leaderboard.records import Row, read_records
from vdbench.leaderboard.reported import paper_rows
from vdbench.leaderboard.table import MODES, Leaderboard, Table


def build(submissions_dir: Path | None, runs_dir: Path | None) -> Leaderboard:
    records, skipped = read_records(submissions_dir, runs_dir)
    # An incomplete record is listed apart: never ranked, never superseding a complete one.
    incomplete = sorted(r.id for r in records if r.failed)
    kept, superseded = _newest_runs([r for r in records if not r.failed])
    label_rows(kept)
    seed_spreads(kept)
    n_records = {"submissions": sum(r.source == "submission" for r in kept),
                 "runs": sum(r.source == "run" for r in kept)}
    return Leaderboard(_tables(kept + paper_rows()), superseded, skipped, n_records, incomplete)


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


def label_rows(rows: list[Row]) -> None:
    """Each row's label: its method and, where rows of the same method (and source) differ in
    their options, protocol or seed, this row's values of those: "viddiff (localizer=random)",
    "random (seed 1)". Rows of one method that agree on all of them keep the bare name."""
    groups: dict[tuple[str, str, str], list[Row]] = {}
    for r in rows:
        groups.setdefault((r.benchmark, r.source, r.method), []).append(r)
    for group in groups.values():
        keys = sorted({k for r in group for k in r.options})
        protocols = len({r.protocol for r in group}) > 1
        differing = [k for k in keys if _differs(group, k) and not (
            protocols and k.startswith(FRAME_KEYS) and _follows_protocol(group, k))]
        seeds = len({r.seed for r in group}) > 1
        for r in group:
            parts = [f"{k}={option_text(r.options.get(k, _UNRECORDED))}" for k in differing]
            if protocols:
                parts.append(f"protocol={r.protocol or 'none'}")
            if seeds and r.seed is not None:
                parts.append(f"seed {r.seed}")
            r.label = f"{r.method} ({', '.join(parts)})" if parts else r.method


_UNRECORDED = object()  # an option one record has and another (older) one does not
FRAME_KEYS = "frames."  # the frame sampling: the protocol's, unless a run overrode it


def _differs(rows: list[Row], key: str) -> bool:
    return len({_canon(r.options.get(key, _UNRECORDED)) for r in rows}) > 1


def _follows_protocol(rows: list[Row], key: str) -> bool:
    """The key's value is the same for every row of each protocol: the label's protocol says
    it (the whole frame sampling stays in the row's options and tooltip)."""
    by_protocol: dict[str | None, list[Row]] = {}
    for r in rows:
        by_protocol.setdefault(r.protocol, []).append(r)
    return not any(_differs(rs, key) for rs in by_protocol.values())


def _canon(value: Any) -> str:
    if value is _UNRECORDED:
        return "\0unrecorded"
    return json.dumps(value, sort_keys=True, default=str)


def option_text(value: Any) -> str:
    """An option's value, short enough for a label: long strings (hashes, paths) keep their
    head and tail."""
    if value is _UNRECORDED:
        return "unrecorded"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True,
                                                           separators=(",", ":"))
    return text if len(text) <= 24 else f"{text[:10]}\u2026{text[-10:]}"


def seed_spreads(rows: list[Row]) -> None:
    """Rows that differ only in their seed stay separate rows, each labelled with its seed;
    each also gets the mean and standard deviation over those seeds of the average of the
    splits (of the pooled value when a row lacks a split)."""
    families: dict[str, list[Row]] = {}
    for r in rows:
        if r.seed is not None:
            families.setdefault(r.family, []).append(r)
    for group in families.values():
        if len({r.seed for r in group}) < 2:
            continue
        metric = ("average" if all(r.average is not None for r in group)
                  and group[0].benchmark == VIDDIFFBENCH else "overall")
        cells = [r.average if metric == "average" else r.overall for r in group]
        values = [c.value for c in cells if c is not None]
        if len(values) != len(group):
            continue
        spread = {"seeds": sorted(r.seed for r in group if r.seed is not None),
                  "metric": metric, "mean": round(statistics.fmean(values), 6),
                  "sd": round(statistics.stdev(values), 6),
                  "min": round(min(values), 6), "max": round(max(values), 6)}
        for r in group:
            r.seed_spread = spread


def _prompt_sets(rows: list[Row]) -> dict[int, str | None]:
    """The table each row goes to by prompt set: rows asked with different prompt templates
    are never ranked together; rows that used no prompts (baselines) join the most common set
    of their group."""
    groups: dict[tuple, list[Row]] = {}
    for r in rows:
        groups.setdefault((r.benchmark, r.mode, r.source == "paper", r.dataset, r.revision,
                           r.judge), []).append(r)
    out: dict[int, str | None] = {}
    for members in groups.values():
        sets = [r.prompt_set for r in members if r.prompt_set]
        common = max(set(sets), key=sets.count) if sets else None
        for r in members:
            out[id(r)] = r.prompt_set or common
    return out


def _tables(rows: list[Row]) -> list[Table]:
    tables: dict[tuple, Table] = {}
    prompt_set = _prompt_sets(rows)
    for r in rows:
        key = (r.mode, r.source == "paper", r.dataset, r.revision, r.judge, prompt_set[id(r)])
        tables.setdefault((r.benchmark, *key), Table(*key, benchmark=r.benchmark)).rows.append(r)
    # per benchmark (VidDiffBench first, then the catalog's order) and mode: vdbench's
    # full-benchmark tables, the paper's, then smoke tests (mini or the offline judge), so no
    # smoke test sits above or beside the published numbers unlabelled
    ordered = sorted(tables.values(), key=lambda t: (
        *_section_order(t), bool(t.smoke), t.reported, t.dataset, t.revision,
        t.judge or "", t.prompt_set or ""))
    for t in ordered:
        _rank(t)
    return ordered


def _section_order(table: Table) -> tuple[int, str, int, str]:
    known = benchmark_names()
    where = known.index(table.benchmark) if table.benchmark in known else len(known)
    mode = MODES.index(table.mode) if table.benchmark == VIDDIFFBENCH else 0
    return (where, table.benchmark, mode, table.mode)


def _rank(table: Table) -> None:
    def headline(r: Row) -> float:
        cell = r.headline or r.overall or max(r.splits.values(), key=lambda c: c.value)
        return cell.value

    table.rows.sort(key=lambda r: (not r.complete, -headline(r), r.label, r.id))
    if table.reported:
        return
    previous, rank = None, 0
    for i, r in enumerate(x for x in table.rows if x.complete):
        assert r.headline is not None  # complete: all three splits, or the headline metric
        if r.headline.value != previous:
            rank = i + 1  # ties share a rank: 1, 2, 2, 4
        r.rank, previous = rank, r.headline.value
