"""`FramePool` prepares a run's pairs for its event loop on every core: cache hits are read in
threads, misses decoded in worker processes, since decoding and resizing hold the GIL much of
the time."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import sys
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from vdbench.core.errors import InputError, RunFailure
from vdbench.data.schema import Sample, VideoRef
from vdbench.frames.prepare import FramePreparer
from vdbench.frames.spec import FrameSpec
from vdbench.frames.types import Clip

log = logging.getLogger("vdbench.frames")

_WORKER: FramePreparer | None = None  # a worker process's preparer


def _init_worker(spec: FrameSpec, cache_dir: Path | None, video_root: Path | None,
                 cache_limit_gb: float | None) -> None:
    global _WORKER
    _WORKER = FramePreparer(spec, cache_dir, video_root, cache_limit_gb=cache_limit_gb)


def _build_in_worker(path: Path, ref: VideoRef, fps: float, max_frames: int | None,
                     key: str) -> Clip:
    assert _WORKER is not None, "_init_worker runs first"
    try:
        return _WORKER.build(path, ref, fps, max_frames, key)
    except InputError as exc:  # its `problems` are in its text; pickling keeps args only
        raise InputError(str(exc)) from None


def _process_context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one: workers forked from a clean process that has imported
    the decoder once, never from the run's process with its threads and event loop."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["vdbench.frames.pool", "vdbench.frames.prepare",
                                    "vdbench.frames.video", "av", "PIL.Image"])
        return ctx
    return multiprocessing.get_context("spawn")


def workers_can_start() -> bool:
    """Whether worker processes can start without running the program a second time.

    A worker imports the program's main module (Python's rule for forkserver and spawn), so
    a script whose top level runs an evaluation without an `if __name__ == "__main__":`
    guard would run it again in every worker. The vdbench command, `python -m ...`, pytest
    and notebooks are safe; a script is taken as safe when it has such a guard. Otherwise
    frames are decoded in threads."""
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None and (name == "__main__" or name.endswith(".__main__")):
        return True  # python -m PACKAGE: multiprocessing never imports it again
    path = getattr(main, "__file__", None)
    if path is None:
        return True  # an interactive session or a notebook: nothing to import again
    try:
        source = Path(path).read_text(errors="replace")
    except OSError:
        return False
    return "__name__" in source and "__main__" in source


class FramePool:
    """Prepares pairs for an event loop on `workers` cores.

    A video's cache key is computed, and a cache hit read, in a thread (file reads and
    hashing release the GIL). A miss is decoded, resized, encoded and stored in a worker
    process when `processes` is true: PyAV's decoding and the frame conversions hold the GIL
    for much of their time, so threads would share one core. Two pairs wanting the same clip
    at once get it from one decode. Byte for byte the clips equal FramePreparer's: the
    workers run the same code. Nothing is kept once a pair is returned, so memory follows the
    caller's pairs in flight, not the run's size.
    """

    def __init__(self, preparer: FramePreparer, workers: int | None = None, *,
                 processes: bool = True):
        self.preparer = preparer
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.processes = processes and self.workers > 1
        if self.processes and not workers_can_start():
            log.warning("frames are decoded in threads, not worker processes: the program "
                        "that runs vdbench has no `if __name__ == \"__main__\":` guard, which "
                        "worker processes need (they import it again)")
            self.processes = False
        self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="vdbench-frames")
        self._lookups = asyncio.Semaphore(self.workers)
        self._procs: ProcessPoolExecutor | None = None  # started at the first miss
        self._building: dict[str, asyncio.Future[Clip]] = {}

    async def prepare_pair(self, sample: Sample) -> tuple[Clip, Clip]:
        spec = self.preparer.spec
        fps, cap = spec.target_fps(sample.domain), spec.per_video_cap
        loop = asyncio.get_running_loop()
        # Both lookups in one thread hop, no more than `workers` at once: threads that queue
        # up work back to back would keep taking the GIL from the event loop, whose requests
        # are the run's critical path.
        async with self._lookups:
            found = await loop.run_in_executor(self._threads, self._lookup_pair, sample, fps, cap)
        a, b = await asyncio.gather(*(
            self._clip(loop, ref, fps, cap, *hit) for ref, hit in zip(sample.videos, found,
                                                                     strict=True)))
        return self.preparer.check_pair(sample, a, b)

    def _lookup_pair(self, sample: Sample, fps: float, cap: int | None
                     ) -> list[tuple[Path, str, Clip | None]]:
        return [self.preparer.lookup(ref, fps, cap, sample.domain) for ref in sample.videos]

    async def _clip(self, loop: asyncio.AbstractEventLoop, ref: VideoRef, fps: float,
                    max_frames: int | None, path: Path, key: str, clip: Clip | None) -> Clip:
        """The clip a lookup found, or built (once, however many pairs want it at once)."""
        if clip is not None:
            return clip
        if (building := self._building.get(key)) is not None:
            return _at(await asyncio.shield(building), path)
        future = loop.create_future()
        self._building[key] = future
        try:
            clip = await self._build(loop, path, ref, fps, max_frames, key)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        else:
            future.set_result(clip)
            return clip
        finally:
            del self._building[key]

    async def _build(self, loop: asyncio.AbstractEventLoop, path: Path, ref: VideoRef,
                     fps: float, max_frames: int | None, key: str) -> Clip:
        if not self.processes:
            return await loop.run_in_executor(
                self._threads, self.preparer.build, path, ref, fps, max_frames, key)
        try:
            return await loop.run_in_executor(
                self._process_pool(), _build_in_worker, path, ref, fps, max_frames, key)
        except BrokenProcessPool as exc:
            raise RunFailure(f"a frame worker process died ({exc}); out of memory? Run with "
                             "fewer samples in flight (--concurrency)") from None

    def _process_pool(self) -> Executor:
        if self._procs is None:
            p = self.preparer
            self._procs = ProcessPoolExecutor(
                self.workers, mp_context=_process_context(), initializer=_init_worker,
                initargs=(p.spec, p.cache_dir, p.video_root, p.cache_limit_gb))
        return self._procs

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
        if self._procs is not None:
            self._procs.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> FramePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _at(clip: Clip, path: Path) -> Clip:
    """A clip shared between two pairs names the path each pair gave."""
    source = str(path)
    return clip if clip.source == source else Clip(clip.frames, clip.fps, source, clip.key)
