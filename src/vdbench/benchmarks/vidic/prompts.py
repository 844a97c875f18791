"""ViDiC-1K's prompt templates (vidic/templates/NAME.txt): the task's and the judge's, one
registry, so that one `--prompts DIR` can replace any of them."""

from __future__ import annotations

from pathlib import Path

from vdbench.tasks.prompts import Placeholders, PromptSet, TemplateRegistry

TEMPLATES_DIR = Path(__file__).parent / "templates"

COMPARE = "vidic_compare"  # the task's instructions (system prompt)
# What precedes each video in the user turn, for a model shown frames or videos.
FRAMES_LABEL = "vidic_frames_label"
VIDEO_LABEL = "vidic_video_label"
JUDGE = "vidic_judge"  # the checklist judge: the comparison and one question
JUDGE_SYSTEM = "vidic_judge_system"  # ... its system prompt, naming the item's checklist

_LABEL = Placeholders(required={"label": str}, optional={"n": int, "fps": float})
REGISTRY = TemplateRegistry({
    COMPARE: Placeholders(),
    # {label}: "A" or "B"; {n}: the video's frame count; {fps}: its sampling rate
    FRAMES_LABEL: _LABEL,
    VIDEO_LABEL: _LABEL,
    # {description}: the model's comparison; {question}: the checklist question
    JUDGE: Placeholders(required={"description": str, "question": str}),
    # {kind}: "difference" or "similarity", as the authors' judge names the section
    JUDGE_SYSTEM: Placeholders(optional={"kind": str}),
}, TEMPLATES_DIR)


def vidic_prompts(prompts_dir: Path | None) -> PromptSet:
    """ViDiC-1K's templates, with those of `--prompts DIR` in their place."""
    return PromptSet.from_dir(prompts_dir, REGISTRY)
