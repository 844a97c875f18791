"""What the top of the run viewer shows, as plain text for the templates: the headline cards,
the run's facts, the score tables and the filters' choices. The Summary and its parts serve
every benchmark; summary() and filters() shape VidDiffBench's (scores by split)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from vdbench.core.results import Block, Results
from vdbench.scoring.judge.select import judge_heading, measured_text
from vdbench.viewer.records import RunRecord, SampleRecord

SPLIT_ORDER = ("easy", "medium", "hard")


def pct(value: Any) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, (int, float)) else "—"


def ci_text(ci: Any) -> str:
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(
            isinstance(v, (int, float)) for v in ci):
        return f"[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"
    return "—"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def readable(value: Any) -> str:
    """A small mapping as "key value · key value", numbers to what they mean."""
    if not isinstance(value, dict):
        return _compact(value) if not isinstance(value, str) else value

    def one(v: Any) -> str:
        if isinstance(v, bool) or v is None:
            return str(v).lower()
        if isinstance(v, float):
            return f"{v:.4g}"
        if isinstance(v, dict):
            return "(" + ", ".join(f"{k} {one(x)}" for k, x in v.items()) + ")"
        return v if isinstance(v, str) else _compact(v)

    return " · ".join(f"{k} {one(v)}" for k, v in value.items()) or "—"


@dataclass(frozen=True)
class Card:
    key: str
    value: str
    sub: str = ""
    cls: str = ""


@dataclass(frozen=True)
class Fact:
    key: str
    text: str
    small: str = ""  # a second line in small type


@dataclass(frozen=True)
class ScoreRow:
    name: str
    n_samples: Any
    n_scored: Any
    score: str
    ci: str


@dataclass(frozen=True)
class Breakdown:
    """A table of scores by one grouping (split, class)."""

    name: str  # the grouping, the first column's heading
    scored: str  # the heading of the count of scored items
    rows: list[ScoreRow]


@dataclass(frozen=True)
class Summary:
    model: str
    mode: str
    run_name: str
    dataset: str
    revision: str
    split: str
    n_samples: int
    created: str
    cards: list[Card]
    warnings: list[str]
    failures: list[str] | None  # the first errors of an incomplete run; None when complete
    facts: list[Fact]
    metric: str
    breakdown_label: str  # "details and scores by ..."
    breakdowns: list[Breakdown]  # the tables beside the facts, only those with rows


def summary(rec: RunRecord) -> Summary:
    """VidDiffBench's: the headline (the average of the splits where there are several), the
    judge in open mode, and the scores by split."""
    r = rec.results
    by_split = _by_split(r.by_split or {}, r.headline_metric)
    return run_summary(rec, _cards(rec), facts(rec), "split",
                       [Breakdown("split", "scored", by_split)] if by_split else [])


def run_summary(rec: RunRecord, cards: list[Card], facts: list[Fact], breakdown_label: str,
                breakdowns: list[Breakdown]) -> Summary:
    """The summary of any benchmark's run, around its cards, facts and score tables."""
    r = rec.results
    prov = r.provenance
    incomplete = None
    if not r.complete:
        first = (r.failures or {}).get("first_errors") or []
        incomplete = [f"{e.get('sample_key')}: {e.get('status')} {e.get('error')}"
                      for e in first if isinstance(e, dict)]
    return Summary(
        model=r.model, mode=r.mode, run_name=rec.run.resolve().name,
        dataset=str(prov.get("dataset", "?")), revision=str(prov.get("revision", "?")),
        split=r.split, n_samples=r.n_samples, created=str(prov.get("created", "?")),
        cards=cards, warnings=list(rec.warnings), failures=incomplete, facts=facts,
        metric=r.headline_metric, breakdown_label=breakdown_label, breakdowns=breakdowns)


def _cards(rec: RunRecord) -> list[Card]:
    r = rec.results
    metric = r.headline_metric
    average = r.metrics.get("split_average")
    if len(r.by_split or {}) > 1 and isinstance(average, (int, float)):
        # the number the leaderboard ranks by: the average of the splits
        headline = Card(f"{metric}, average of splits", pct(average),
                        f"all differences pooled {pct(r.headline)}, 95% CI {ci_text(r.ci95)}")
    else:
        headline = Card(metric, pct(r.headline), f"95% CI {ci_text(r.ci95)}")
    cards = [
        headline,
        Card("coverage", pct(r.coverage),
             f"{r.n_scored} differences scored in {r.n_samples} pairs"),
        complete_card(r),
    ]
    if r.mode == "open":
        judge = r.judge or {}
        cards.append(Card("judge", judge_heading(judge) or "?",
                          measured_text(judge.get("measured")) or "not measured"))
    return cards


def complete_card(r: Results) -> Card:
    failed = (r.failures or {}).get("failed_samples", 0)
    allowed = (r.failures or {}).get("allowed", 0)
    complete = "yes" if r.complete else "no"
    return Card("complete", complete, f"{failed} failed sample(s), {allowed} allowed", complete)


def facts(rec: RunRecord) -> list[Fact]:
    """The run's facts, for any benchmark: what it does not record is left out."""
    r = rec.results
    prov = r.provenance
    facts = [Fact("model", readable(prov.get("model", r.model))),
             Fact("selection", readable(prov.get("selection", {}))),
             Fact("seed", str(prov.get("seed", "?")))]
    spec = rec.frame_spec.to_dict()
    spec.pop("target_fps", None)
    how = ("as recorded in the run" if rec.frame_spec_recorded
           else "not recorded (a model that used no frames, or a scored prediction file): "
                "its protocol's sampling is shown")
    facts.append(Fact("frames", how, readable(spec)))
    facts.append(Fact("sample status", readable(r.status_counts)))
    if r.cost_usd is not None:
        by_stage = {k: f"${v:.4f}" for k, v in (r.cost_by_stage or {}).items()}
        facts.append(Fact("cost", f"${r.cost_usd:.4f}"
                          + (f" ({readable(by_stage)})" if by_stage else "")))
    if r.requests:
        facts.append(Fact("requests", readable(r.requests)))
    if r.localization:
        loc = r.localization
        mae = loc.get("mae_s")
        mae_text = f"{mae:.2f}" if isinstance(mae, (int, float)) else "—"
        facts.append(Fact("localization", f"hit rate {pct(loc.get('hit_rate'))} within "
                          f"{loc.get('tolerance_s')} s, mean error {mae_text} s over "
                          f"{loc.get('n')} (difference, video) pairs"))
    if r.swap:
        facts.append(Fact("swap", readable(r.swap)))
    if r.prediction_format:
        facts.append(Fact("prediction format", r.prediction_format))
    if r.missing_samples:
        facts.append(Fact("missing samples", ", ".join(r.missing_samples)))
    if rec.predictions_source:
        facts.append(Fact("predictions read from", rec.predictions_source))
    facts.append(Fact("vdbench", str(prov.get("vdbench_version", "?"))))
    return facts


def score_row(name: str, block: Block, metric: str) -> ScoreRow:
    return ScoreRow(name, block.get("n_samples", ""), block.get("n_scored", ""),
                    pct(block.get(metric)), ci_text(block.get("ci95")))


def _by_split(by_split: dict[str, Block], metric: str) -> list[ScoreRow]:
    ranked = sorted(by_split.items(), key=lambda kv: (
        SPLIT_ORDER.index(kv[0]) if kv[0] in SPLIT_ORDER else len(SPLIT_ORDER), kv[0]))
    return [score_row(name, b, metric) for name, b in ranked]


@dataclass(frozen=True)
class Filter:
    name: str  # the data- attribute of a sample (or of an item row) it compares
    label: str
    options: list[tuple[str, str]]  # (value, label)
    scope: str = "sample"  # sample: hides samples; item: hides a sample's item rows


def unique(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(value, label) pairs, each value once, in order."""
    return list(dict(pairs).items())


def filters(samples: list[SampleRecord]) -> list[Filter]:
    splits = sorted({s.sample.split for s in samples},
                    key=lambda x: SPLIT_ORDER.index(x) if x in SPLIT_ORDER else 9)
    domains = sorted({s.sample.domain for s in samples})
    actions = sorted({(s.sample.action, f"{s.sample.action} · {s.sample.action_name}")
                      for s in samples})
    results = [("correct", "all correct"), ("wrong", "some wrong"), ("none", "nothing scored")]
    return [
        Filter("split", "Split", unique((x, x) for x in splits)),
        Filter("domain", "Domain", unique((x, x) for x in domains)),
        Filter("action", "Action", unique(actions)),
        Filter("result", "Result", unique(results)),
    ]
