"""How the viewer draws each benchmark's runs, keyed by the benchmark's name as results.json
records it: load.py picks the view once, and the page asks it for the summary, the filters,
each sample's section, the script and any extra stylesheet. A benchmark the viewer should show
adds one entry here; nothing else in the viewer compares benchmark names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vdbench.core.errors import InputError
from vdbench.viewer import checklist
from vdbench.viewer.records import RunRecord, SampleRecord
from vdbench.viewer.sample_view import SampleView, sample_view
from vdbench.viewer.summary import Filter, Summary, filters, summary
from vdbench.viewer.thumbs import Strip

SampleShaper = Callable[[SampleRecord, tuple[Strip, Strip] | None, str | None, str], SampleView]


@dataclass(frozen=True)
class BenchmarkView:
    row_key: str  # the samples.jsonl field naming the item a row scores within its sample
    summary: Callable[[RunRecord], Summary]
    filters: Callable[[list[SampleRecord]], list[Filter]]
    sample: SampleShaper  # (record, its two strips or None, why there are none, mode)
    script: str = "filters.js"  # the page's one script (its hash goes in the CSP)
    styles: tuple[str, ...] = ()  # stylesheets inlined after viewer.css


VIEWS: dict[str, BenchmarkView] = {
    "viddiffbench": BenchmarkView("gt_key", summary, filters, sample_view),
    "vidic": BenchmarkView("item_key", checklist.summary, checklist.filters,
                           checklist.sample_view, script="checklist.js",
                           styles=("checklist.css",)),
}


def view_of(benchmark: str) -> BenchmarkView:
    try:
        return VIEWS[benchmark]
    except KeyError:
        raise InputError(f"results.json: benchmark {benchmark!r} has no view here (the viewer "
                         f"draws {', '.join(sorted(VIEWS))})") from None
