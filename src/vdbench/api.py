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

from vdbench.benchmarks.catalog import DEFAULT_BENCHMARK, get_benchmark
from vdbench.core import defaults
from vdbench.core.errors import InputError
from vdbench.core.results import Results
from vdbench.data.loaded import LoadedBenchmark
from vdbench.data.loader import Selection
from vdbench.pipeline.config import EvalConfig
from vdbench.pipeline.options import eval_config
from vdbench.pipeline.run import run_eval_async, run_sync, score_file_async

SELECTION = ("domain", "action", "per_action", "limit")


def _config(model: str, data: str, split: str, mode: str | None, out: str | Path | None,
            options: Mapping[str, Any]) -> EvalConfig:
    return eval_config({**options, "model": model, "data": data, "split": split,
                        "mode": mode, "out": out})


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


async def evaluate_async(model: str = "random", data: str = defaults.DATA,
                         split: str = defaults.SPLIT, mode: str | None = None,
                         out: str | Path | None = None,
                         **options: Any) -> RunResults:
    """`vdbench eval`: run `model`, score it, write the run folder; the typed results, with
    the folder in `run_dir`."""
    results, folder = await run_eval_async(_config(model, data, split, mode, out, options))
    return _with_folder(results, folder)


def evaluate(model: str = "random", data: str = defaults.DATA, split: str = defaults.SPLIT,
             mode: str | None = None, out: str | Path | None = None,
             **options: Any) -> RunResults:
    """`vdbench eval` as a function; options are the CLI's, by the same names (benchmark,
    seed, limit, concurrency, cache_dir, judge, swap, max_failures, model_option={"KEY":
    "VALUE"}, ...). `mode`: the benchmark's task (None: its first)."""
    return run_sync(lambda: evaluate_async(model, data, split, mode, out, **options))


def score(predictions: str | Path, data: str = defaults.DATA, split: str = defaults.SPLIT,
          mode: str | None = None, out: str | Path | None = None,
          **options: Any) -> RunResults:
    """`vdbench score`: score a prediction file (canonical or list format)."""
    cfg = _config("random", data, split, mode, out, options)
    results, folder = run_sync(lambda: score_file_async(Path(predictions), cfg))
    return _with_folder(results, folder)


def load_benchmark(data: str = defaults.DATA, split: str = defaults.SPLIT, *,
                   benchmark: str = DEFAULT_BENCHMARK, video_root: str | Path | None = None,
                   cache_dir: str | Path | None = None, check_videos: bool = False,
                   **selection: Any) -> LoadedBenchmark:
    """The benchmark's samples (typed: VidDiffBench's `Sample`s, ViDiC-1K's `VidicSample`s)
    for a data source and selection."""
    unknown = sorted(set(selection) - set(SELECTION))
    if unknown:
        raise InputError(f"{', '.join(unknown)}: not an option; valid: {', '.join(SELECTION)}")
    return get_benchmark(benchmark).load(
        data, Selection(split, **selection), video_root=Path(video_root) if video_root else None,
        cache_dir=Path(cache_dir) if cache_dir else None, skip_missing=False,
        check_videos=check_videos, revision=None)
