"""A ViDiC-1K run as the viewer shows it (docs/vidic.md): the accuracy over all checklist
items, over the difference and the similarity items, the judge and its measured agreement,
the scores by class and by source; per pair both videos, the model's comparison text and
every checklist item with the correct answer, the judge's answer and its explanation.

A ViDiC sample (benchmarks/vidic/sample.py) holds two videos and its checklist; its rows in
samples.jsonl are keyed by item_key (d0, s0, ...); the text is the `response` of its
outputs.jsonl line, or of the prediction file a `score`d folder names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vdbench.benchmarks.catalog import get_benchmark
from vdbench.benchmarks.vidic.sample import CLASSES, KINDS
from vdbench.core.errors import InputError
from vdbench.core.results import Block
from vdbench.viewer.differences import Result
from vdbench.viewer.records import RunRecord, SampleRecord
from vdbench.viewer.sample_view import RAW_SHOWN, SampleView, section
from vdbench.viewer.summary import (
    Breakdown,
    Card,
    Fact,
    Filter,
    ScoreRow,
    Summary,
    ci_text,
    complete_card,
    facts,
    pct,
    run_summary,
    score_row,
    unique,
)
from vdbench.viewer.thumbs import Strip
from vdbench.viewer.videos import video

DETAIL_TEMPLATE = "sample_checklist.html.j2"


# --- the summary ---------------------------------------------------------------------------

def summary(rec: RunRecord) -> Summary:
    r = rec.results
    metric = r.headline_metric
    groups = r.breakdowns or {}
    kinds = groups.get("kind") or {}
    cards = [Card(metric, pct(r.headline),
                  f"95% CI {ci_text(r.ci95)} · {r.n_scored} checklist items")]
    for kind in KINDS:
        block = kinds.get(kind) or {}
        cards.append(Card(f"{kind} {metric}", pct(r.metrics.get(f"{kind}_{metric}")),
                          f"{block.get('n_scored', 0)} items, 95% CI "
                          f"{ci_text(block.get('ci95'))}"))
    cards += [Card("coverage", pct(r.coverage),
                   f"{r.n_scored} items scored in {r.n_samples} pairs"),
              complete_card(r),
              Card("judge", judge_name(r.judge), judge_measured(r.judge))]
    try:
        title = get_benchmark(r.benchmark).title
    except InputError:
        title = r.benchmark
    shown = [Fact("benchmark", f"{title} ({r.benchmark})")] + facts(rec)
    blank = r.metrics.get("blank_text_accuracy")
    if isinstance(blank, (int, float)):
        shown.append(Fact("blank text", f"a text stating no difference would score "
                          f"{pct(blank)} (every similarity item right, every difference wrong)"))
    errors = r.metrics.get("err_judge")
    if isinstance(errors, (int, float)) and errors > 0:
        shown.append(Fact("judge errors", f"{pct(errors)} of the items: counted wrong"))
    tables = [Breakdown(name, "items", rows) for name, rows in (
        ("class", _rows(groups.get("class") or {}, metric, CLASSES)),
        ("source", _rows(groups.get("domain") or {}, metric, ()))) if rows]
    return run_summary(rec, cards, shown, "class and source", tables)


def _rows(blocks: dict[str, Block], metric: str, order: tuple[str, ...]) -> list[ScoreRow]:
    ranked = sorted(blocks, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [score_row(name, blocks[name], metric) for name in ranked]


def judge_name(identity: Any) -> str:
    """A ViDiC judge as results.json records it: "offline-lexical v1", "llm:gpt-5-mini"."""
    if not isinstance(identity, dict) or not identity.get("name"):
        return "none" if identity in (None, "", {}) else str(identity)
    name = str(identity["name"])
    if identity.get("version") is not None:
        name += f" v{identity['version']}"
    if identity.get("comparable") is False:
        name += " (smoke tests only)"
    return name


def judge_measured(identity: Any) -> str:
    """Its agreement with the human answers of the gold set, overall and per kind."""
    measured = identity.get("measured") if isinstance(identity, dict) else None
    if not isinstance(measured, dict) or not isinstance(measured.get("agreement"),
                                                        (int, float)):
        return "agreement with human answers not measured"
    text = (f"agrees with {pct(measured['agreement'])} (95% CI "
            f"{ci_text(measured.get('agreement_ci95'))}) of human answers on "
            f"{measured.get('gold', 'the gold set')} ({measured.get('n_items', '?')} items)")
    per_kind = [f"{kind} {pct(measured[kind].get('agreement'))}" for kind in KINDS
                if isinstance(measured.get(kind), dict)]
    if per_kind:
        text += ": " + ", ".join(per_kind)
    kappa = measured.get("cohen_kappa")
    if isinstance(kappa, (int, float)):
        text += f"; Cohen's kappa {kappa:.2f}"
    return text


# --- the filters ---------------------------------------------------------------------------

def filters(samples: list[SampleRecord]) -> list[Filter]:
    pairs = [s.sample for s in samples]
    classes = sorted({i.cls for p in pairs for i in p.checklist},
                     key=lambda c: (CLASSES.index(c) if c in CLASSES else len(CLASSES), c))
    return [
        Filter("domain", "Source", unique((d, d) for d in sorted({p.domain for p in pairs}))),
        Filter("action", "Edit", unique((a, a) for a in sorted({p.action for p in pairs}))),
        Filter("result", "Pair", [("correct", "all items right"), ("wrong", "some wrong"),
                                  ("none", "nothing scored")]),
        Filter("class", "Class", [(c, c) for c in classes], scope="item"),
        Filter("kind", "Kind", [(k, k) for k in KINDS], scope="item"),
        Filter("outcome", "Items", [("wrong", "wrong only"), ("correct", "right only")],
               scope="item"),
    ]


# --- one pair ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemRow:
    key: str  # d0, s0, ...
    kind: str  # difference | similarity
    cls: str
    question: str
    correct: str  # the correct answer: yes | no
    judge: str  # the judge's answer, "—" for none
    explanation: str
    result: Result
    outcome: str  # correct | wrong | none: the item filter's value


@dataclass(frozen=True)
class ChecklistDetail:
    response: str | None  # the model's text (cut to RAW_SHOWN characters); None: none
    response_length: int
    no_response: str  # why there is none
    items: list[ItemRow]


def _item_result(row: dict[str, Any] | None) -> Result:
    if row is None:
        return Result("none", "not scored")
    if row.get("correct") is True:
        return Result("correct", "✓ right")
    if row.get("judge_answer") is None:
        if row.get("status") == "judge_error":
            return Result("wrong", "✗ judge error")
        return Result("wrong", f"✗ no text ({row.get('status', '?')})")
    return Result("wrong", "✗ wrong")


def item_rows(rec: SampleRecord) -> list[ItemRow]:
    rows = []
    for item in rec.sample.checklist:
        row = rec.rows.get(item.key)
        result = _item_result(row)
        answer = row.get("judge_answer") if row else None
        rows.append(ItemRow(item.key, item.kind, item.cls, item.question, item.answer,
                            str(answer) if answer else "—",
                            str(row.get("explanation") or "") if row else "", result,
                            result.cls))
    return rows


def response_of(rec: SampleRecord) -> str | None:
    """The model's text: its outputs.jsonl line's, or the prediction file's (`score`)."""
    if rec.output is not None:  # a run's own record of the model's reply
        text = rec.output.get("response")
        return text if isinstance(text, str) else None
    return rec.predictions if isinstance(rec.predictions, str) else None


def detail(rec: SampleRecord) -> ChecklistDetail:
    text = response_of(rec)
    if text is None:
        why = (f"no text: the model's output is {rec.status}" if rec.output
               else "no text: the prediction file has none for this pair, or was not found")
        return ChecklistDetail(None, 0, why, item_rows(rec))
    cut = f"\n… ({len(text) - RAW_SHOWN} more characters)" if len(text) > RAW_SHOWN else ""
    return ChecklistDetail(text[:RAW_SHOWN] + cut, len(text), "", item_rows(rec))


def sample_view(rec: SampleRecord, strips: tuple[Strip, Strip] | None,
                frame_error: str | None, mode: str) -> SampleView:
    s = rec.sample
    shown = detail(rec)
    n_scored = len(rec.rows)
    n_right = sum(r.get("correct") is True for r in rec.rows.values())
    n_diff = sum(i.kind == "difference" for i in s.checklist)
    raw = (rec.output or {}).get("raw")
    return section(
        rec, data=[("domain", s.domain), ("action", s.action), ("result", rec.result)],
        title=s.action, chips=[s.domain, _count(n_diff, "difference item"),
                               _count(len(s.checklist) - n_diff, "similarity item")],
        description=None,
        verdict=f"{n_right} of {n_scored} items right" if n_scored else "nothing scored",
        videos=[video(s.videos[i], "ab"[i], strips[i] if strips else None, frame_error, None)
                for i in range(2)],
        detail_template=DETAIL_TEMPLATE, detail=shown,
        show_raw=bool(raw) and raw != response_of(rec))


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"
