"""The rows of a sample's differences tables, as plain text for the templates: closed mode
(one row per annotated difference: gt, the model's answer, the result) and open mode (the
judge's match to a predicted difference and its direction, then the predicted differences)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vdbench.viewer.records import SampleRecord
from vdbench.viewer.videos import frame_times, times_text


@dataclass(frozen=True)
class Annotated:
    name: str
    description: str


@dataclass(frozen=True)
class Result:
    cls: str  # correct | wrong | none
    text: str


@dataclass(frozen=True)
class DiffRow:
    key: str
    scored: bool
    annotated: Annotated | None  # None: no annotation
    gt: str  # a, b, c or null
    result: Result
    frames: list[str]  # per video: the model's keyframes and the annotated frames
    answer: str  # the model's label, "" for none
    reason: str = ""  # closed mode: the model's description
    match: Match | None = None  # open mode


@dataclass(frozen=True)
class Match:
    """Open mode: the predicted difference the judge matched to an annotated one."""

    pred_key: str | None  # None: no match
    judged: bool  # the judge considered this difference (its "no match" is a verdict)
    description: str | None  # None: the key is not in the predictions
    says: str | None  # the predicted label, None when not in the predictions
    direction: str  # flipped | same | —


@dataclass(frozen=True)
class PredRow:
    key: str
    description: str
    says: str
    matched_to: list[tuple[str, bool]]  # (annotated key, opposite direction)
    keyframes: list[str]


@dataclass(frozen=True)
class OpenDetail:
    rows: list[DiffRow]
    predictions: list[PredRow]
    no_predictions: bool  # the model predicted nothing at all
    judge_error: str
    dropped: list[str]


def result(row: dict[str, Any] | None, scored: bool, mode: str = "closed") -> Result:
    if not scored:
        return Result("none", "not scored")
    if row is None:
        return Result("none", "no row")
    if row.get("correct") is True:
        return Result("correct", "✓ correct")
    if mode == "open" and row.get("pred_key") is None:
        return Result("wrong", "✗ no match")
    if row.get("prediction") is None:
        return Result("wrong", "✗ no answer")
    return Result("wrong", "✗ wrong")


def _annotated(rec: SampleRecord, key: str) -> Annotated | None:
    d = rec.sample.differences_annotated.get(key)
    return None if d is None else Annotated(d.name or "", d.description)


def _frames(rec: SampleRecord, gt_key: str, pred_key: str | None) -> list[str]:
    pred = rec.predictions.get(pred_key) if pred_key is not None else None
    lines = []
    for i, label in enumerate("ab"):
        fps = rec.sample.videos[i].fps_original
        annotated = frame_times(rec.sample.retrieval_frames[i].get(gt_key), fps)
        predicted = frame_times((pred.frames or {}).get(label) if pred else None, fps)
        if annotated or predicted:
            lines.append(f"{label}: model {times_text(predicted)} · annotated "
                         f"{times_text(annotated)}")
    return lines


def _keyframes(rec: SampleRecord, frames: dict[str, list[int]] | None) -> list[str]:
    return [f"{label}: {times_text(frame_times(frames[label], video.fps_original))}"
            for label, video in zip("ab", rec.sample.videos) if frames and frames.get(label)]


def with_frames(rec: SampleRecord) -> bool:
    """Whether any prediction of the sample names keyframes (the tables get a column)."""
    return any(p.frames for p in rec.predictions.values())


def closed_rows(rec: SampleRecord) -> list[DiffRow]:
    rows = []
    for key, gt in rec.sample.differences_gt.items():
        scored = gt in ("a", "b")
        row = rec.rows.get(key)
        pred = rec.predictions.get(key)
        answer = row.get("prediction") if row else (pred.prediction if pred else None)
        rows.append(DiffRow(
            key, scored, _annotated(rec, key), "null" if gt is None else gt,
            result(row, scored), _frames(rec, key, key), str(answer) if answer else "",
            reason=pred.description if pred and pred.description else ""))
    return rows


def open_detail(rec: SampleRecord) -> OpenDetail:
    judge = rec.judge or {}
    matches: dict[str, Any] = judge.get("matches") or {}
    opposite: dict[str, Any] = judge.get("opposite") or {}
    rows = []
    for key, gt in rec.sample.differences_gt.items():
        scored = gt in ("a", "b")
        row = rec.rows.get(key)
        pk = row.get("pred_key") if row else matches.get(key)
        pk = None if pk is None else str(pk)
        pred = rec.predictions.get(pk) if pk is not None else None
        if pk is None:
            direction = "—"
        else:
            flipped = bool(row.get("flipped")) if row else bool(opposite.get(key))
            direction = ("flipped" if flipped else "same" if key in opposite or row else "—")
        match = Match(pk, key in matches or bool(row), pred.description if pred else None,
                      pred.prediction if pred else None, direction)
        answer = row.get("prediction") if row else None
        rows.append(DiffRow(
            key, scored, _annotated(rec, key), "null" if gt is None else gt,
            result(row, scored, "open"), _frames(rec, key, pk), str(answer) if answer else "",
            match=match))

    matched_by: dict[str, list[str]] = {}
    for gk, pk in matches.items():
        if pk is not None:
            matched_by.setdefault(str(pk), []).append(str(gk))
    predictions = [
        PredRow(pk, pred.description, pred.prediction,
                [(g, bool(opposite.get(g))) for g in matched_by.get(pk, [])],
                _keyframes(rec, pred.frames))
        for pk, pred in rec.predictions.items()]
    return OpenDetail(rows, predictions, rec.predictions == {},
                      str(judge.get("judge_error") or ""),
                      [str(d) for d in judge.get("dropped") or []])
