"""Before the first call: every request of the run fits the context window its server serves.
A served open model (vLLM) counts the tokens its frames become by its own rules, so a pair
that cannot fit is found from the videos' frame counts and sizes, without sending it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from vdbench.core.errors import InputError
from vdbench.data.loaded import LoadedBenchmark
from vdbench.models.base import Model
from vdbench.pipeline.config import EvalConfig
from vdbench.tasks.base import Task

_WORKERS = 4  # planning opens each video and decodes one frame: mostly waiting on the disk


def check_context(bench: LoadedBenchmark, cfg: EvalConfig, model: Model,
                  task: Task) -> int | None:
    """The largest request's prompt tokens (None when the model's window or rules are not
    known); InputError naming the largest pair when any request cannot fit."""
    window = model.context_window
    if window is None or not model.needs_frames or not bench.samples:
        return None
    from vdbench.frames.prepare import FramePreparer

    preparer = FramePreparer(model.frames_for(cfg.frames), None, bench.video_root)
    with ThreadPoolExecutor(_WORKERS) as pool:
        shapes = list(pool.map(preparer.plan_pair, bench.samples))
    sized = [(sample, pair, size) for sample, pair in zip(bench.samples, shapes)
             if (size := model.prompt_size(sample, task, pair)) is not None]
    if not sized:
        return None
    sample, (a, b), size = max(sized, key=lambda item: item[2].total)
    if size.total > window:
        over = sum(1 for *_, s in sized if s.total > window)
        raise InputError(
            f"{cfg.model}: {over} of {len(sized)} pairs do not fit the {window:,} tokens the "
            f"server serves (max_model_len). The largest, pair {sample.sample_key!r}, needs "
            f"about {size.total:,} prompt tokens: {size.visual:,} for its frames ({a.n_frames} "
            f"at {a.width}x{a.height} and {b.n_frames} at {b.width}x{b.height}) and ~{size.text:,} "
            "of text. Serve a longer window (vllm serve --max-model-len N) or show fewer frames "
            "(--fps, --max-frames N, or --protocol fast)")
    return size.total
