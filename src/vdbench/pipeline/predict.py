"""Run a model over samples: frames prepared ahead on every core, samples in flight bounded,
every failure recorded for its sample, a bad configuration stopping the run."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vdbench.core.errors import InputError, RunFailure
from vdbench.core.types import SampleOutput, Status
from vdbench.llm.errors import summarize
from vdbench.models.base import EvalItem, Model
from vdbench.pipeline.config import EvalConfig
from vdbench.tasks.base import Task

if TYPE_CHECKING:
    from vdbench.frames.pool import FramePool

# Below this many pairs the frames are prepared in threads: starting worker processes costs
# more than it saves (the bundled mini benchmark has 18 pairs).
PROCESS_MIN_PAIRS = 32


class Observer:
    """Told when a run starts and as each sample finishes (the CLI's progress bar)."""

    def start(self, total: int) -> None: ...

    def done(self, out: SampleOutput) -> None: ...

    def batch(self, event: object) -> None:
        """A provider batch job changed state (--batch); `event.describe()` says how."""


def samples_in_flight(cfg: EvalConfig, n_samples: int, frame_workers: int = 0) -> int:
    """How many samples may be started and not finished: --concurrency, plus two pairs per
    frame worker when the model is shown frames. The runtime bounds the requests to
    --concurrency; the extra samples keep every frame worker busy whatever --concurrency is,
    and have their frames ready and their requests waiting when a slot frees. Prepared clips
    never number more than this many pairs, whatever the size of the run. With --batch every
    sample is in flight at once: its requests wait for a job, and a job holds as many as the
    provider allows."""
    if cfg.runtime_settings().batch:
        return max(n_samples, 1)
    return cfg.concurrency + 2 * frame_workers


async def predict_all(
    samples: list[Any], model: Model, cfg: EvalConfig, task: Task, video_root: Path,
    observer: Observer | None = None,
) -> list[SampleOutput]:
    """Run the model on every sample, frames prepared ahead; failures recorded per sample."""
    pool: FramePool | None = None
    if model.needs_frames:
        from vdbench.frames.pool import FramePool
        from vdbench.frames.prepare import FramePreparer

        preparer = FramePreparer(model.frames_for(cfg.frames), cfg.runtime_settings().cache_dir,
                                 video_root, cache_limit_gb=cfg.frame_cache_gb)
        pool = FramePool(preparer, os.cpu_count() or 1,
                         processes=len(samples) >= PROCESS_MIN_PAIRS)
    observer = observer or Observer()
    observer.start(len(samples))
    window = samples_in_flight(cfg, len(samples), pool.workers if pool is not None else 0)
    in_flight = asyncio.Semaphore(window)

    async def predict(sample: Any) -> SampleOutput:
        clips = None
        if pool is not None:
            try:
                clips = await pool.prepare_pair(sample)
            except RunFailure:  # the frame workers are gone: no sample can get frames
                raise
            except Exception as exc:  # a broken video fails its sample, not the run
                return _failed(sample, "frame_error", exc)
        try:
            return await model.predict(EvalItem(sample, task, clips))
        except (InputError, RunFailure):
            raise
        except Exception as exc:
            return _failed(sample, "api_error", exc)

    # A bad configuration or a failure of the service stops the run: no new sample starts.
    refusals: list[InputError | RunFailure] = []

    async def one(sample: Any) -> SampleOutput | None:
        async with in_flight:
            if refusals:
                return None
            try:
                out = await predict(sample)
            except (InputError, RunFailure) as exc:
                refusals.append(exc)
                return None
        observer.done(out)
        return out

    try:
        outputs = await asyncio.gather(*(one(s) for s in samples))
    finally:
        if pool is not None:
            pool.close()
    if refusals:
        raise refusals[0]
    return [o for o in outputs if o is not None]


def _failed(sample: Any, status: Status, exc: Exception) -> SampleOutput:
    return SampleOutput(sample.sample_key, {}, status=status, error=summarize(exc))
