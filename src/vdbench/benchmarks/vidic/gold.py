"""The checklist judge measured against human decisions (`vdbench judge-eval --benchmark
vidic`): gold/checklist_gold_v1.json holds comparison texts written for vdbench (not from the
ViDiC-1K data), each with checklist questions in the published style and the answer a careful
reader gives under the authors' judging principles (docs/vidic.md, "Gold set")."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vdbench.benchmarks.vidic.judge import ChecklistJudge
from vdbench.benchmarks.vidic.sample import ChecklistItem
from vdbench.core.errors import RunFailure
from vdbench.llm.errors import summarize

GOLD_PATH = Path(__file__).parent / "gold" / "checklist_gold_v1.json"
GOLD_NAME = "vidic checklist gold v1"


@dataclass(frozen=True)
class GoldItem:
    case_id: str
    text: str
    item: ChecklistItem  # .answer: the human's


def load_checklist_gold(path: Path = GOLD_PATH) -> list[GoldItem]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for case in raw["cases"]:
        counts = {"difference": 0, "similarity": 0}
        for entry in case["items"]:
            kind = entry["kind"]
            out.append(GoldItem(case["id"], case["text"], ChecklistItem(
                kind, counts[kind], entry["class"], entry["question"], entry["answer"])))
            counts[kind] += 1
    return out


def _figures(gold: list[str], judged: list[str | None], cases: list[str],
             n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Agreement, yes-precision and yes-recall (a judge error disagrees), Cohen's kappa; the
    agreement's 95% interval resamples texts (a text's items are correlated)."""
    n = len(gold)
    agree = [g == j for g, j in zip(gold, judged, strict=True)]
    said_yes = sum(j == "yes" for j in judged)
    gold_yes = sum(g == "yes" for g in gold)
    both_yes = sum(g == "yes" and j == "yes" for g, j in zip(gold, judged, strict=True))
    p_o = sum(agree) / n if n else 0.0
    decided = [j for j in judged if j is not None]
    p_yes_j = said_yes / n if n else 0.0
    p_yes_g = gold_yes / n if n else 0.0
    p_e = p_yes_j * p_yes_g + (len(decided) - said_yes) / max(n, 1) * (1 - p_yes_g)
    kappa = (p_o - p_e) / (1 - p_e) if p_e < 1 else None
    ids = sorted(set(cases))
    per = np.array([[sum(a for a, c in zip(agree, cases, strict=True) if c == i),
                     sum(c == i for c in cases)] for i in ids], dtype=float)
    ci = None
    if len(ids) > 1:
        idx = np.random.default_rng(seed).integers(0, len(ids), size=(n_boot, len(ids)))
        boot = per[idx].sum(axis=1)
        low, high = np.percentile(boot[:, 0] / boot[:, 1], [2.5, 97.5])
        ci = [float(low), float(high)]
    return {"agreement": p_o if n else None, "agreement_ci95": ci,
            "yes_precision": both_yes / said_yes if said_yes else None,
            "yes_recall": both_yes / gold_yes if gold_yes else None,
            "cohen_kappa": kappa, "n_items": n, "n_texts": len(ids)}


async def measure_checklist_judge(judge: ChecklistJudge, concurrency: int = 8,
                                  path: Path = GOLD_PATH) -> dict[str, Any]:
    """The judge over the gold set: agreement with the human answers (overall and per kind),
    yes-precision and recall, Cohen's kappa, the disagreements and the judge errors."""
    items = load_checklist_gold(path)
    slots = asyncio.Semaphore(concurrency)

    async def one(g: GoldItem) -> tuple[str | None, str]:
        try:
            async with slots:
                d = await judge.decide(g.text, g.item)
            return d.answer, d.explanation
        except RunFailure:
            raise
        except Exception as exc:  # a judge error disagrees; it is reported, never guessed
            return None, f"judge_error: {summarize(exc)}"

    answers = await asyncio.gather(*(one(g) for g in items))
    judged = [a for a, _ in answers]
    out: dict[str, Any] = {"gold": GOLD_NAME, "judge": judge.identity(),
                           **_figures([g.item.answer for g in items], judged,
                                      [g.case_id for g in items])}
    for kind in ("difference", "similarity"):
        idx = [i for i, g in enumerate(items) if g.item.kind == kind]
        out[kind] = _figures([items[i].item.answer for i in idx], [judged[i] for i in idx],
                             [items[i].case_id for i in idx])
    out["judge_errors"] = sum(j is None for j in judged)
    out["disagreements"] = [
        {"case": g.case_id, "question": g.item.question, "kind": g.item.kind,
         "human": g.item.answer, "judge": a, "explanation": e}
        for g, (a, e) in zip(items, answers, strict=True) if a != g.item.answer]
    return out
