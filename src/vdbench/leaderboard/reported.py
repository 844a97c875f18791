"""Results a benchmark's authors published (the spec's `reported()`), as leaderboard rows
marked "reported in the paper": copied, not reproduced by vdbench."""

from __future__ import annotations

from vdbench.benchmarks.catalog import get_benchmark
from vdbench.benchmarks.viddiffbench.reported import PAPER
from vdbench.data.splits import HUB_ID
from vdbench.leaderboard.records import Cell, Row

PAPER_REVISION = "as published"
__all__ = ["PAPER", "paper_rows"]


def paper_rows() -> list[Row]:
    rows = []
    for r in get_benchmark("viddiffbench").reported():
        info = {"source": r.source}
        if r.snapshot:
            info["model_snapshot"] = r.snapshot
        rows.append(Row(
            id=f"paper:{r.mode}:{r.method}", source="paper", method=r.method, mode=r.mode,
            dataset=HUB_ID, revision=PAPER_REVISION, judge=r.judge,
            splits={s: Cell(v) for s, v in r.columns.items()},
            average=Cell(r.headline), info=info,
        ))
    return rows
