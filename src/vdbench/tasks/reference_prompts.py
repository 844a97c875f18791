"""`vdbench prompts import-reference`: a `--prompts` folder made from a checkout of the
authors' reference code (jmhb0/viddiff), so that `--protocol paper --prompts DIR` sends their
text. Their prompt modules are read as Python source (ast), never imported: they import their
whole stack.

The reference fills a template with chained `str.replace("{name}", value)`; vdbench's are
`str.format` templates. So every brace of their text is doubled, and then each placeholder the
reference replaces becomes the vdbench placeholder holding the same value, filled the same way
(PLACEHOLDERS below; tasks.closed, tasks.matching, scoring.judge.llm and
models.viddiff.differencer fill them). A brace the reference leaves in its text stays literal.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

from vdbench.core.errors import InputError
from vdbench.core.io import writable_folder
from vdbench.tasks.prompts import SUFFIX, check_template

LMM_PROMPTS = "lmms/lmm_prompts.py"
EVAL = "eval_viddiff.py"
METHOD_PROMPTS = "viddiff_method/prompts.py"
METHOD_CONFIG = "viddiff_method/configs/config.yaml"
RECORD = ".imported-from.json"  # a dot file: `--prompts` reads only template names


@dataclass(frozen=True)
class Source:
    """Where one of our templates comes from: a module-level string, or one entry (chosen by
    a key of the method's config.yaml) of a module-level dict of strings."""

    template: str
    path: str
    symbol: str
    config_key: tuple[str, str] | None = None  # (section, key) in METHOD_CONFIG


SOURCES = (
    Source("closed", LMM_PROMPTS, "prompt_template_mode_2"),
    Source("open", LMM_PROMPTS, "prompt_template_open"),
    Source("video_layout", LMM_PROMPTS, "video_rep_description_frames"),
    Source("video_layout_video", LMM_PROMPTS, "video_rep_description_2_videos"),
    Source("judge_match", EVAL, "prompt_open_eval_matching"),
    Source("judge_direction", EVAL, "prompt_open_eval_check_opposite"),
    Source("viddiff_system", METHOD_PROMPTS, "lookup_system_prompt_vision",
           ("frame_differencer", "system_prompt_key")),
    Source("viddiff_differences", METHOD_PROMPTS, "lookup_prompts_proposer_1_differences",
           ("proposer", "prompt_key_1_differences")),
    Source("viddiff_stages", METHOD_PROMPTS, "lookup_prompts_proposer_2_subactions",
           ("proposer", "prompt_key_2_subactions")),
    Source("viddiff_refine", METHOD_PROMPTS, "lookup_prompts_proposer_2_subactions_refiner",
           ("proposer", "prompt_key_3_subaction_filtering")),
    Source("viddiff_links", METHOD_PROMPTS, "lookup_prompts_proposer_3_linking",
           ("proposer", "prompt_key_4_linking")),
    Source("viddiff_differencer_one", METHOD_PROMPTS, "lookup_prompts_differencing_1_frame",
           ("frame_differencer", "prompt_key")),
    Source("viddiff_differencer_several", METHOD_PROMPTS,
           "lookup_prompts_differencing_multiframe",
           ("frame_differencer", "prompt_key_multiframe")),
)

# Per template: the reference's placeholder -> ours, which holds the value it puts there.
PLACEHOLDERS: dict[str, dict[str, str]] = {
    "closed": {"action_description": "action_description",
               "video_representation_description": "video_layout",
               "differences_annotated": "differences", "target_out": "full_example"},
    "open": {"action_description": "action_description",
             "video_representation_description": "video_layout",
             "n_differences": "n_differences"},
    "video_layout": {"vid0_nframes": "n_a", "vid1_nframes": "n_b", "fps": "fps_int"},
    "video_layout_video": {},
    "judge_match": {"final": "last_index", "action_description": "action",
                    "differences0": "gt", "differences1": "pred",
                    "dict0_keys": "gt_keys_sorted", "dict1_keys": "pred_keys"},
    "judge_direction": {"statements": "pairs_list"},
    "viddiff_system": {},
    "viddiff_differences": {"action": "action", "n_differences": "n"},
    "viddiff_stages": {"action": "action", "n_retrieval_keys": "n_strings"},
    "viddiff_refine": {"action": "action", "stages": "stages"},
    "viddiff_links": {"action": "action", "stages": "stages", "differences": "differences"},
    # the reference replaces {query_string} with the description first, so it shows that
    "viddiff_differencer_one": {"action": "action", "query_string": "description"},
    "viddiff_differencer_several": {"action": "action", "query_string": "description",
                                    "num_frames": "n_a", "time_diff": "time_diff"},
}


def convert(text: str, mapping: dict[str, str]) -> str:
    """A reference template (filled by str.replace) as a vdbench template (str.format)."""
    out = text.replace("{", "{{").replace("}", "}}")
    for theirs, ours in mapping.items():
        out = out.replace("{{" + theirs + "}}", "{" + ours + "}")
    return out


def _unrecognised(path: Path, symbol: str, why: str) -> InputError:
    return InputError(f"{path}: {why} (looked for {symbol}); import-reference reads a "
                      "checkout of github.com/jmhb0/viddiff")


def module_value(path: Path, symbol: str) -> object:
    """The value of the last top-level `symbol = <literal>` of a Python file, without running
    it (the value Python would bind, for a literal)."""
    if not path.is_file():
        raise _unrecognised(path, symbol, "no such file")
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
        raise _unrecognised(path, symbol, f"not readable Python ({exc})") from None
    found: ast.expr | None = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == symbol for t in node.targets):
            found = node.value
    if found is None:
        raise _unrecognised(path, symbol, "no top-level assignment")
    try:
        return ast.literal_eval(found)
    except ValueError:
        raise _unrecognised(path, symbol, "its value is not a literal") from None


def config_value(path: Path, section: str, key: str) -> int:
    """An integer `key` of top-level `section` in the method's config.yaml (two levels of a
    plain YAML mapping are all this needs)."""
    if not path.is_file():
        raise _unrecognised(path, f"{section}.{key}", "no such file")
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\S[^:]*:", line):
            current = line.split(":", 1)[0].strip()
        elif current == section and (m := re.match(rf"^\s+{re.escape(key)}:\s*(-?\d+)\b",
                                                   line)):
            return int(m.group(1))
    raise _unrecognised(path, f"{section}.{key}", "no integer setting")


def reference_text(root: Path, source: Source) -> tuple[str, str]:
    """The reference's text for `source`, and where it was found ("path:symbol[key]")."""
    path = root / source.path
    value = module_value(path, source.symbol)
    where = f"{source.path}:{source.symbol}"
    if source.config_key is not None:
        section, key = source.config_key
        choice = config_value(root / METHOD_CONFIG, section, key)
        if not isinstance(value, dict) or choice not in value:
            raise _unrecognised(path, f"{source.symbol}[{choice}]",
                                f"no entry {choice} ({section}.{key} in {METHOD_CONFIG})")
        value, where = value[choice], f"{where}[{choice}]"
    if not isinstance(value, str):
        raise _unrecognised(path, source.symbol, "its value is not a string")
    return value, where


def _commit(root: Path) -> str | None:
    """The checkout's commit, read from .git without running git; None when not found."""
    git = root / ".git"
    try:
        ref = (git / "HEAD").read_text().strip()
        if not ref.startswith("ref: "):
            return ref
        name = ref[5:]
        if (git / name).is_file():
            return (git / name).read_text().strip()
        packed = (git / "packed-refs").read_text().splitlines()
    except OSError:
        return None
    return next((line.split()[0] for line in packed if line.endswith(f" {name}")), None)


def import_reference(root: Path, out: Path) -> dict[str, str]:
    """Write a template per SOURCES entry into `out` (created), and RECORD saying where each
    came from. Returns template name -> "path:symbol". Raises InputError, before writing
    anything, on a checkout whose files, symbols or placeholders are not the expected ones."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder (a checkout of github.com/jmhb0/viddiff)")
    texts: dict[str, str] = {}
    origin: dict[str, str] = {}
    for source in SOURCES:
        theirs, where = reference_text(root, source)
        text = convert(theirs, PLACEHOLDERS[source.template])
        problems = check_template(source.template, text)
        if problems:
            raise InputError(f"{root / source.path}: {source.symbol} does not fit vdbench's "
                             f"{source.template} template: {'; '.join(problems)}")
        texts[source.template], origin[source.template] = text, where
    writable_folder(out, "output folder (--out)")
    for name, text in texts.items():
        (out / f"{name}{SUFFIX}").write_text(text, encoding="utf-8")
    (out / RECORD).write_text(json.dumps(
        {"checkout": str(root.resolve()), "commit": _commit(root), "templates": origin},
        indent=2) + "\n", encoding="utf-8")
    return origin
