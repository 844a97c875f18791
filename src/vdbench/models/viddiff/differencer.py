"""Stage 3: for each difference, the VLM sees the localized frames of both videos and the
difference statement, and answers a or b."""

from __future__ import annotations

from vdbench.frames.types import Clip
from vdbench.llm.types import ChatRequest, GenerationConfig, TextPart, VideoPart
from vdbench.models.viddiff import prompts
from vdbench.models.viddiff.proposer import Candidate
from vdbench.tasks.parsing import extract_json_object, normalize_label, strict_label
from vdbench.tasks.prompts import PromptSet


def subclip(clip: Clip, positions: tuple[int, ...]) -> Clip:
    return Clip(frames=tuple(clip.frames[p] for p in positions), fps=clip.fps,
                source=clip.source, key=f"{clip.key}@{','.join(map(str, positions))}")


def _times(clip: Clip) -> str:
    return ", ".join(f"{f.time_s:.2f}" for f in clip.frames)


def reference_time_diff(clip: Clip, positions: tuple[int, ...]) -> str:
    """The reference's {time_diff}: the first two frames' distance in sampled frames over the
    sampling rate it prints (int), to two decimals; "" for a single frame."""
    if len(positions) < 2:
        return ""
    return f"{(positions[1] - positions[0]) / max(1, int(clip.fps)):.2f}"


def build_request(action: str, diff: Candidate, a: Clip, b: Clip, config: GenerationConfig,
                  prompt_set: PromptSet | None = None, layout: str = "labelled",
                  time_diff: str = "") -> ChatRequest:
    """`prompt_set`: the run's templates (vdbench's own when None). layout "reference": one
    text (for one frame of each video, or for several) then the frames of a, then of b,
    unlabelled, as the reference sends them; `time_diff` is its {time_diff}."""
    prompt_set = prompt_set or PromptSet.default()
    system = prompt_set.render(prompts.SYSTEM_VISION)
    if layout == "reference":
        one = len(a) == 1  # the reference chooses by video a's frames
        text = prompt_set.render(
            prompts.DIFFERENCER_ONE if one else prompts.DIFFERENCER_SEVERAL, action=action,
            description=diff.description, query_string=diff.query_string,
            **({} if one else {"n_a": len(a), "n_b": len(b), "time_diff": time_diff}))
        return ChatRequest(parts=(TextPart(text), VideoPart(a, "a"), VideoPart(b, "b")),
                           config=config, system=system or None)
    question = prompt_set.render(
        prompts.DIFFERENCER_QUESTION, n_a=len(a), times_a=_times(a), n_b=len(b),
        times_b=_times(b), description=diff.description, query_string=diff.query_string)
    parts = (TextPart(prompt_set.render(prompts.DIFFERENCER_INTRO, action=action)),
             TextPart("Video a:"), VideoPart(a, "a"), TextPart("Video b:"), VideoPart(b, "b"),
             TextPart(question))
    return ChatRequest(parts=parts, config=config, system=system or None)


def parse_answer(text: str, strict: bool = False) -> str | None:
    """'a' or 'b' from {"answer": ...}, or from a bare label reply; None otherwise. Strict:
    only an "answer" (or "prediction") that is exactly "a" or "b", as the reference reads it
    (where the reference forces any other answer to "a", this is no answer)."""
    obj = extract_json_object(text)
    if strict:
        return strict_label((obj or {}).get("answer", (obj or {}).get("prediction")))
    if obj is not None:
        return normalize_label(obj.get("answer", obj.get("prediction")))
    return normalize_label(text)
