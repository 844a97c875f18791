"""Stage 3: for each difference, the VLM sees the localized frames of both videos and the
difference statement, and answers a or b."""

from __future__ import annotations

from vdbench.frames.types import Clip
from vdbench.llm.types import ChatRequest, GenerationConfig, TextPart, VideoPart
from vdbench.models.viddiff import prompts
from vdbench.models.viddiff.proposer import Candidate
from vdbench.tasks.parsing import extract_json_object, normalize_label
from vdbench.tasks.prompts import PromptSet


def subclip(clip: Clip, positions: tuple[int, ...]) -> Clip:
    return Clip(frames=tuple(clip.frames[p] for p in positions), fps=clip.fps,
                source=clip.source, key=f"{clip.key}@{','.join(map(str, positions))}")


def _times(clip: Clip) -> str:
    return ", ".join(f"{f.time_s:.2f}" for f in clip.frames)


def build_request(action: str, diff: Candidate, a: Clip, b: Clip, config: GenerationConfig,
                  prompt_set: PromptSet | None = None) -> ChatRequest:
    """`prompt_set`: the run's templates (vdbench's own when None)."""
    prompt_set = prompt_set or PromptSet.default()
    question = prompt_set.render(
        prompts.DIFFERENCER_QUESTION, n_a=len(a), times_a=_times(a), n_b=len(b),
        times_b=_times(b), description=diff.description, query_string=diff.query_string)
    parts = (TextPart(prompt_set.render(prompts.DIFFERENCER_INTRO, action=action)),
             TextPart("Video a:"), VideoPart(a, "a"), TextPart("Video b:"), VideoPart(b, "b"),
             TextPart(question))
    system = prompt_set.render(prompts.SYSTEM_VISION)
    return ChatRequest(parts=parts, config=config, system=system or None)


def parse_answer(text: str) -> str | None:
    """'a' or 'b' from {"answer": ...}, or from a bare label reply; None otherwise."""
    obj = extract_json_object(text)
    if obj is not None:
        return normalize_label(obj.get("answer", obj.get("prediction")))
    return normalize_label(text)
