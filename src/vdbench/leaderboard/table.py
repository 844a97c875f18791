"""The table model of the leaderboard: tables that never mix benchmarks, modes, datasets,
dataset revisions or judges, each holding rows; the page's notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vdbench.core.results import HEADLINE, VIDDIFFBENCH
from vdbench.core.version import __version__
from vdbench.data.loader import MINI_NOTE
from vdbench.leaderboard.records import Row
from vdbench.leaderboard.reported import PAPER

MODES = ("closed", "open")  # VidDiffBench's, each a section of its own
SIGNIFICANCE = 0.05


def benchmark_title(name: str) -> str:
    """A benchmark's title (its spec's), or its name when this vdbench does not know it."""
    from vdbench.benchmarks.catalog import get_benchmark
    from vdbench.core.errors import InputError

    try:
        return get_benchmark(name).title
    except InputError:
        return name


def headline_of(benchmark: str, mode: str) -> str:
    """The name of a table's ranked metric."""
    if benchmark == VIDDIFFBENCH:
        return HEADLINE[mode]
    from vdbench.benchmarks.catalog import get_benchmark
    from vdbench.core.errors import InputError

    try:
        return get_benchmark(benchmark).headline[mode]
    except (InputError, KeyError):
        return "headline"


@dataclass
class Table:
    mode: str
    reported: bool  # the paper's published numbers
    dataset: str
    revision: str
    judge: str | None
    prompt_set: str | None = None  # rows asked with other prompt templates get their own table
    rows: list[Row] = field(default_factory=list)
    benchmark: str = VIDDIFFBENCH

    @property
    def metric(self) -> str:
        return headline_of(self.benchmark, self.mode)

    @property
    def chance(self) -> float | None:
        """The headline's chance level, where every row of the table agrees on it."""
        levels = {r.chance for r in self.rows}
        return levels.pop() if len(levels) == 1 else None

    @property
    def judge_quality(self) -> str:
        """The judge's agreement with human decisions, measured on the held-out gold set
        (older runs: the gold test part) and recorded with each run's results."""
        measured = next((r.judge_quality for r in self.rows if r.judge_quality), None)
        if not measured:
            return ""
        if isinstance(measured.get("agreement"), (int, float)):  # one-model judges: per item
            return _item_judge_quality(measured)
        def pct(key: str) -> str:
            value = (measured.get(key) or {}).get("value")
            return "-" if value is None else f"{100 * value:.0f}%"
        bias = (measured.get("recall_bias") or {}).get("value")
        bias_text = "-" if bias is None else f"{100 * bias:+.1f} pts"
        return (f"judge measured on {measured.get('gold', 'gold')} "
                f"({measured.get('n_cases', '?')} cases): agreement "
                f"{pct('agreement')}, match precision {pct('match_precision')}, direction "
                f"{pct('direction_accuracy')}, recall bias {bias_text}")

    @property
    def judge_text(self) -> str | None:
        """The judge for a reader (name and models); `judge` is the full identity."""
        return next((r.judge_text for r in self.rows if r.judge_text), self.judge)

    @property
    def smoke(self) -> list[str]:
        """Why this table's numbers are a smoke test, not comparable with the paper's."""
        reasons = []
        if self.dataset == "mini":
            reasons.append(MINI_NOTE)
        if (self.judge or "").startswith("offline"):
            reasons.append(f"scored by the offline judge, a smoke-test judge whose "
                           f"{self.metric} is not comparable with an LLM judge's")
        return reasons

    @property
    def paper(self) -> str:
        """Where the reported numbers come from."""
        if self.benchmark == VIDDIFFBENCH:
            return PAPER
        return next((r.info["source"] for r in self.rows if r.info.get("source")),
                    benchmark_title(self.benchmark))

    @property
    def title(self) -> str:
        if self.reported and self.benchmark != VIDDIFFBENCH:
            return f"Reported by its authors, not reproduced by vdbench: {self.paper}"
        if self.reported:
            return f"Reported in the paper ({self.paper}), not reproduced by vdbench"
        title = (f"{self.dataset} @ {self.revision}"
                 + (f", judge: {self.judge_text}" if self.judge else "")
                 + (f", prompts {self.prompt_set}" if self.prompt_set else ""))
        return f"Smoke test, not comparable with the paper: {title}" if self.smoke else title

    def differs_from(self, other: Table) -> str:
        """What a reader moving from `other` to this table must know before comparing."""
        if (self.reported != other.reported and self.dataset == other.dataset
                and not (self.smoke or other.smoke)):
            return ("The paper's published numbers for the same benchmark, copied from it, not "
                    "reproduced by vdbench: compare with the table above knowing that the "
                    "judge, revision and settings may differ.")
        what = [name for name, mine, theirs in (
            ("dataset", self.dataset, other.dataset), ("judge", self.judge, other.judge),
            ("prompts", self.prompt_set, other.prompt_set)) if mine != theirs]
        if self.dataset == other.dataset and self.revision != other.revision:
            what.insert(0, "dataset revision")
        reasons = ", ".join(what) or "source"
        return (f"Not comparable with the table above: a different {reasons}"
                + ("; smoke-test numbers." if self.smoke or other.smoke else "."))

    def to_json(self) -> dict[str, Any]:
        return {"benchmark": self.benchmark,
                "mode": self.mode, "metric": self.metric, "reported_in_paper": self.reported,
                "dataset": self.dataset, "revision": self.revision, "judge": self.judge,
                "prompt_set": self.prompt_set,
                "judge_text": self.judge_text, "smoke_test": self.smoke or None,
                "judge_quality": self.judge_quality or None,
                "title": self.title, "rows": [r.to_json() for r in self.rows],
                **({} if self.benchmark == VIDDIFFBENCH else {"chance": self.chance})}


def _item_judge_quality(measured: dict[str, Any]) -> str:
    def pct(key: str) -> str:
        value = measured.get(key)
        return "-" if not isinstance(value, (int, float)) else f"{100 * value:.0f}%"
    kappa = measured.get("cohen_kappa")
    kappa_text = "-" if not isinstance(kappa, (int, float)) else f"{kappa:.2f}"
    return (f"judge measured on {measured.get('gold', 'gold')} "
            f"({measured.get('n_items', '?')} items): agreement {pct('agreement')}, "
            f"yes precision {pct('yes_precision')}, yes recall {pct('yes_recall')}, "
            f"kappa {kappa_text}")


@dataclass
class Leaderboard:
    tables: list[Table]
    superseded: list[str]  # older runs of a configuration whose newest run is shown
    skipped: list[dict[str, str]]  # records that could not be read, with the reason
    n_records: dict[str, int]
    incomplete: list[str] = field(default_factory=list)  # records with failed samples

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
            ("Rows: one per configuration: the model and its options (provenance.model: the "
             "VidDiff method's settings such as its localizer, a chat model's snapshot and image "
             "detail), the protocol, the seed, the data and selection, and in open mode the "
             "judge. Where rows of one method differ in options, protocol or seed, the label "
             "names the values that tell them apart, e.g. \"viddiff (localizer=random)\", "
             "\"random (seed 1)\"; hover over a method for all its options."),
            ("Seeds: runs that differ only in their seed are separate rows, each labelled with "
             "its seed and ranked on its own; under the method, each gives the mean and "
             "standard deviation over those seeds of the average of the splits (of the pooled "
             "value when a run lacks a split)."),
            ("Record: a run's name links to its viewer page where `vdbench view RUN` has "
             "written one and the runs folder lies next to this one."),
            ("Plot: one panel per mode and dataset. Runs on the bundled mini benchmark (a few "
             "pairs) are drawn apart from full-benchmark numbers such as the paper's, never on "
             "the same axis; each panel's axis fits its rows."),
            ("Coverage: the share of scored differences that got a valid prediction; missing "
             "ones count as wrong."),
        ]
        if self.superseded:
            notes.append(f"{len(self.superseded)} older run(s) of a configuration that was run "
                         "again (same model, options, protocol, seed, data, selection and "
                         "judge) are not shown: the newest run of each configuration is kept.")
        if self.incomplete:
            notes.append(f"{len(self.incomplete)} incomplete record(s), in which samples "
                         "failed, are not shown (listed in leaderboard.json); rerun them to "
                         "complete them.")
        if self.skipped:
            notes.append(f"{len(self.skipped)} record(s) could not be read and are left out "
                         "(listed in leaderboard.json).")
        return notes

    def to_json(self) -> dict[str, Any]:
        return {"generated_by": f"vdbench {__version__}", "records": self.n_records,
                "notes": self.notes, "tables": [t.to_json() for t in self.tables],
                "superseded": self.superseded, "skipped": self.skipped,
                "incomplete": self.incomplete}
