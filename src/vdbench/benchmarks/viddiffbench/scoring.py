"""VidDiffBench's scoring: one path for model runs and submitted files, closed or open, and
the comparison of the two video orders under --swap."""

from __future__ import annotations

from typing import Any

from vdbench.core.results import HEADLINE
from vdbench.core.types import SampleOutput
from vdbench.data.predictions import Predictions
from vdbench.data.schema import Sample
from vdbench.llm.context import CallContext
from vdbench.scoring.closed import closed_results, score_rows
from vdbench.scoring.judge.base import Judge
from vdbench.scoring.judge.evaluate import measured_quality
from vdbench.scoring.localization import localization_metrics
from vdbench.scoring.settings import Scored, ScoringSettings
from vdbench.scoring.stats import binomial_test


async def score_predictions(
    samples: list[Sample], preds: Predictions, cfg: ScoringSettings,
    statuses: dict[str, str] | None = None, judge: Judge | None = None,
    ctx: CallContext | None = None, matched_by: dict[str, Any] | None = None,
) -> Scored:
    """Closed mode needs neither judge nor context; open mode takes the run's judge, or makes
    one from `cfg.judge` in `ctx` and closes it. `matched_by`: the model keyed its open-mode
    answers by annotated keys itself (VidDiff's open_protocol=paper): scored with no judge
    and no direction check, and recorded as such, so it is never ranked with judged runs."""
    judge_log = None
    if cfg.mode == "closed" or matched_by is not None:
        from vdbench.scoring.open import open_results

        rows = score_rows(samples, preds, statuses)
        results = closed_results(samples, rows) if cfg.mode == "closed" else open_results(
            samples, rows)
        if matched_by is not None:
            results["judge"] = matched_by
    else:
        from vdbench.scoring.judge.select import get_judge
        from vdbench.scoring.open import judge_open, open_results

        own = judge is None
        if judge is None:
            assert ctx is not None, "open mode needs a judge or a context to make one"
            judge = get_judge(cfg.judge, ctx)
        try:
            if own:
                await judge.preflight()
            rows, judge_log = await judge_open(
                samples, preds, judge, statuses, cfg.concurrency,
                direction_batch=cfg.direction_batch,
                batch_across_samples=cfg.batch_across_samples,
                annotated_order=cfg.annotated_order)
            if cfg.measure_judge:
                measured = await measured_quality(judge, cfg.concurrency)
        finally:
            if own:
                await judge.aclose()
        results = open_results(samples, rows)
        results["judge"] = {**judge.identity(),
                            "direction_batch": cfg.direction_batch,
                            "batch_across_samples": cfg.batch_across_samples,
                            **({"measured": measured} if cfg.measure_judge else {})}
    localization = localization_metrics(samples, preds, rows, cfg.tolerance_s)
    if localization:
        results["localization"] = localization
    return Scored(results, [r.to_json() for r in rows], judge_log)


BLOCK_COUNTS = ("n_scored", "n_correct", "n_answered")
RESULT_BLOCKS = ("n_scored", "coverage", "status_counts", "metrics", "ci95", "by_split",
                 "by_domain", "by_action")


def epoch_mean(samples: list[Sample], mode: str, epochs: list[Scored]) -> dict[str, Any]:
    """The scoring blocks over all epochs together: each headline is the mean over epochs
    (every epoch scores the same differences), its interval resamples pairs with all their
    epochs' answers, counts are per epoch, and the test against chance takes one epoch's
    size, so repeating a run never makes it look surer than one run of it."""
    from vdbench.scoring.closed import ScoredDifference
    from vdbench.scoring.open import open_results

    rows = [ScoredDifference(**r) for e in epochs for r in e.rows]
    pooled = (closed_results if mode == "closed" else open_results)(samples, rows)
    n = len(epochs)
    for group in ("by_split", "by_domain", "by_action"):
        for block in pooled[group].values():
            for key in BLOCK_COUNTS:
                block[key] = block[key] / n if block[key] % n else block[key] // n
            if "p_vs_chance" in block:
                block["p_vs_chance"] = binomial_test(round(block["n_correct"]),
                                                     block["n_scored"])
    if "p_vs_chance" in pooled["metrics"]:
        pooled["metrics"]["p_vs_chance"] = binomial_test(
            round(sum(r.correct for r in rows) / n), len(rows) // n)
    pooled["n_scored"] //= n
    pooled["metrics"]["epochs"] = n
    return {k: pooled[k] for k in RESULT_BLOCKS}


def as_predictions(outputs: list[SampleOutput]) -> Predictions:
    return {o.sample_key: o.predictions for o in outputs if o.predictions}


def swap_consistency(original: Predictions, swapped: Predictions, samples: list[Sample]) -> dict:
    """Fraction of differences answered the same way whatever the video order (closed mode)."""
    flip = {"a": "b", "b": "a"}
    same = both = 0
    for s in samples:
        for k in s.scored_keys:
            p, q = original.get(s.sample_key, {}).get(k), swapped.get(s.sample_key, {}).get(k)
            if p and q:
                both += 1
                same += p.prediction == flip[q.prediction]
    return {"consistency": same / both if both else None, "n_answered_both": both}


def swap_summary(mode: str, given: Scored, swapped: Scored, given_preds: Predictions,
                 swapped_preds: Predictions, samples: list[Sample]) -> dict[str, Any]:
    metric = HEADLINE[mode]
    a, b = given.results["metrics"][metric], swapped.results["metrics"][metric]
    consistency = (swap_consistency(given_preds, swapped_preds, samples)
                   if mode == "closed" else {"consistency": None})
    return {"metric": metric, "original_order": a, "swapped_order": b,
            "mean": (a + b) / 2 if a is not None and b is not None else None, **consistency}
