"""The templates the three stages send (tasks/templates/NAME.txt, replaced by `--prompts DIR`).
The LLM/VLM replies are JSON, validated by the stage modules."""

from __future__ import annotations

from vdbench.tasks.prompts import PromptSet

DIFFERENCES = "viddiff_differences"  # proposer, open mode: differences to look for
STAGES = "viddiff_stages"  # proposer: sub-action stages and their retrieval strings
LINKS = "viddiff_links"  # proposer: which stages show which difference
DIFFERENCER_INTRO = "viddiff_differencer_intro"  # differencer: before the frames
DIFFERENCER_QUESTION = "viddiff_differencer_question"  # differencer: after the frames
SYSTEM_VISION = "viddiff_system"  # differencer: the system prompt

TEMPLATES = (DIFFERENCES, STAGES, LINKS, DIFFERENCER_INTRO, DIFFERENCER_QUESTION,
             SYSTEM_VISION)


def prompt_hash(prompts: PromptSet) -> str:
    """Recorded as provenance.model.prompt_hash (its formula predates template files)."""
    return prompts.joint_hash(TEMPLATES, sep="\0")
