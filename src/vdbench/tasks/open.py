"""Open mode: the model names up to n differences itself, each with the video it fits better."""

from __future__ import annotations

import hashlib

from ..data.schema import Sample
from ..frames.types import Clip
from ..models.base import DiffPrediction, SampleOutput
from ..models.types import ChatRequest, GenerationConfig
from .closed import VIDEO_LAYOUT, video_layout, video_parts
from .parsing import extract_json_list, extract_json_object, normalize_label

OPEN_TEMPLATE = """\
Here are two videos of an action with the following description: "{action_description}".
{video_layout}

List the differences in how the action is performed in the two videos.
Each difference has a "description": a specific, visual statement about how the action is \
performed that is more true of one video than the other, such as "the jump is higher" or \
"the arm is straighter". The description must not name a video: say "the jump is higher", \
not "the jump in video b is higher".
Each difference also has a "prediction": "a" if the statement is more true of video a, \
"b" if it is more true of video b.

Give at most {n_differences} differences, as one JSON object and nothing else:
{{"0": {{"description": "...", "prediction": "a|b"}}, "1": {{"description": "...", \
"prediction": "a|b"}}}}
"""


def prompt_hash() -> str:
    return hashlib.sha256((OPEN_TEMPLATE + VIDEO_LAYOUT).encode()).hexdigest()[:16]


def open_prompt_text(sample: Sample, clips: tuple[Clip, Clip]) -> str:
    return OPEN_TEMPLATE.format(
        action_description=sample.action_description,
        video_layout=video_layout(clips),
        n_differences=sample.n_differences_open_prediction,
    )


def build_open_request(
    sample: Sample, clips: tuple[Clip, Clip], config: GenerationConfig
) -> ChatRequest:
    return ChatRequest(parts=video_parts(open_prompt_text(sample, clips), clips), config=config)


def parse_open_reply(sample: Sample, text: str | None) -> SampleOutput:
    """Keep the well-formed differences, renumbered 0..n-1, truncated to the sample's cap."""
    obj = extract_json_list(text or "")
    if obj is None:
        obj = extract_json_object(text or "")
    items = obj.get("differences", obj) if isinstance(obj, dict) else obj
    entries = (items.values() if isinstance(items, dict)
               else items if isinstance(items, list) else [])
    preds: list[DiffPrediction] = []
    dropped = 0
    for v in entries:
        label = normalize_label(v)
        desc = v.get("description") if isinstance(v, dict) else None
        if label and isinstance(desc, str) and desc.strip():
            preds.append(DiffPrediction(label, desc.strip()))  # type: ignore[arg-type]
        else:
            dropped += 1
    cap = sample.n_differences_open_prediction
    notes = []
    if dropped:
        notes.append(f"dropped {dropped} malformed difference(s)")
    if len(preds) > cap:
        notes.append(f"truncated {len(preds)} differences to the cap of {cap}")
        preds = preds[:cap]
    out = SampleOutput(sample.sample_key, {str(i): p for i, p in enumerate(preds)}, raw=text)
    if not preds:
        out.status, out.error = "parse_error", "no well-formed difference in the reply"
    out.notes = notes
    return out
