"""Open-mode scoring (design.md): a judge matches annotated differences to predicted ones,
matched pairs are checked for opposite wording (the prediction flips when opposite), and
recall = matched and correct / number of a/b labels. The matching rules are enforced here,
whatever the judge replied: keys must exist and each prediction is used at most once."""

from __future__ import annotations

import asyncio
from typing import Any

from ..data.schema import Sample
from ..predictions import Predictions
from ..runtime import summarize
from .closed import ScoredDifference, breakdowns, rate_block
from .judge import Judge, MatchTask

DIRECTION_BATCH = 6  # pairs per direction-check call, as in the paper


def enforce_matching(
    raw: dict[str, Any], gt_keys: list[str], pred_keys: list[str]
) -> tuple[dict[str, str | None], list[str]]:
    """A valid one-to-one matching from a judge's reply, and what had to be dropped.

    Keys that do not exist are dropped; when several annotated differences claim the same
    prediction, only the first (in annotation order) keeps it, so recall cannot be inflated.
    """
    raw = {str(k): (None if v is None else str(v)) for k, v in raw.items()}
    out: dict[str, str | None] = dict.fromkeys(gt_keys)
    dropped: list[str] = []
    used: set[str] = set()
    for k, v in raw.items():
        k, v = str(k), (None if v is None else str(v))
        if k not in out:
            dropped.append(f"unknown annotated key {k!r}")
        elif v is not None and v not in pred_keys:
            dropped.append(f"{k!r} -> unknown predicted key {v!r}")
    for k in gt_keys:
        v = raw.get(k)
        v = None if v is None else str(v)
        if v is None or v not in pred_keys:
            continue
        if v in used:
            dropped.append(f"{k!r} -> {v!r} already matched")
            continue
        used.add(v)
        out[k] = v
    return out, dropped


def _flip(label: str) -> str:
    return {"a": "b", "b": "a"}.get(label, label)


async def _judge_sample(
    sample: Sample, preds: dict, judge: Judge, status: str
) -> tuple[list[ScoredDifference], dict[str, Any]]:
    gt = {k: d.description for k in sample.labelled_keys
          if (d := sample.differences_annotated.get(k))}
    pred_desc = {k: p.description for k, p in preds.items()}
    log: dict[str, Any] = {"sample_key": sample.sample_key}
    matching: dict[str, str | None] = dict.fromkeys(gt)
    if gt and pred_desc:
        try:
            raw = await judge.match(MatchTask(sample.sample_key, sample.action_description, gt,
                                              pred_desc))
            matching, dropped = enforce_matching(raw, list(gt), list(pred_desc))
            if dropped:
                log["dropped"] = dropped
        except Exception as exc:  # a judge failure is recorded, never silently scored
            status, log["judge_error"] = "judge_error", summarize(exc)
    matched = [(k, v) for k, v in matching.items() if v is not None]
    opposite: dict[str, bool] = {}
    unresolved: set[str] = set()  # matched, but the direction check failed: not scored
    for i in range(0, len(matched), DIRECTION_BATCH):
        batch = matched[i : i + DIRECTION_BATCH]
        try:
            flags = await judge.opposites([(gt[k], pred_desc[v]) for k, v in batch])
        except Exception as exc:
            status, log["judge_error"] = "judge_error", summarize(exc)
            unresolved.update(k for k, _ in batch)
            continue
        opposite.update({k: bool(f) for (k, _), f in zip(batch, flags)})
    log["matches"] = matching
    log["opposite"] = opposite
    rows = []
    for k in sample.scored_keys:
        v = matching.get(k)
        flipped = opposite.get(k, False)
        final = None
        if v is not None and k not in unresolved:
            final = _flip(preds[v].prediction) if flipped else preds[v].prediction
        rows.append(ScoredDifference(sample.sample_key, k, sample.differences_gt[k] or "", v,
                                     flipped, final, final == sample.differences_gt[k], status))
    return rows, log


async def judge_open(
    samples: list[Sample], preds: Predictions, judge: Judge,
    statuses: dict[str, str] | None = None, concurrency: int = 8,
) -> tuple[list[ScoredDifference], list[dict[str, Any]]]:
    slots = asyncio.Semaphore(concurrency)

    async def one(s: Sample):
        status = (statuses or {}).get(s.sample_key, "ok" if s.sample_key in preds else "missing")
        async with slots:
            return await _judge_sample(s, preds.get(s.sample_key, {}), judge, status)

    done = await asyncio.gather(*(one(s) for s in samples))
    return [r for rows, _ in done for r in rows], [log for _, log in done]


def open_block(rows: list[ScoredDifference]) -> dict[str, Any]:
    n = len(rows)
    block = rate_block(rows, "recall", test_chance=False)
    # a failed judge is not the model's error: those misses are counted apart
    judge_failed = sum(r.status == "judge_error" and not r.correct for r in rows)
    judged = [r for r in rows if r.status != "judge_error"]
    nomatch = sum(r.pred_key is None for r in judged)
    wrong = sum(r.pred_key is not None and not r.correct for r in judged)
    block.update({
        # coverage counts differences whose sample had a usable reply; a miss is the model's
        "n_answered": sum(r.status in ("ok", "partial") for r in rows),
        "err_nomatch": nomatch / n if n else None,
        "err_flippedpred": wrong / n if n else None,
        "err_judge": judge_failed / n if n else None,
        "matched_fraction": sum(r.pred_key is not None for r in rows) / n if n else None,
    })
    return block


def open_results(samples: list[Sample], rows: list[ScoredDifference]) -> dict[str, Any]:
    overall = open_block(rows)
    return breakdowns(samples, rows, overall, open_block, "recall",
                      extra=("err_nomatch", "err_flippedpred", "err_judge", "matched_fraction"))
