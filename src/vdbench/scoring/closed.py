"""Closed-mode accuracy (docs/protocol.md): mean(pred == gt) over gt in {a, b}; "c" and null are
never scored; a missing or invalid prediction counts as wrong."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vdbench.core.records import Record
from vdbench.data.predictions import Predictions
from vdbench.data.schema import Sample
from vdbench.data.viddiffbench_facts import SPLITS
from vdbench.scoring.stats import binomial_test, bootstrap_ci


@dataclass(frozen=True)
class ScoredDifference(Record):
    """One line of VidDiffBench's samples.jsonl: one scored difference (gt a or b). Published
    as schemas/samples.viddiffbench.schema.json."""

    sample_key: str
    gt_key: str
    gt: str
    pred_key: str | None
    flipped: bool
    prediction: str | None
    correct: bool
    status: str  # the sample's status from the model run ("ok" for submitted files)

    @property
    def item(self) -> str:
        """The scored item within its sample (`compare` pairs runs on it)."""
        return self.gt_key


def score_rows(
    samples: list[Sample], preds: Predictions, statuses: dict[str, str] | None = None
) -> list[ScoredDifference]:
    rows = []
    for s in samples:
        sample_preds = preds.get(s.sample_key, {})
        status = (statuses or {}).get(s.sample_key, "ok" if s.sample_key in preds else "missing")
        for k in s.scored_keys:
            p = sample_preds.get(k)
            label = p.prediction if p else None
            rows.append(ScoredDifference(
                s.sample_key, k, s.differences_gt[k] or "", k if p else None, False, label,
                label == s.differences_gt[k], status,
            ))
    return rows


def rate_block(
    rows: list[ScoredDifference], metric: str = "accuracy", test_chance: bool = True
) -> dict[str, Any]:
    """The fraction correct with its pair-bootstrap interval (and test against chance)."""
    by_pair: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        by_pair[r.sample_key].append(r.correct)
    n = len(rows)
    k = sum(r.correct for r in rows)
    # one pair resamples to itself: a zero-width interval would claim certainty it lacks
    ci = bootstrap_ci(list(by_pair.values())) if len(by_pair) > 1 else None
    block = {
        metric: k / n if n else None,
        "ci95": list(ci) if ci else None,
        "n_scored": n,
        "n_correct": k,
        "n_answered": sum(r.prediction is not None for r in rows),
        "n_samples": len(by_pair),
    }
    if test_chance:
        block["p_vs_chance"] = binomial_test(k, n)
    return block


def breakdowns(
    samples: list[Sample],
    rows: list[ScoredDifference],
    overall: dict[str, Any],
    block: Callable[[list[ScoredDifference]], dict[str, Any]],
    metric: str,
    extra: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Headline metric, per split, domain and action blocks, split average and coverage."""
    by_sample = {s.sample_key: s for s in samples}

    def grouped(attr: str) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[ScoredDifference]] = defaultdict(list)
        for r in rows:
            groups[getattr(by_sample[r.sample_key], attr)].append(r)
        return {g: block(groups[g]) for g in sorted(groups)}

    by_split = grouped("split")
    split_values = [by_split[s][metric] for s in SPLITS if s in by_split]
    n_scored = overall["n_scored"]
    sample_status = {r.sample_key: r.status for r in rows}
    metrics = {metric: overall[metric], "ci95": overall["ci95"],
               **{k: overall[k] for k in ("p_vs_chance", *extra) if k in overall},
               "split_average": sum(split_values) / len(split_values) if split_values else None}
    return {
        "n_samples": len(samples),
        "n_scored": n_scored,
        "coverage": overall["n_answered"] / n_scored if n_scored else 0.0,
        "status_counts": dict(sorted(Counter(sample_status.values()).items())),
        "metrics": metrics,
        "ci95": overall["ci95"],
        "by_split": by_split,
        "by_domain": grouped("domain"),
        "by_action": grouped("action"),
    }


def closed_results(samples: list[Sample], rows: list[ScoredDifference]) -> dict[str, Any]:
    return breakdowns(samples, rows, rate_block(rows), rate_block, "accuracy")
