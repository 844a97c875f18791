"""Closed mode: for each annotated difference, is it more true of video a or video b?"""

from __future__ import annotations

import hashlib
import json

from ..data.schema import Sample
from ..frames.types import Clip
from ..models.base import DiffPrediction, SampleOutput, Status
from ..models.types import ChatRequest, GenerationConfig, TextPart, VideoPart
from .parsing import extract_json_object, label_pairs_in_prose, normalize_label

CLOSED_TEMPLATE = """\
Here are two videos of an action with the following description: "{action_description}".
{video_layout}

Below is a set of differences that describe how the action can be performed differently.
Each difference has a unique key:
{differences}

For each difference, decide whether the statement is more true of video 'a' or video 'b'.
Answer with one JSON object mapping every key to "a" or "b", and nothing else, e.g.
{example}
"""

VIDEO_LAYOUT = """\
The videos are given as frames: first the {n_a} frames of video a, sampled at {fps_a:g} \
frames per second, then the {n_b} frames of video b, sampled at {fps_b:g} frames per second."""


def video_layout(clips: tuple[Clip, Clip]) -> str:
    """Each video's own rate: the per-video frame cap can sample the two at different rates."""
    return VIDEO_LAYOUT.format(n_a=len(clips[0]), n_b=len(clips[1]),
                               fps_a=clips[0].fps, fps_b=clips[1].fps)


def prompt_hash() -> str:
    return hashlib.sha256((CLOSED_TEMPLATE + VIDEO_LAYOUT).encode()).hexdigest()[:16]


def closed_prompt_text(sample: Sample, clips: tuple[Clip, Clip]) -> str:
    diffs = sample.closed_differences()
    return CLOSED_TEMPLATE.format(
        action_description=sample.action_description,
        video_layout=video_layout(clips),
        differences=json.dumps({d.key: d.description for d in diffs}, indent=2),
        example=json.dumps({d.key: "a|b" for d in diffs[:2]} or {"0": "a|b"}),
    )


def video_parts(text: str, clips: tuple[Clip, Clip]) -> tuple:
    """The prompt's first line, then video a, then video b, then the rest of the prompt."""
    intro, _, rest = text.partition("\n")
    return (
        TextPart(intro),
        TextPart("Video a:"),
        VideoPart(clips[0], "a"),
        TextPart("Video b:"),
        VideoPart(clips[1], "b"),
        TextPart(rest),
    )


def build_closed_request(
    sample: Sample, clips: tuple[Clip, Clip], config: GenerationConfig
) -> ChatRequest:
    return ChatRequest(parts=video_parts(closed_prompt_text(sample, clips), clips), config=config)


def parse_closed_reply(sample: Sample, text: str | None) -> SampleOutput:
    """Map a reply to predictions for the asked keys, with a status saying what was usable."""
    asked = [d.key for d in sample.closed_differences()]
    found: dict[str, str] = {}
    obj = extract_json_object(text or "")
    if obj is not None:
        found = {str(k).strip(): lab for k, v in obj.items() if (lab := normalize_label(v))}
    if not any(k in found for k in asked):
        found = label_pairs_in_prose(text or "")
    preds = {k: DiffPrediction(found[k]) for k in asked if k in found}  # type: ignore[arg-type]
    missing = [k for k in asked if k not in preds]
    status: Status = "ok" if not missing else ("partial" if preds else "parse_error")
    error = f"no a/b answer for keys {missing}" if missing else None
    return SampleOutput(sample.sample_key, preds, status=status, error=error, raw=text)
