"""The templates the method's stages send (tasks/templates/NAME.txt, replaced by `--prompts
DIR`). The LLM/VLM replies are JSON, validated by the stage modules."""

from __future__ import annotations

from collections.abc import Iterable

from vdbench.tasks.matching import MATCH_TEMPLATE
from vdbench.tasks.prompts import PromptSet

DIFFERENCES = "viddiff_differences"  # proposer, open mode: differences to look for
STAGES = "viddiff_stages"  # proposer: sub-action stages and their retrieval strings
REFINE = "viddiff_refine"  # proposer (refine_retrieval): the stages' distinctive strings only
LINKS = "viddiff_links"  # proposer: which stages show which difference
DIFFERENCER_INTRO = "viddiff_differencer_intro"  # differencer: before the frames
DIFFERENCER_QUESTION = "viddiff_differencer_question"  # differencer: after the frames
DIFFERENCER_ONE = "viddiff_differencer_one"  # reference layout: one frame of each video
DIFFERENCER_SEVERAL = "viddiff_differencer_several"  # reference layout: several frames
SYSTEM_VISION = "viddiff_system"  # differencer: the system prompt
MATCH = MATCH_TEMPLATE  # open_protocol=paper: the judge's matching template, judge_match

# Sent in every configuration; REFINE and MATCH only when their setting is on.
TEMPLATES = (DIFFERENCES, STAGES, LINKS, DIFFERENCER_INTRO, DIFFERENCER_QUESTION,
             SYSTEM_VISION)


def used(refine_retrieval: bool, open_protocol: str, layout: str = "labelled"
         ) -> tuple[str, ...]:
    """The templates a configuration sends (the labelled layout's differencer templates are
    listed under the reference layout too, so that the recorded prompt_hash keeps its
    formula)."""
    return (TEMPLATES + ((REFINE,) if refine_retrieval else ())
            + ((MATCH,) if open_protocol == "paper" else ())
            + ((DIFFERENCER_ONE, DIFFERENCER_SEVERAL) if layout == "reference" else ()))


def prompt_hash(prompts: PromptSet, names: Iterable[str] = TEMPLATES) -> str:
    """Recorded as provenance.model.prompt_hash: the six templates every configuration sends
    joined by NUL (a formula that predates template files), then any other template used."""
    return prompts.joint_hash(names, sep="\0")
