"""Open mode: the model names up to n differences itself, each with the video it fits better."""

from __future__ import annotations

from vdbench.core.protocol import AskingProtocol
from vdbench.core.types import DiffPrediction, SampleOutput
from vdbench.data.schema import Sample
from vdbench.frames.types import Clip
from vdbench.llm.types import ChatRequest, GenerationConfig
from vdbench.tasks.pair_layout import TOLERANT, templates, video_layout, video_parts
from vdbench.tasks.parsing import (
    extract_json_list,
    extract_json_object,
    normalize_label,
    strict_label,
)
from vdbench.tasks.prompts import PromptSet


def prompt_hash(prompts: PromptSet, as_video: bool = False) -> str:
    """Recorded as provenance.model.prompt_hash.open (its formula predates template files)."""
    return prompts.joint_hash(templates("open", as_video))


def open_prompt_text(sample: Sample, clips: tuple[Clip, Clip],
                     prompts: PromptSet | None = None, as_video: bool = False) -> str:
    prompts = prompts or PromptSet.default()
    return prompts.render(
        "open",
        action_description=sample.action_description,
        video_layout=video_layout(clips, prompts, as_video),
        n_differences=sample.n_differences_open_prediction,
    )


def build_open_request(
    sample: Sample, clips: tuple[Clip, Clip], config: GenerationConfig,
    prompts: PromptSet | None = None, as_video: bool = False,
    asking: AskingProtocol = TOLERANT, model_id: str = "",
) -> ChatRequest:
    """`prompts`: the run's templates (vdbench's own when None); `as_video`: the model is
    shown videos, not frames; `asking`: the protocol's layout (`model_id` is unused: the
    reference's open prompt is the same for every model)."""
    text = open_prompt_text(sample, clips, prompts, as_video)
    return ChatRequest(parts=video_parts(text, clips, asking.layout), config=config)


def parse_open_reply(sample: Sample, text: str | None,
                     asking: AskingProtocol = TOLERANT) -> SampleOutput:
    """The differences of a reply, renumbered 0..n-1, at most the sample's cap of them.
    well_formed truncation keeps the first n well-formed ones; first_n (the reference's)
    keeps the first n entries and then drops the malformed among them, which can then match
    nothing. Strict answers accept only the labels "a" and "b"."""
    obj: list | dict | None = extract_json_list(text or "")
    if obj is None:
        obj = extract_json_object(text or "")
    items = obj.get("differences", obj) if isinstance(obj, dict) else obj
    entries = list(items.values() if isinstance(items, dict)
                   else items if isinstance(items, list) else [])
    cap = sample.n_differences_open_prediction
    notes = []
    if asking.open_truncation == "first_n" and len(entries) > cap:
        notes.append(f"truncated {len(entries)} differences to the cap of {cap}")
        entries = entries[:cap]
    strict = asking.answers == "strict"
    preds: list[DiffPrediction] = []
    dropped = changed = 0
    for v in entries:
        tolerant = normalize_label(v)
        label = strict_label(v) if strict else tolerant
        changed += strict and label != tolerant
        desc = v.get("description") if isinstance(v, dict) else None
        if label and isinstance(desc, str) and desc.strip():
            # strict keeps the text as the reference sends it to the judge
            preds.append(DiffPrediction(label, desc if strict else desc.strip()))  # type: ignore[arg-type]
        else:
            dropped += 1
    if dropped:
        notes.append(f"dropped {dropped} malformed difference(s)")
    if changed:
        notes.append(f"strict labels: a tolerant reading would change {changed} answer(s)")
    if len(preds) > cap:
        notes.append(f"truncated {len(preds)} differences to the cap of {cap}")
        preds = preds[:cap]
    out = SampleOutput(sample.sample_key, {str(i): p for i, p in enumerate(preds)}, raw=text,
                       tolerant_changes=changed)
    if not preds:
        out.status, out.error = "parse_error", "no well-formed difference in the reply"
    out.notes = notes
    return out
