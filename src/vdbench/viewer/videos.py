"""One video of a sample as the viewer shows it: its thumbnail strip (or why there is none)
and a time axis with the annotated retrieval frames and the model's keyframes."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from vdbench.data.schema import VideoRef
from vdbench.viewer.records import SampleRecord
from vdbench.viewer.thumbs import Strip

MARKER_MEANING = {"gt": "annotated retrieval frame", "pred": "the model's keyframe"}


def seconds(t: float) -> str:
    return f"{t:.2f} s"


def frame_times(frames: list[int] | None, fps: float) -> list[float]:
    return [i / fps for i in frames or []]


def times_text(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times) + " s" if times else "—"


@dataclass(frozen=True)
class ThumbView:
    src: str  # a data: URI
    width: int
    height: int
    time: str  # "1.25"
    index: int
    caption: str


@dataclass(frozen=True)
class Marker:
    kind: str  # gt | pred
    left: str  # percent of the axis
    title: str
    names: str


@dataclass(frozen=True)
class Timeline:
    ticks: list[str]  # percent of the axis, one per frame the model saw
    markers: list[Marker]
    end: str


@dataclass(frozen=True)
class VideoView:
    label: str  # a | b
    meta: str
    path: str
    thumbs: list[ThumbView] | None  # None: no frames, frame_error says why
    frame_error: str
    timeline: Timeline | None
    pred_legend: bool  # the timeline shows the model's keyframes


def thumbs(strip: Strip) -> list[ThumbView]:
    return [ThumbView(f"data:image/jpeg;base64,{base64.b64encode(t.jpeg).decode()}",
                      t.width, t.height, f"{t.time_s:.2f}", t.index, seconds(t.time_s))
            for t in strip.thumbs]


def timeline(strip: Strip | None, markers: list[tuple[str, float, str]]) -> Timeline | None:
    """A time axis from the trim start: a tick per frame the model saw, annotated retrieval
    frames below (gt) and the model's keyframes above (pred). markers: (kind, time, key)."""
    times = list(strip.times_s) if strip else []
    end = max(times + [t for _, t, _ in markers] + [0.0])
    if end <= 0:
        return None
    grouped: dict[tuple[str, float], list[str]] = {}
    for kind, t, key in markers:
        grouped.setdefault((kind, round(t, 2)), []).append(key)
    shown = []
    for (kind, t), keys in sorted(grouped.items()):
        names = ",".join(dict.fromkeys(keys))
        shown.append(Marker(kind, f"{100 * t / end:.2f}",
                            f"{MARKER_MEANING[kind]} of {names} at {t:.2f} s", names))
    return Timeline([f"{100 * t / end:.2f}" for t in times], shown, seconds(end))


def viddiff_markers(rec: SampleRecord, i: int, mode: str) -> list[tuple[str, float, str]]:
    """A VidDiffBench video's markers: its annotated retrieval frames and the model's
    keyframes (open mode: named p<key>), as (kind, time, key)."""
    label = "ab"[i]
    ref = rec.sample.videos[i]
    markers: list[tuple[str, float, str]] = []
    for key, frames in rec.sample.retrieval_frames[i].items():
        if rec.sample.differences_annotated.get(key) is not None and frames:
            markers += [("gt", t, key) for t in frame_times(frames, ref.fps_original)]
    prefix = "p" if mode == "open" else ""
    for key, pred in rec.predictions.items():
        if pred.frames and pred.frames.get(label):
            markers += [("pred", t, prefix + key)
                        for t in frame_times(pred.frames[label], ref.fps_original)]
    return markers


def video(ref: VideoRef, label: str, strip: Strip | None, frame_error: str | None,
          markers: list[tuple[str, float, str]] | None) -> VideoView:
    """One video: its strip, and a timeline with these markers (None: no timeline)."""
    if strip is not None:
        shown = len(strip.thumbs)
        count = (f"all {shown} frames shown" if shown == strip.n_frames
                 else f"{shown} of {strip.n_frames} frames shown")
        meta = f"{count} · sampled at {strip.fps:.3g} fps"
    else:
        meta = "no frames"
    return VideoView(label, meta, str(ref.path), thumbs(strip) if strip else None,
                     frame_error or "?", None if markers is None else timeline(strip, markers),
                     any(kind == "pred" for kind, _, _ in markers or []))
