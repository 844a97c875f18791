"""Run a model over samples: frames prepared in threads, samples in flight bounded, every
failure recorded for its sample, a bad configuration stopping the run."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from vdbench.core.errors import InputError, RunFailure
from vdbench.core.types import SampleOutput, Status
from vdbench.data.schema import Sample
from vdbench.llm.errors import summarize
from vdbench.models.base import EvalItem, Model
from vdbench.pipeline.config import EvalConfig


class Observer:
    """Told when a run starts and as each sample finishes (the CLI's progress bar)."""

    def start(self, total: int) -> None: ...

    def done(self, out: SampleOutput) -> None: ...

    def batch(self, event: object) -> None:
        """A provider batch job changed state (--batch); `event.describe()` says how."""


async def predict_all(
    samples: list[Sample], model: Model, cfg: EvalConfig, video_root: Path,
    observer: Observer | None = None,
) -> list[SampleOutput]:
    """Run the model on every sample, frames prepared in threads; failures recorded per sample."""
    preparer = None
    if model.needs_frames:
        from vdbench.frames.prepare import FramePreparer

        preparer = FramePreparer(model.frames_for(cfg.frames), cfg.runtime_settings().cache_dir,
                                 video_root)
    observer = observer or Observer()
    observer.start(len(samples))
    # Bounds samples in flight, frames included: prepared clips never pile up behind the API.
    # With --batch every sample is in flight at once: its requests wait for a job, and a job
    # holds as many of them as the provider allows.
    batch = cfg.runtime_settings().batch
    in_flight = asyncio.Semaphore(max(len(samples), 1) if batch else cfg.concurrency)
    frame_slots = asyncio.Semaphore(os.cpu_count() or 1)

    async def predict(sample: Sample) -> SampleOutput:
        clips = None
        if preparer is not None:
            async with frame_slots:
                try:
                    clips = await asyncio.to_thread(preparer.prepare_pair, sample)
                except Exception as exc:  # a broken video fails its sample, not the run
                    return _failed(sample, "frame_error", exc)
        try:
            return await model.predict(EvalItem(sample, cfg.mode, clips))
        except (InputError, RunFailure):
            raise
        except Exception as exc:
            return _failed(sample, "api_error", exc)

    # A bad configuration or a failure of the service stops the run: no new sample starts.
    refusals: list[InputError | RunFailure] = []

    async def one(sample: Sample) -> SampleOutput | None:
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

    outputs = await asyncio.gather(*(one(s) for s in samples))
    if refusals:
        raise refusals[0]
    return [o for o in outputs if o is not None]


def _failed(sample: Sample, status: Status, exc: Exception) -> SampleOutput:
    return SampleOutput(sample.sample_key, {}, status=status, error=summarize(exc))
