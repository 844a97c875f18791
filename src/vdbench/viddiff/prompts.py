"""Prompts of the three stages. The LLM/VLM replies are JSON, validated by the stage modules."""

from __future__ import annotations

import hashlib

DIFFERENCES = """\
Two videos show people performing this action: "{action}".

Propose {n} ways in which the two performances could visibly differ. For each, give:
- "name": a few words, unique among your answers;
- "description": a statement that can be more true of one video than of the other, such as \
"the jump is higher"; never mention a particular video;
- "query_string": a short phrase naming what to look at in the frames, such as "top of the jump";
- "num_frames": "1" if one well-chosen frame of each video is enough to judge it, "gt_1" if it \
needs several frames (for example speed).

Answer with one JSON object keyed by "0", "1", ... and nothing else:
{{"0": {{"name": "...", "description": "...", "query_string": "...", "num_frames": "1"}}}}
"""

STAGES = """\
Two videos show people performing this action: "{action}".

Split the action into at most {max_stages} sub-action stages, in the order in which they \
happen. For each stage give a short unique "name", a one-sentence "description", and at least \
{n_strings} "retrieval_strings": captions of what one frame of that stage shows (pose, position, \
visible objects), each starting with "A photo of", without naming the action.

Answer with one JSON object and nothing else:
{{"stages": [{{"name": "...", "description": "...", "retrieval_strings": ["A photo of ..."]}}]}}
"""

LINKS = """\
Two videos show people performing this action: "{action}".

The action has these stages, in order:
{stages}

These are differences in how the action may be performed, by key:
{differences}

For every stage, list the keys of the differences that are visible during that stage. A \
difference may be visible in several stages and a stage may have none, but every difference \
must be listed at least once.

Answer with one JSON object mapping each stage name to a list of difference keys, and nothing \
else:
{{"<stage name>": ["<key>", ...]}}
"""

DIFFERENCER_INTRO = """\
These frames come from two videos of people performing this action: "{action}"."""

DIFFERENCER_QUESTION = """\
Video a is shown by {n_a} frame(s) at {times_a} seconds, video b by {n_b} frame(s) at {times_b} \
seconds (times from the start of each video).
Which video is this statement more true of: "{description}"?
Look at: {query_string}.
Answer with one JSON object and nothing else: {{"answer": "a"}} or {{"answer": "b"}}.
"""

SYSTEM_VISION = """\
You are a careful vision assistant. The images come from a public machine-learning benchmark \
and your answers are used only to measure visual understanding."""


def prompt_hash() -> str:
    templates = (DIFFERENCES, STAGES, LINKS, DIFFERENCER_INTRO, DIFFERENCER_QUESTION,
                 SYSTEM_VISION)
    return hashlib.sha256("\0".join(templates).encode()).hexdigest()[:16]
