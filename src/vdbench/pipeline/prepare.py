"""Before a run's first call: its samples loaded from the benchmark, every video a model
will open probed, and the benchmark's tasks handed to the model."""

from __future__ import annotations

from vdbench.data.loaded import LoadedBenchmark
from vdbench.models.base import Model
from vdbench.pipeline.config import EvalConfig
from vdbench.tasks.base import TaskSet


def load(cfg: EvalConfig, check_videos: bool) -> LoadedBenchmark:
    return cfg.spec.load(cfg.data, cfg.selection, video_root=cfg.video_root,
                         cache_dir=cfg.cache_dir, skip_missing=cfg.skip_missing,
                         check_videos=check_videos, revision=cfg.data_revision)


def probe(bench: LoadedBenchmark, cfg: EvalConfig, model: Model) -> None:
    """Every video a frame-reading model will open is probed first: a bad one stops the run
    with one list (exit 2), or with --skip-missing its sample is skipped and recorded."""
    if not model.needs_frames:
        return
    from vdbench.frames.probe import verify_videos

    kept, problems = verify_videos(bench.samples, bench.video_root, skip=cfg.skip_missing)
    bench.samples = kept
    bench.skipped_bad = [p.to_json() for p in problems]


def task_set(cfg: EvalConfig) -> TaskSet:
    tasks = cfg.spec.tasks(cfg.protocol.prompts_dir)
    return TaskSet(tasks[cfg.task], tasks, cfg.spec.load_predictions)


def bind_tasks(cfg: EvalConfig, model: Model, samples: list) -> TaskSet:
    """The benchmark's tasks, bound to the model with the run's samples."""
    tasks = task_set(cfg)
    model.bind(samples, tasks)
    return tasks
