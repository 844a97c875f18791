"""One sample as the viewer shows it: its heading, the model's errors and notes, both videos,
its detail (drawn by the partial `detail_template` names) and the raw reply. SampleView and
section() serve every benchmark; sample_view() shapes a VidDiffBench sample (the differences
tables, closed or open)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from vdbench.viewer.differences import closed_rows, open_detail, with_frames
from vdbench.viewer.records import SampleRecord
from vdbench.viewer.thumbs import Strip
from vdbench.viewer.videos import VideoView, viddiff_markers, video

RAW_SHOWN = 20_000  # characters of a model's raw reply shown per sample

# the partial that draws a VidDiffBench sample's detail, by mode (ViDiC's: checklist.py)
DETAIL_TEMPLATES = {"closed": "sample_closed.html.j2", "open": "sample_open.html.j2"}


@dataclass(frozen=True)
class SampleView:
    anchor: str
    key: str
    data: list[tuple[str, str]]  # the section's data- attributes the filters compare
    title: str
    chips: list[str]
    description: str | None  # a paragraph under the heading; None: none
    result: str  # correct | wrong | none: the filter's value
    verdict: str
    status: str
    status_bad: bool
    error: str  # "status: error", "" for none
    notes: list[str]
    videos: list[VideoView]
    detail_template: str
    detail: Any  # what that partial draws
    with_frames: bool  # the tables have a keyframes column
    raw: str  # the model's raw reply, cut to RAW_SHOWN characters
    raw_length: int


def section(rec: SampleRecord, *, data: list[tuple[str, str]], title: str, chips: list[str],
            description: str | None, verdict: str, videos: list[VideoView],
            detail_template: str, detail: Any, with_frames: bool = False,
            show_raw: bool = True) -> SampleView:
    """A sample's section: what the benchmark shapes, with the status, the model's error and
    notes and its raw reply (show_raw False: not shown, as the detail shows it already)."""
    out = rec.output or {}
    notes = out.get("notes") or []
    text = _raw_text(out.get("raw")) if show_raw else ""
    cut = f"\n… ({len(text) - RAW_SHOWN} more characters)" if len(text) > RAW_SHOWN else ""
    key = rec.sample.sample_key
    return SampleView(
        anchor=f"sample-{key}", key=key, data=data, title=title, chips=chips,
        description=description, result=rec.result, verdict=verdict,
        status=rec.status, status_bad=rec.status not in ("ok", "mixed"),
        error=f"{out.get('status')}: {out['error']}" if out.get("error") else "",
        notes=[str(n) for n in (notes if isinstance(notes, list) else [notes])],
        videos=videos, detail_template=detail_template, detail=detail,
        with_frames=with_frames, raw=text[:RAW_SHOWN] + cut if text else "",
        raw_length=len(text))


def sample_view(rec: SampleRecord, strips: tuple[Strip, Strip] | None,
                frame_error: str | None, mode: str) -> SampleView:
    s = rec.sample
    n_scored = len(rec.rows)
    n_correct = sum(r.get("correct") is True for r in rec.rows.values())
    return section(
        rec, data=[("split", s.split), ("domain", s.domain), ("action", s.action),
                   ("result", rec.result)],
        title=s.action_name, chips=[s.split, s.domain, s.action, s.source_dataset],
        description=s.action_description,
        verdict=f"{n_correct} of {n_scored} correct" if n_scored else "nothing scored",
        videos=[video(s.videos[i], "ab"[i], strips[i] if strips else None, frame_error,
                      viddiff_markers(rec, i, mode)) for i in range(2)],
        detail_template=DETAIL_TEMPLATES[mode],
        detail=closed_rows(rec) if mode == "closed" else open_detail(rec),
        with_frames=with_frames(rec))


def _raw_text(raw: Any) -> str:
    if not raw:
        return ""
    return raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, indent=1)
