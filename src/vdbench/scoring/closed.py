"""Closed-mode accuracy (design.md): mean(pred == gt) over gt in {a, b}; "c" and null are
never scored; a missing or invalid prediction counts as wrong."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from ..data.schema import Sample
from ..data.splits import SPLITS
from ..predictions import Predictions
from .stats import binomial_test, bootstrap_ci


@dataclass(frozen=True)
class ScoredDifference:
    """One line of samples.jsonl."""

    sample_key: str
    gt_key: str
    gt: str
    pred_key: str | None
    flipped: bool
    prediction: str | None
    correct: bool
    status: str  # the sample's status from the model run ("ok" for submitted files)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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


def accuracy_block(rows: list[ScoredDifference]) -> dict[str, Any]:
    by_pair: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        by_pair[r.sample_key].append(r.correct)
    n = len(rows)
    k = sum(r.correct for r in rows)
    ci = bootstrap_ci(list(by_pair.values()))
    return {
        "accuracy": k / n if n else None,
        "ci95": list(ci) if ci else None,
        "p_vs_chance": binomial_test(k, n),
        "n_scored": n,
        "n_correct": k,
        "n_answered": sum(r.prediction is not None for r in rows),
        "n_samples": len(by_pair),
    }


def closed_results(samples: list[Sample], rows: list[ScoredDifference]) -> dict[str, Any]:
    """Headline accuracy, breakdowns per split, domain and action, coverage."""
    by_sample = {s.sample_key: s for s in samples}

    def grouped(attr: str) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[ScoredDifference]] = defaultdict(list)
        for r in rows:
            groups[getattr(by_sample[r.sample_key], attr)].append(r)
        return {g: accuracy_block(groups[g]) for g in sorted(groups)}

    overall = accuracy_block(rows)
    by_split = grouped("split")
    split_accs = [by_split[s]["accuracy"] for s in SPLITS if s in by_split]
    n_scored = overall["n_scored"]
    sample_status = {r.sample_key: r.status for r in rows}
    return {
        "n_samples": len(samples),
        "n_scored": n_scored,
        "coverage": overall["n_answered"] / n_scored if n_scored else 0.0,
        "status_counts": dict(sorted(Counter(sample_status.values()).items())),
        "metrics": {
            "accuracy": overall["accuracy"],
            "ci95": overall["ci95"],
            "p_vs_chance": overall["p_vs_chance"],
            "split_average": sum(split_accs) / len(split_accs) if split_accs else None,
        },
        "ci95": overall["ci95"],
        "by_split": by_split,
        "by_domain": grouped("domain"),
        "by_action": grouped("action"),
    }
