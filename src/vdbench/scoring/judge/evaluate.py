"""Measure a judge against the gold set (docs/judging.md, "Measuring a judge").

Each gold case is scored exactly as open mode scores a sample: it becomes a `Sample` and a
prediction file and goes through `scoring.open.judge_open`, so the judge is asked about every
annotated key (label c included), the scorer enforces one-to-one and existing keys, and the
direction check runs on the matched pairs in the scorer's batches. The judge's decisions are
then compared with the human ones; intervals come from resampling cases.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from vdbench.core.types import DiffPrediction
from vdbench.data.schema import Difference, Sample, VideoRef
from vdbench.scoring.judge.base import Judge
from vdbench.scoring.judge.gold import GoldCase
from vdbench.scoring.open import judge_open

# figure name -> (numerator, denominator) over the per-case counts; recall_bias is special
RATIOS = {
    "agreement": ("agree", "decisions"),
    "match_precision": ("pairs_right", "pairs_judge"),
    "match_recall": ("pairs_right", "pairs_gold"),
    "direction_accuracy": ("direction_right", "pairs_right"),
    "judge_recall": ("recall_judge", "scored"),
    "gold_recall": ("recall_gold", "scored"),
}
FIGURES = (*RATIOS, "recall_bias")


@dataclass(frozen=True)
class Figure:
    value: float | None
    low: float | None  # 95% bootstrap interval, resampling cases
    high: float | None
    n: int  # the denominator (decisions, pairs or scored differences)


@dataclass(frozen=True)
class Disagreement:
    case_id: str
    key: str  # the annotated key
    kind: str  # "match" (another or no prediction) or "direction" (same pair, opposite differs)
    annotated: str
    gold_pred: str | None
    judge_pred: str | None
    gold_opposite: bool | None
    judge_opposite: bool | None
    predicted: str | None  # the judge's prediction, else gold's


@dataclass
class JudgeReport:
    judge: dict[str, Any]  # the judge's identity()
    n_cases: int
    overall: dict[str, Figure]
    per_domain: dict[str, dict[str, Figure]]
    disagreements: list[Disagreement] = field(default_factory=list)
    judge_errors: dict[str, str] = field(default_factory=dict)  # case id -> error

    def to_json(self) -> dict[str, Any]:
        return {"judge": self.judge, "n_cases": self.n_cases,
                "overall": {k: asdict(v) for k, v in self.overall.items()},
                "per_domain": {d: {k: asdict(v) for k, v in figs.items()}
                               for d, figs in self.per_domain.items()},
                "disagreements": [asdict(d) for d in self.disagreements],
                "judge_errors": self.judge_errors}


def as_sample(case: GoldCase) -> tuple[Sample, dict[str, DiffPrediction]]:
    """A gold case as open mode sees it: a sample (every annotated key labelled) and its
    predictions."""
    video = VideoRef(f"gold/{case.id}.mp4", 1.0, (None, None, None))
    sample = Sample(
        sample_key=case.id, videos=(video, video), action=case.action,
        action_name=case.action, action_description=case.action_description,
        source_dataset="gold", sample_hash=0, domain=case.domain, split="gold",
        n_differences_open_prediction=len(case.predicted),
        differences_annotated={k: Difference(k, k, d.description, "", "1")
                               for k, d in case.annotated.items()},
        differences_gt={k: d.label for k, d in case.annotated.items()},  # type: ignore[misc]
        retrieval_frames=({}, {}),
    )
    preds = {k: DiffPrediction(d.label, d.description)  # type: ignore[arg-type]
             for k, d in case.predicted.items()}
    return sample, preds


def _flip(label: str, opposite: bool) -> str:
    return {"a": "b", "b": "a"}[label] if opposite else label


def _compare(case: GoldCase, log: dict[str, Any], correct: dict[str, bool]
             ) -> tuple[dict[str, int], list[Disagreement]]:
    """Per-case counts and disagreements, from the scorer's log and scored rows."""
    matches: dict[str, str | None] = log.get("matches", {})
    opposite: dict[str, bool] = log.get("opposite", {})
    c = dict.fromkeys(("decisions", "agree", "pairs_judge", "pairs_gold", "pairs_right",
                       "direction_right", "scored", "recall_judge", "recall_gold"), 0)
    out: list[Disagreement] = []
    for key, diff in case.annotated.items():
        gold, mine = case.matches[key], matches.get(key)
        c["decisions"] += 1
        c["agree"] += (gold.pred if gold else None) == mine
        c["pairs_judge"] += mine is not None
        c["pairs_gold"] += gold is not None
        same_pair = gold is not None and gold.pred == mine
        c["pairs_right"] += same_pair
        flag = opposite.get(key) if mine is not None else None
        if same_pair and gold is not None:
            c["direction_right"] += flag == gold.opposite
        if diff.label in ("a", "b"):
            c["scored"] += 1
            c["recall_judge"] += correct.get(key, False)
            if gold is not None:
                label = _flip(case.predicted[gold.pred].label, gold.opposite)
                c["recall_gold"] += label == diff.label
        if (gold.pred if gold else None) != mine or (gold is not None and flag != gold.opposite):
            shown = mine or (gold.pred if gold else None)
            out.append(Disagreement(
                case.id, key, "direction" if same_pair else "match", diff.description,
                gold.pred if gold else None, mine, gold.opposite if gold else None, flag,
                case.predicted[shown].description if shown else None))
    return c, out


def _ratio(num: np.ndarray, den: np.ndarray, point: tuple[float, float]) -> Figure:
    """point[0] / point[1], with the percentile interval of the resampled ratios."""
    value = float(point[0] / point[1]) if point[1] else None
    with np.errstate(divide="ignore", invalid="ignore"):
        samples = num / den
    samples = samples[np.isfinite(samples)]
    if value is None or not samples.size:
        return Figure(value, None, None, int(point[1]))
    low, high = np.percentile(samples, [2.5, 97.5])
    return Figure(value, float(low), float(high), int(point[1]))


def _figures(counts: list[dict[str, int]], n_boot: int, seed: int) -> dict[str, Figure]:
    if not counts:
        return {name: Figure(None, None, None, 0) for name in FIGURES}
    col = {n: i for i, n in enumerate(counts[0])}
    table = np.array([list(c.values()) for c in counts], dtype=float)
    idx = np.random.default_rng(seed).integers(0, len(counts), size=(n_boot, len(counts)))
    boot, total = table[idx].sum(axis=1), table.sum(axis=0)  # resampling whole cases
    out = {name: _ratio(boot[:, col[num]], boot[:, col[den]], (total[col[num]], total[col[den]]))
           for name, (num, den) in RATIOS.items()}
    judge, gold, scored = col["recall_judge"], col["recall_gold"], col["scored"]
    out["recall_bias"] = _ratio(boot[:, judge] - boot[:, gold], boot[:, scored],
                                (total[judge] - total[gold], total[scored]))
    return out


async def evaluate_judge(judge: Judge, cases: list[GoldCase], *, concurrency: int = 8,
                         n_boot: int = 1000, seed: int = 0) -> JudgeReport:
    """Run `judge` on the gold cases as open-mode scoring would and compare with gold."""
    pairs = [as_sample(c) for c in cases]
    rows, logs = await judge_open([s for s, _ in pairs], {s.sample_key: p for s, p in pairs},
                                  judge, concurrency=concurrency)
    correct: dict[str, dict[str, bool]] = defaultdict(dict)
    for r in rows:
        correct[r.sample_key][r.gt_key] = r.correct
    by_id = {log["sample_key"]: log for log in logs}
    counts: list[dict[str, int]] = []
    disagreements: list[Disagreement] = []
    by_domain: dict[str, list[dict[str, int]]] = defaultdict(list)
    for case in cases:
        c, d = _compare(case, by_id[case.id], correct[case.id])
        counts.append(c)
        by_domain[case.domain].append(c)
        disagreements.extend(d)
    return JudgeReport(
        judge=judge.identity(), n_cases=len(cases),
        overall=_figures(counts, n_boot, seed),
        per_domain={d: _figures(cs, n_boot, seed) for d, cs in sorted(by_domain.items())},
        disagreements=disagreements,
        judge_errors={log["sample_key"]: log["judge_error"] for log in logs
                      if "judge_error" in log})


HELDOUT_NAME = "vdbench held-out b v1"


async def measured_quality(judge: Judge, concurrency: int = 8) -> dict[str, Any]:
    """The judge's figures on the packaged held-out set (gold/heldout_b_v1.json: human
    decisions written apart from the judge's development and never used to tune it), to
    travel with its scores: its calls go through the run's runtime and cache, so a judge is
    measured once per cache."""
    from vdbench.scoring.judge.gold import HELDOUT_PATH, load_gold

    report = await evaluate_judge(judge, load_gold(HELDOUT_PATH), concurrency=concurrency)
    return {"gold": HELDOUT_NAME, "n_cases": report.n_cases,
            **{k: asdict(v) for k, v in report.overall.items()},
            "judge_errors": len(report.judge_errors)}
