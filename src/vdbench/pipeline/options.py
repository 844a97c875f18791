"""One translation from the options of the CLI and of the Python API (the same names:
`--per-action` is `per_action`) to a run's EvalConfig."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vdbench.core.errors import InputError
from vdbench.data.loader import Selection
from vdbench.pipeline.config import EvalConfig

SELECTION = ("split", "domain", "action", "per_action", "limit")
FRAMES = ("fps", "max_frames", "long_side")
# option name -> EvalConfig field, where they differ
RENAMED = {"tolerance": "tolerance_s", "model_option": "model_options",
           "protocol": "protocol_name", "prompts": "prompts_dir"}
PATHS = ("out", "cache_dir", "video_root", "prompts_dir")
_FIELDS = frozenset(f.name for f in dataclasses.fields(EvalConfig) if f.init) - {
    "selection", "frame_spec", "frame_overrides", "model_options", "tolerance_s",
    "protocol_name", "prompts_dir"}
OPTIONS = frozenset(_FIELDS | set(SELECTION) | set(FRAMES) | set(RENAMED))


def eval_config(options: Mapping[str, Any]) -> EvalConfig:
    """The run configuration of `options`; a None value is an option not given (its default
    holds). An unknown name is an InputError listing the valid ones."""
    unknown = sorted(set(options) - OPTIONS)
    if unknown:
        raise InputError(f"{', '.join(unknown)}: not an option; valid: "
                         f"{', '.join(sorted(OPTIONS))}")
    given = {k: v for k, v in options.items() if v is not None}
    selection = {k: given.pop(k) for k in SELECTION if k in given}
    frames = {k: given.pop(k) for k in FRAMES if k in given}
    kwargs = {RENAMED.get(k, k): v for k, v in given.items()}
    for name in PATHS:
        if kwargs.get(name):
            kwargs[name] = Path(kwargs[name])
    if "model_options" in kwargs:
        kwargs["model_options"] = model_options(kwargs["model_options"])
    return EvalConfig(selection=Selection(**selection), frame_overrides=frames, **kwargs)


def model_options(value: Mapping[str, Any] | list[str]) -> dict[str, Any]:
    """`--model-option KEY=VALUE` (repeated), or a mapping as the API takes it."""
    if isinstance(value, Mapping):
        return dict(value)
    out = {}
    for pair in value:
        key, sep, item = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--model-option: expected KEY=VALUE, got {pair!r}")
        out[key.strip()] = item.strip()
    return out
