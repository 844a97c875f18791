"""ViDiC-1K's scores (docs/vidic.md, "Scoring"): a checklist item is correct when the judge's
answer equals the item's correct answer (utils/calculate.py of NJU-LINK/ViDiC-1K); accuracy
over all items (the headline, their "Avg."), over difference items ("Diff."), over
similarity items ("Sim.") and per class, with 95% intervals resampling pairs.

A pair whose model output failed (no usable text) has every item wrong and lowers coverage,
as VidDiffBench counts non-answers; their judge answers "error" for such a pair, which is
wrong too. An item the judge could not decide is wrong, marked judge_error and counted apart
(err_judge): never a guessed answer."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vdbench.benchmarks.vidic.judge import ChecklistJudge
from vdbench.benchmarks.vidic.sample import KINDS, VidicSample
from vdbench.core.errors import RunFailure
from vdbench.core.records import Record, optional
from vdbench.llm.errors import summarize
from vdbench.scoring.stats import binomial_test, bootstrap_ci

METRIC = "accuracy"
GROUPS = ("class", "kind", "domain", "action")


@dataclass(frozen=True)
class ScoredItem(Record):
    """One line of ViDiC-1K's samples.jsonl: one checklist item. judge.jsonl holds the same
    records for the items the judge decided (or failed on). Published as
    schemas/samples.vidic.schema.json and schemas/judge.vidic.schema.json."""

    sample_key: str
    item_key: str  # d0, d1, ... s0, ...
    cls: str
    kind: str
    question: str
    correct_answer: str
    judge_answer: str | None  # None: no text to judge, or the judge failed
    correct: bool
    status: str  # the sample's model status ("ok" for a submitted text), or judge_error
    explanation: str = ""
    judge_error: str | None = field(default=None, metadata=optional(
        "why the judge could not decide the item (the run's accounting counts it as a "
        "failure); absent otherwise"))

    @property
    def item(self) -> str:
        """The scored item within its sample (`compare` pairs runs on it)."""
        return self.item_key


async def judge_checklist(samples: list[VidicSample], responses: dict[str, str],
                          judge: ChecklistJudge, statuses: dict[str, str] | None = None,
                          concurrency: int = 8) -> list[ScoredItem]:
    """Every item of every sample: judged from the sample's text, or wrong with the sample's
    status when it has none."""
    slots = asyncio.Semaphore(concurrency)

    async def one(sample: VidicSample, item: Any, text: str | None, status: str) -> ScoredItem:
        base = dict(sample_key=sample.sample_key, item_key=item.key, cls=item.cls,
                    kind=item.kind, question=item.question, correct_answer=item.answer)
        if text is None:
            return ScoredItem(**base, judge_answer=None, correct=False, status=status)
        try:
            async with slots:
                decision = await judge.decide(text, item)
        except RunFailure:
            raise
        except Exception as exc:  # recorded, never scored as an answer
            why = summarize(exc)
            return ScoredItem(**base, judge_answer=None, correct=False, status="judge_error",
                              explanation=why, judge_error=why)
        return ScoredItem(**base, judge_answer=decision.answer,
                          correct=decision.answer == item.answer.lower(), status=status,
                          explanation=decision.explanation)

    jobs = []
    for s in samples:
        text = responses.get(s.sample_key)
        text = text if text and text.strip() else None
        status = (statuses or {}).get(s.sample_key, "ok" if text is not None else "missing")
        if status not in ("ok", "partial"):
            text = None
        jobs += [one(s, item, text, status) for item in s.checklist]
    return list(await asyncio.gather(*jobs))


def item_block(rows: list[ScoredItem]) -> dict[str, Any]:
    """Accuracy with its pair-bootstrap interval, counts, and the test against 0.5 a item."""
    by_pair: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        by_pair[r.sample_key].append(r.correct)
    n, k = len(rows), sum(r.correct for r in rows)
    # one pair resamples to itself: a zero-width interval would claim certainty it lacks
    ci = bootstrap_ci(list(by_pair.values())) if len(by_pair) > 1 else None
    return {
        METRIC: k / n if n else None,
        "ci95": list(ci) if ci else None,
        "n_scored": n,
        "n_correct": k,
        "n_answered": sum(r.judge_answer is not None for r in rows),
        "n_samples": len(by_pair),
        "n_judge_errors": sum(r.status == "judge_error" for r in rows),
        "p_vs_chance": binomial_test(k, n),
    }


def blank_text_level(rows: list[ScoredItem]) -> float | None:
    """What a text stating no difference scores under "the same unless stated otherwise": every
    item whose correct answer is "no" (in the published data, exactly the similarity items)."""
    return sum(r.correct_answer == "no" for r in rows) / len(rows) if rows else None


def _group_key(samples: dict[str, VidicSample], group: str) -> Callable[[ScoredItem], str]:
    if group == "class":
        return lambda r: r.cls
    if group == "kind":
        return lambda r: r.kind
    return lambda r: str(getattr(samples[r.sample_key], group))


def vidic_results(samples: list[VidicSample], rows: list[ScoredItem]) -> dict[str, Any]:
    by_sample = {s.sample_key: s for s in samples}
    overall = item_block(rows)
    breakdowns: dict[str, dict[str, Any]] = {}
    for group in GROUPS:
        key = _group_key(by_sample, group)
        groups: dict[str, list[ScoredItem]] = defaultdict(list)
        for r in rows:
            groups[key(r)].append(r)
        order = list(KINDS) if group == "kind" else sorted(groups)
        breakdowns[group] = {g: item_block(groups[g]) for g in order if g in groups}
    kind = breakdowns["kind"]
    n = overall["n_scored"]
    statuses = {r.sample_key: r.status for r in rows if r.status != "judge_error"}
    statuses.update({r.sample_key: "judge_error" for r in rows if r.status == "judge_error"})
    return {
        "n_samples": len(samples),
        "n_scored": n,
        # items whose pair had a text to judge; a pair without one is the model's failure
        "coverage": sum(r.status in ("ok", "partial", "judge_error") for r in rows) / n
        if n else 0.0,
        "status_counts": dict(sorted(Counter(statuses.values()).items())),
        "metrics": {
            METRIC: overall[METRIC], "ci95": overall["ci95"],
            "p_vs_chance": overall["p_vs_chance"],
            "difference_accuracy": kind.get("difference", {}).get(METRIC),
            "similarity_accuracy": kind.get("similarity", {}).get(METRIC),
            "blank_text_accuracy": blank_text_level(rows),
            "err_judge": overall["n_judge_errors"] / n if n else None,
        },
        "ci95": overall["ci95"],
        "breakdowns": breakdowns,
    }


BLOCK_COUNTS = ("n_scored", "n_correct", "n_answered", "n_samples", "n_judge_errors")


def epoch_results(samples: list[VidicSample], epochs: list[list[dict[str, Any]]]
                  ) -> dict[str, Any]:
    """The results over --epochs runs (each a list of samples.jsonl rows): every accuracy is
    the mean over epochs (each scores the same items), its interval resamples pairs with all
    their epochs' items, counts are per epoch, and the test against chance takes one epoch's
    size, so repeating a run never makes it look surer than one run of it."""
    n = len(epochs)
    rows = [ScoredItem(**r) for e in epochs for r in e]
    pooled = vidic_results(samples, rows)

    def per_epoch(block: dict[str, Any]) -> None:
        for key in BLOCK_COUNTS:
            if key == "n_samples":
                continue  # a pair is one pair however many epochs
            block[key] = block[key] / n if block[key] % n else block[key] // n
        block["p_vs_chance"] = binomial_test(round(block["n_correct"]), int(block["n_scored"]))

    for group in pooled["breakdowns"].values():
        for block in group.values():
            per_epoch(block)
    pooled["n_scored"] //= n
    pooled["metrics"]["p_vs_chance"] = binomial_test(
        round(sum(r.correct for r in rows) / n), len(rows) // n)
    pooled["metrics"]["epochs"] = n
    return pooled
