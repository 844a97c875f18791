"""Stage 3: for each difference, the VLM sees the localized frames of both videos and the
difference statement, and answers a or b."""

from __future__ import annotations

from ..frames.types import Clip
from ..models.types import ChatRequest, GenerationConfig, TextPart, VideoPart
from ..tasks.parsing import extract_json_object, normalize_label
from . import prompts
from .proposer import Candidate


def subclip(clip: Clip, positions: tuple[int, ...]) -> Clip:
    return Clip(frames=tuple(clip.frames[p] for p in positions), fps=clip.fps,
                source=clip.source, key=f"{clip.key}@{','.join(map(str, positions))}")


def _times(clip: Clip) -> str:
    return ", ".join(f"{f.time_s:.2f}" for f in clip.frames)


def build_request(action: str, diff: Candidate, a: Clip, b: Clip,
                  config: GenerationConfig) -> ChatRequest:
    question = prompts.DIFFERENCER_QUESTION.format(
        n_a=len(a), times_a=_times(a), n_b=len(b), times_b=_times(b),
        description=diff.description, query_string=diff.query_string)
    parts = (TextPart(prompts.DIFFERENCER_INTRO.format(action=action)),
             TextPart("Video a:"), VideoPart(a, "a"), TextPart("Video b:"), VideoPart(b, "b"),
             TextPart(question))
    return ChatRequest(parts=parts, config=config, system=prompts.SYSTEM_VISION)


def parse_answer(text: str) -> str | None:
    """'a' or 'b' from {"answer": ...}, or from a bare label reply; None otherwise."""
    obj = extract_json_object(text)
    if obj is not None:
        return normalize_label(obj.get("answer", obj.get("prediction")))
    return normalize_label(text)
