"""The Python API: the CLI's commands as functions, with the same options by the same names.

Every synchronous call also works inside a running event loop (a Jupyter cell): the run then
happens on a worker thread with its own loop. `evaluate_async` is the awaitable form.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vdbench.core.errors import InputError
from vdbench.core.results import Results
from vdbench.data.loader import Benchmark, Selection
from vdbench.data.loader import load_benchmark as _load_benchmark
from vdbench.frames.spec import FrameSpec
from vdbench.pipeline.config import EvalConfig
from vdbench.pipeline.run import run_eval_async, run_sync, score_file_async

SELECTION = ("domain", "action", "per_action", "limit")
FRAMES = {"fps": "fps", "max_frames": "max_frames", "long_side": "long_side"}
# CLI option name -> EvalConfig field, where they differ
RENAMED = {"tolerance": "tolerance_s", "model_option": "model_options"}


def _config(model: str, data: str, split: str, mode: str, out: str | Path | None,
            options: Mapping[str, Any]) -> EvalConfig:
    fields = {f.name for f in dataclasses.fields(EvalConfig)} - {"selection", "frame_spec"}
    positional = {"model", "data", "mode", "out"}
    valid = sorted(((fields - set(RENAMED.values())) | set(RENAMED) | set(SELECTION)
                    | set(FRAMES)) - positional)
    kwargs: dict[str, Any] = {}
    selection = {k: options[k] for k in SELECTION if k in options}
    frames = {FRAMES[k]: options[k] for k in FRAMES if k in options}
    for key, value in options.items():
        if key in selection or key in frames:
            continue
        name = RENAMED.get(key, key)
        if name not in fields or name in positional:
            raise InputError(f"{key}: not an option; valid: {', '.join(valid)}")
        kwargs[name] = Path(value) if name in ("cache_dir", "video_root") and value else value
    if isinstance(kwargs.get("model_options"), list):  # ["KEY=VALUE", ...] as on the CLI
        kwargs["model_options"] = dict(p.split("=", 1) for p in kwargs["model_options"])
    if mode not in ("closed", "open"):
        raise InputError(f"mode: expected closed or open, got {mode!r}")
    return EvalConfig(model=model, data=data, mode=mode,  # type: ignore[arg-type]
                      out=Path(out) if out is not None else None,
                      selection=Selection(split, **selection), frame_spec=FrameSpec(**frames),
                      **kwargs)


@dataclass
class RunResults(Results):
    """The results of a run, with the folder it was written to (`run_dir`: `out`, or the new
    runs/MODEL_MODE_SPLIT_TIME/ folder when `out` was not given)."""

    run_dir: Path | None = None

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out.pop("run_dir", None)  # where a run lies is not part of its results.json
        return out


def _with_folder(results: Results, folder: Path) -> RunResults:
    return RunResults(**{f.name: getattr(results, f.name) for f in dataclasses.fields(Results)},
                      run_dir=folder)


async def evaluate_async(model: str = "random", data: str = "mini", split: str = "all",
                         mode: str = "closed", out: str | Path | None = None,
                         **options: Any) -> RunResults:
    """`vdbench eval`: run `model`, score it, write the run folder; the typed results, with
    the folder in `run_dir`."""
    results, folder = await run_eval_async(_config(model, data, split, mode, out, options))
    return _with_folder(results, folder)


def evaluate(model: str = "random", data: str = "mini", split: str = "all",
             mode: str = "closed", out: str | Path | None = None, **options: Any) -> RunResults:
    """`vdbench eval` as a function; options are the CLI's, by the same names (seed, limit,
    concurrency, cache_dir, judge, swap, max_failures, model_option={"KEY": "VALUE"}, ...)."""
    return run_sync(lambda: evaluate_async(model, data, split, mode, out, **options))


def score(predictions: str | Path, data: str = "mini", split: str = "all",
          mode: str = "closed", out: str | Path | None = None, **options: Any) -> RunResults:
    """`vdbench score`: score a prediction file (canonical or list format)."""
    cfg = _config("random", data, split, mode, out, options)
    results, folder = run_sync(lambda: score_file_async(Path(predictions), cfg))
    return _with_folder(results, folder)


def load_benchmark(data: str = "mini", split: str = "all", *, video_root: str | Path | None = None,
                   cache_dir: str | Path | None = None, check_videos: bool = False,
                   **selection: Any) -> Benchmark:
    """The benchmark's samples (typed `Sample`s) for a data source and selection."""
    unknown = sorted(set(selection) - set(SELECTION))
    if unknown:
        raise InputError(f"{', '.join(unknown)}: not an option; valid: {', '.join(SELECTION)}")
    return _load_benchmark(data, Selection(split, **selection),
                           video_root=Path(video_root) if video_root else None,
                           cache_dir=Path(cache_dir) if cache_dir else None,
                           check_videos=check_videos)
