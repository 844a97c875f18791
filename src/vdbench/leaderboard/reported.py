"""Results each benchmark's authors published (the spec's `reported()`), as leaderboard rows
marked "reported in the paper": copied, not reproduced by vdbench. VidDiffBench's columns are
its splits (their average the headline); another benchmark's headline is the row's overall
value and its other columns are kept by name (ViDiC-1K: difference, similarity, classes)."""

from __future__ import annotations

from vdbench.benchmarks.catalog import benchmark_names, get_benchmark
from vdbench.benchmarks.spec import Reported
from vdbench.benchmarks.viddiffbench.reported import PAPER
from vdbench.core.errors import InputError
from vdbench.core.results import VIDDIFFBENCH
from vdbench.data.viddiffbench_facts import HUB_ID
from vdbench.leaderboard.records import Cell, Row

PAPER_REVISION = "as published"
__all__ = ["PAPER", "paper_rows"]


def paper_rows() -> list[Row]:
    """Every known benchmark's published rows, VidDiffBench's first (catalog order)."""
    rows = []
    for name in benchmark_names():
        try:
            reported = get_benchmark(name).reported()
        except (InputError, ImportError):  # a plugin that cannot load has no rows here
            continue
        rows += [_row(name, r) for r in reported]
    return rows


def _row(benchmark: str, r: Reported) -> Row:
    info = {"source": r.source}
    if r.snapshot:
        info["model_snapshot"] = r.snapshot
    if benchmark == VIDDIFFBENCH:
        return Row(
            id=f"paper:{r.mode}:{r.method}", source="paper", method=r.method, mode=r.mode,
            dataset=HUB_ID, revision=PAPER_REVISION, judge=r.judge,
            splits={s: Cell(v) for s, v in r.columns.items()},
            average=Cell(r.headline), info=info,
        )
    if r.notes:
        info["notes"] = r.notes
    return Row(
        id=f"paper:{benchmark}:{r.mode}:{r.method}", source="paper", method=r.method,
        mode=r.mode, dataset=reported_dataset(benchmark), revision=PAPER_REVISION,
        judge=r.judge, splits={}, average=None,
        overall=Cell(r.headline), info=info, benchmark=benchmark,
        columns={k: Cell(v) for k, v in r.columns.items()},
    )


def reported_dataset(benchmark: str) -> str:
    """The full benchmark the authors scored (its hub id where the spec names one)."""
    if benchmark == VIDDIFFBENCH:
        return HUB_ID
    spec = get_benchmark(benchmark)
    return spec.hub_id or f"{spec.title} (full)"
