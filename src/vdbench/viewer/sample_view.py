"""One sample as the viewer shows it: its heading, the model's errors and notes, both videos,
its detail (the differences tables, drawn by the partial `detail` names) and the raw reply."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from vdbench.viewer.differences import closed_rows, open_detail, with_frames
from vdbench.viewer.load import SampleRecord
from vdbench.viewer.thumbs import Strip
from vdbench.viewer.videos import VideoView, video

RAW_SHOWN = 20_000  # characters of a model's raw reply shown per sample

# the partial that draws a sample's detail, by mode; a new kind of sample adds its own
DETAIL_TEMPLATES = {"closed": "sample_closed.html.j2", "open": "sample_open.html.j2"}


@dataclass(frozen=True)
class SampleView:
    anchor: str
    key: str
    split: str
    domain: str
    action: str
    action_name: str
    action_description: str
    source_dataset: str
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


def sample_view(rec: SampleRecord, strips: tuple[Strip, Strip] | None,
                frame_error: str | None, mode: str) -> SampleView:
    s = rec.sample
    n_scored = len(rec.rows)
    n_correct = sum(r.get("correct") is True for r in rec.rows.values())
    out = rec.output or {}
    notes = out.get("notes") or []
    text = _raw_text(out.get("raw"))
    cut = f"\n… ({len(text) - RAW_SHOWN} more characters)" if len(text) > RAW_SHOWN else ""
    return SampleView(
        anchor=f"sample-{s.sample_key}", key=s.sample_key, split=s.split, domain=s.domain,
        action=s.action, action_name=s.action_name, action_description=s.action_description,
        source_dataset=s.source_dataset, result=rec.result,
        verdict=f"{n_correct} of {n_scored} correct" if n_scored else "nothing scored",
        status=rec.status, status_bad=rec.status not in ("ok", "mixed"),
        error=f"{out.get('status')}: {out['error']}" if out.get("error") else "",
        notes=[str(n) for n in (notes if isinstance(notes, list) else [notes])],
        videos=[video(rec, i, strips[i] if strips else None, frame_error, mode)
                for i in range(2)],
        detail_template=DETAIL_TEMPLATES[mode],
        detail=closed_rows(rec) if mode == "closed" else open_detail(rec),
        with_frames=with_frames(rec),
        raw=text[:RAW_SHOWN] + cut if text else "", raw_length=len(text))


def _raw_text(raw: Any) -> str:
    if not raw:
        return ""
    return raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, indent=1)
