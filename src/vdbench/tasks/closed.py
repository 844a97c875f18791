"""Closed mode: for each annotated difference, is it more true of video a or video b?"""

from __future__ import annotations

import json

from vdbench.core.protocol import AskingProtocol
from vdbench.core.types import DiffPrediction, SampleOutput, Status
from vdbench.data.schema import Sample
from vdbench.frames.types import Clip
from vdbench.llm.types import ChatRequest, GenerationConfig
from vdbench.tasks.pair_layout import TOLERANT, templates, video_layout, video_parts
from vdbench.tasks.parsing import (
    extract_json_object,
    label_pairs_in_prose,
    normalize_label,
    strict_label,
)
from vdbench.tasks.prompts import PromptSet


def prompt_hash(prompts: PromptSet, as_video: bool = False) -> str:
    """Recorded as provenance.model.prompt_hash.closed (its formula predates template files)."""
    return prompts.joint_hash(templates("closed", as_video))


def closed_prompt_text(sample: Sample, clips: tuple[Clip, Clip],
                       prompts: PromptSet | None = None, as_video: bool = False,
                       asking: AskingProtocol = TOLERANT, model_id: str = "") -> str:
    """`model_id`: the model asked; the reference shows Qwen models "..." for each prediction
    in its answer example, "a|b" to every other model."""
    prompts = prompts or PromptSet.default()
    diffs = sample.closed_differences(annotated_order=asking.order == "annotated")
    shown = "..." if "qwen" in model_id.lower() else "a|b"
    full_example = json.dumps({d.key: {"description": d.description, "prediction": shown}
                               for d in diffs}, indent=2)
    flat_example = json.dumps({d.key: "a|b" for d in diffs[:2]} or {"0": "a|b"})
    return prompts.render(
        "closed",
        action_description=sample.action_description,
        video_layout=video_layout(clips, prompts, as_video),
        differences=json.dumps({d.key: d.description for d in diffs}, indent=2),
        # strict answers ask for what the reference asks: each key's description and label
        example=full_example if asking.answers == "strict" else flat_example,
        full_example=full_example,
    )


def build_closed_request(
    sample: Sample, clips: tuple[Clip, Clip], config: GenerationConfig,
    prompts: PromptSet | None = None, as_video: bool = False,
    asking: AskingProtocol = TOLERANT, model_id: str = "",
) -> ChatRequest:
    """`prompts`: the run's templates (vdbench's own when None); `as_video`: the model is
    shown videos, not frames; `asking`: the protocol's layout and answer format."""
    text = closed_prompt_text(sample, clips, prompts, as_video, asking, model_id)
    return ChatRequest(parts=video_parts(text, clips, asking.layout), config=config)


def parse_closed_reply(sample: Sample, text: str | None,
                       asking: AskingProtocol = TOLERANT) -> SampleOutput:
    """Map a reply to predictions for the asked keys, with a status saying what was usable.
    Strict answers keep only "a" and "b" (a key's value, or its "prediction"), as the
    reference compares them, and count the labels a tolerant reading would have changed."""
    asked = [d.key for d in sample.closed_differences()]
    tolerant = _tolerant_labels(text or "", asked)
    found = tolerant
    changed = 0
    if asking.answers == "strict":
        obj = extract_json_object(text or "") or {}
        values = {str(k).strip(): v for k, v in obj.items()}
        found = {k: lab for k in asked if (lab := strict_label(values.get(k)))}
        changed = sum(found.get(k) != tolerant.get(k) for k in asked)
    preds = {k: DiffPrediction(found[k]) for k in asked if k in found}  # type: ignore[arg-type]
    missing = [k for k in asked if k not in preds]
    status: Status = "ok" if not missing else ("partial" if preds else "parse_error")
    error = f"no a/b answer for keys {missing}" if missing else None
    out = SampleOutput(sample.sample_key, preds, status=status, error=error, raw=text,
                       tolerant_changes=changed)
    if changed:
        out.notes = [f"strict labels: a tolerant reading would change {changed} answer(s)"]
    return out


def _tolerant_labels(text: str, asked: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    obj = extract_json_object(text)
    if obj is not None:
        found = {str(k).strip(): lab for k, v in obj.items() if (lab := normalize_label(v))}
    if not any(k in found for k in asked):
        found = label_pairs_in_prose(text)
    return found
