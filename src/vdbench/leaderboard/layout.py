"""The layout of a benchmark's leaderboard section: its spec's (`BenchmarkSpec.board`), or
every metric its results hold for a benchmark without one."""

from __future__ import annotations

from vdbench.benchmarks.board_layout import GENERIC, NOT_COLUMNS, Layout
from vdbench.benchmarks.catalog import get_benchmark

__all__ = ["NOT_COLUMNS", "Layout", "layout_of"]


def layout_of(benchmark: str) -> Layout:
    return get_benchmark(benchmark).board or GENERIC
