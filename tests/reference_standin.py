"""A stand-in for a checkout of the authors' reference code (jmhb0/viddiff): the same module
layout, symbols and placeholder names as theirs, with our own sentences (none of their text is
in this repository). Each module imports packages that are not installed, as theirs import
their whole stack: `vdbench prompts import-reference` must read them without importing.

The texts keep the traits that make exact reproduction hard: literal JSON braces next to
placeholders, a placeholder used twice, a placeholder left unfilled, a dict of variants chosen
by the method's config.yaml, and a module-level name assigned twice (the last one counts)."""

from __future__ import annotations

from pathlib import Path

LMM_PROMPTS = '''\
import not_installed_stack  # the reference imports its whole stack at the top

prompt_template_open = """\\
[open] Two clips show someone doing "{action_description}".
{video_representation_description}

Write down up to {n_differences} ways the two performances differ, as JSON:
{
    "0": {"description": "...", "prediction": "a|b"}
}
"""

prompt_template_mode_2 = """\\
[closed] Two clips show someone doing "{action_description}".
{video_representation_description}

Statements, by key:
{differences_annotated}

For every key say which clip the statement fits better, filling in this JSON:
{target_out}
"""

video_rep_description_frames = """\\
Images follow: {vid0_nframes} from clip a, then {vid1_nframes} from clip b, {fps} per second.
"""

video_rep_description_2_videos = """\\
Clip a is attached first and clip b second."""
'''

EVAL = '''\
import lmdb_not_installed

prompt_open_eval_matching = "an earlier draft, replaced below"

prompt_open_eval_matching = """\\
[match] Pair up two lists about "{action_description}".
List zero: {differences0}
List one: {differences1}
Keys of list zero: {dict0_keys}; keys of list one: {dict1_keys}.
Reply like {"0": "2", ..., "{final}": "None"} with keys {dict0_keys}.
"""

prompt_open_eval_check_opposite = """
[direction] For each pair below, 1 if the two statements say opposite things, else 0.
{statements}
Reply {"results": ["0", "1"]}, with an {unknown_brace} left as it is.
"""
'''

METHOD_PROMPTS = '''\
import torch_not_installed

lookup_system_prompt_vision = {0: """\\
[system] You look at images from a research benchmark.
"""}

lookup_prompts_proposer_1_differences = {0: """\\
[differences] Suggest {n_differences} ways "{action}" can vary, as JSON {"0": {...}}."""}

lookup_prompts_proposer_2_subactions = {0: """\\
[stages] Split "{action}" into at most five stages with {n_retrieval_keys} captions each,
as JSON {"stages": [...]}."""}

lookup_prompts_proposer_2_subactions_refiner = {0: """\\
[refine] Keep the distinctive captions of these stages of "{action}":
{stages}
as JSON {"stages": [...]}."""}

lookup_prompts_proposer_3_linking = {0: """\\
[links] For "{action}", link stages
{stages}
to differences
{differences}
as JSON {"<stage>": ["<key>"]}."""}

lookup_prompts_differencing_1_frame = {
    0: """[one, variant 0] "{action}": "{query_string}"?""",
    4: """\\
[one] Two images of "{action}". Which shows "{query_string}" more?
Reply {'answer_detailed': "...", 'answer': "a|b"}""",
}

lookup_prompts_differencing_multiframe = {
    0: """[several, variant 0] "{action}": "{query_string}"?""",
    4: """\\
[several] {num_frames} frames of clip a, then {num_frames} of clip b, {time_diff} s apart,
of "{action}". Which shows "{query_string}" more?
Reply {'answer_detailed': "...", 'answer': "a|b"}""",
}
'''

CONFIG = """\
seed: 0
proposer:
  model: some-model
  prompt_key_1_differences: 0
  prompt_key_2_subactions: 0
  prompt_key_3_subaction_filtering: 0
  prompt_key_4_linking: 0
frame_differencer:
  prompt_key: 4
  prompt_key_multiframe: 4
  system_prompt_key: 0
"""

FILES = {"lmms/lmm_prompts.py": LMM_PROMPTS, "eval_viddiff.py": EVAL,
         "viddiff_method/prompts.py": METHOD_PROMPTS,
         "viddiff_method/configs/config.yaml": CONFIG}


def write_checkout(root: Path) -> Path:
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def reference_value(module: str, symbol: str) -> object:
    """What the stand-in module binds `symbol` to, read the way Python would (the test's own
    reading, by exec of the module with its imports removed)."""
    lines = [line for line in FILES[module].splitlines() if not line.startswith("import ")]
    scope: dict[str, object] = {}
    exec("\n".join(lines), scope)  # our own test text, never the authors'
    return scope[symbol]
