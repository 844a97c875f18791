"""Open-mode scoring (docs/protocol.md): a judge matches annotated differences to predicted ones,
matched pairs are checked for opposite wording (the prediction flips when opposite), and
recall = matched and correct / number of a/b labels. The matching rules are enforced here,
whatever the judge replied: keys must exist and each prediction is used at most once."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from vdbench.core.errors import RunFailure
from vdbench.core.records import Record, doc, optional
from vdbench.data.predictions import Predictions
from vdbench.data.schema import Sample
from vdbench.llm.errors import summarize
from vdbench.scoring.closed import ScoredDifference, breakdowns, rate_block
from vdbench.scoring.judge.base import Judge, MatchTask
from vdbench.tasks.matching import enforce_matching, numeric_key

DIRECTION_BATCH = 6  # pairs per direction-check call, as in the paper


def _flip(label: str) -> str:
    return {"a": "b", "b": "a"}.get(label, label)


@dataclass(frozen=True)
class JudgedSample(Record):
    """One line of VidDiffBench's judge.jsonl (open mode): what the judge decided for one
    sample. Published as schemas/judge.viddiffbench.schema.json."""

    sample_key: str
    matches: dict[str, str | None] = field(metadata=doc(
        "annotated key -> the predicted key matched to it, or null, as the scorer kept it"))
    opposite: dict[str, bool] = field(metadata=doc(
        "annotated key -> whether the judge read its matched prediction as the opposite "
        "statement (a matched pair whose direction check failed is absent)"))
    repeated_predictions: list[str] | None = field(default=None, metadata=optional(
        "predicted keys whose description repeats an earlier one: never matched"))
    dropped: list[str] | None = field(default=None, metadata=optional(
        "what the scorer dropped from the judge's matching, and why"))
    judge_error: str | None = field(default=None, metadata=optional(
        "the judge's failure for this sample (its differences are counted in err_judge)"))


@dataclass
class _Judged:
    """One sample through the judge: its matching, then its direction decisions."""

    sample: Sample
    preds: dict
    status: str
    gt: dict[str, str]
    pred_desc: dict[str, str]
    matching: dict[str, str | None]
    opposite: dict[str, bool] = field(default_factory=dict)
    unresolved: set[str] = field(default_factory=set)  # matched, direction check failed
    repeats: list[str] | None = None
    dropped: list[str] | None = None
    judge_error: str | None = None

    def fail(self, exc: Exception) -> None:
        self.status, self.judge_error = "judge_error", summarize(exc)

    def record(self) -> JudgedSample:
        return JudgedSample(self.sample.sample_key, dict(self.matching), dict(self.opposite),
                            self.repeats, self.dropped, self.judge_error)

    def pairs(self) -> list[tuple[_Judged, str, str]]:
        return [(self, k, v) for k, v in self.matching.items() if v is not None]

    def rows(self) -> list[ScoredDifference]:
        out = []
        for k in self.sample.scored_keys:
            v = self.matching.get(k)
            flipped = self.opposite.get(k, False)
            final = None
            if v is not None and k not in self.unresolved:
                final = _flip(self.preds[v].prediction) if flipped else self.preds[v].prediction
            gt = self.sample.differences_gt[k] or ""
            out.append(ScoredDifference(self.sample.sample_key, k, gt, v, flipped, final,
                                        final == gt, self.status))
        return out


def _same_text(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def distinct_predictions(preds: dict) -> tuple[dict[str, str], list[str]]:
    """Predicted descriptions by key, a repeated one (same words once case, spacing and
    punctuation are normalised) counted once: it cannot win a second match."""
    seen: set[str] = set()
    kept, repeats = {}, []
    for k, p in preds.items():
        text = _same_text(p.description)
        if text in seen:
            repeats.append(k)
            continue
        seen.add(text)
        kept[k] = p.description
    return kept, repeats


async def _match(sample: Sample, preds: dict, judge: Judge, status: str,
                 annotated_order: bool) -> _Judged:
    keys = sample.labelled_keys
    gt = {k: d.description
          for k in (sample.in_annotated_order(keys) if annotated_order else keys)
          if (d := sample.differences_annotated.get(k))}
    pred_desc, repeats = distinct_predictions(preds)
    judged = _Judged(sample, preds, status, gt, pred_desc, dict.fromkeys(gt),
                     repeats=repeats or None)
    if gt and pred_desc:
        try:
            raw = await judge.match(MatchTask(sample.sample_key, sample.action_description, gt,
                                              pred_desc))
            judged.matching, dropped = enforce_matching(raw, list(gt), list(pred_desc))
            if dropped:
                judged.dropped = dropped
        except RunFailure:
            raise
        except Exception as exc:  # a judge failure is recorded, never silently scored
            judged.fail(exc)
    return judged


async def _directions(batch: list[tuple[_Judged, str, str]], judge: Judge) -> None:
    """One direction-check call for matched pairs (of one sample or of several)."""
    try:
        flags = await judge.opposites([(j.gt[k], j.pred_desc[v]) for j, k, v in batch])
    except RunFailure:
        raise
    except Exception as exc:
        for j, k, _ in batch:
            j.fail(exc)
            j.unresolved.add(k)
        return
    for (j, k, _), flag in zip(batch, flags):
        j.opposite[k] = bool(flag)


def _batches(pairs: list[tuple[_Judged, str, str]], size: int) -> list[list]:
    return [pairs[i: i + size] for i in range(0, len(pairs), size)]


async def judge_open(
    samples: list[Sample], preds: Predictions, judge: Judge,
    statuses: dict[str, str] | None = None, concurrency: int = 8, *,
    direction_batch: int = DIRECTION_BATCH, batch_across_samples: bool = False,
    annotated_order: bool = False,
) -> tuple[list[ScoredDifference], list[dict[str, Any]]]:
    """Match every sample, then check the matched pairs' direction, `direction_batch` pairs a
    call: within each sample, or (as the reference does) over all samples, in the order of
    `samples` and of each sample's numeric keys. `annotated_order`: the matching prompt lists
    the annotated differences in the order of differences_annotated, as the reference does."""
    slots = asyncio.Semaphore(concurrency)

    async def bounded(make):
        async with slots:
            return await make()

    def status_of(s: Sample) -> str:
        return (statuses or {}).get(s.sample_key, "ok" if s.sample_key in preds else "missing")

    judged = await asyncio.gather(*(
        bounded(lambda s=s: _match(s, preds.get(s.sample_key, {}), judge, status_of(s),
                                   annotated_order))
        for s in samples))
    if batch_across_samples:
        ordered = [p for j in judged for p in sorted(j.pairs(), key=lambda p: numeric_key(p[1]))]
        batches = _batches(ordered, direction_batch)
    else:
        batches = [b for j in judged for b in _batches(j.pairs(), direction_batch)]
    await asyncio.gather(*(bounded(lambda b=b: _directions(b, judge)) for b in batches))
    return [r for j in judged for r in j.rows()], [j.record().to_json() for j in judged]


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
