"""Turn a VideoRef into the Clip a model is shown: sample, shrink, JPEG-encode, cache on disk.

The cache is content-addressed, so one video serves every pair, model and run that uses it,
and a hit reads only the cached JPEGs: the video itself is never opened. It is kept under a
size limit (--frame-cache-gb, 20 GB by default) by evicting the least recently used entries:
a hit refreshes its entry's mtime, and a store that takes the folder over the limit removes
the oldest entries first (never the one just stored). Eviction renames an entry away before
deleting it, so a reader sees either the whole entry or none of it, and a reader whose entry
vanished rebuilds it; several processes can share the folder.

`FramePool` prepares pairs for the event loop of a run: cache hits are read in threads, and
misses decoded in worker processes, since decoding and resizing hold the GIL much of the time.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import multiprocessing
import os
import shutil
import sys
import threading
import time
import uuid
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from PIL import Image

from vdbench.core.errors import InputError, RunFailure
from vdbench.data.schema import Sample, VideoRef
from vdbench.data.splits import VIDEO_SOURCES
from vdbench.frames.spec import FrameSpec, select_frames
from vdbench.frames.types import Clip, ClipShape, Frame
from vdbench.frames.video import linked_outside, list_images, open_video

# Bump when sampling, resizing or encoding changes what a key produces. 2: rotation applied.
CACHE_VERSION = 2
_MIB = 1 << 20
DEFAULT_FRAME_CACHE_GB = 20.0  # --frame-cache-gb
GB = 10**9
_TMP, _EVICTED = ".tmp-", ".evicted-"  # entries being written / being deleted
_RESCAN_S = 30.0  # how long a process trusts its own count of the folder's size
_STALE_S = 3600.0  # a temp or evicted folder this old was left by a killed process

log = logging.getLogger("vdbench.frames")


def content_fingerprint(path: Path) -> str:
    """A cheap stand-in for hashing the whole video: the size and the first and last MiB of a
    file; every name and size of a folder of images, and its first and last image. A change
    that keeps the size and lies only in the middle goes unseen (delete the frame cache)."""
    h = hashlib.sha256()
    if path.is_dir():
        files = list_images(path)
        for f in files:
            h.update(f"{f.name}\0{f.stat().st_size}\n".encode())
        for f in dict.fromkeys(files[:1] + files[-1:]):
            h.update(f.read_bytes())
        return h.hexdigest()
    size = path.stat().st_size
    h.update(f"{size}\n".encode())
    with path.open("rb") as fh:
        h.update(fh.read(_MIB))
        if size > _MIB:
            fh.seek(max(_MIB, size - _MIB))
            h.update(fh.read(_MIB))
    return h.hexdigest()


def encode_jpeg(image: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def encode_frame(image: Image.Image, spec: FrameSpec) -> bytes:
    if spec.image_format == "png":
        buf = io.BytesIO()
        image.save(buf, format="PNG", compress_level=1)  # lossless; level changes size only
        return buf.getvalue()
    return encode_jpeg(image, spec.jpeg_quality)


class FramePreparer:
    """Prepares clips for models; safe to call from several threads (and processes) at once.

    cache_limit_gb: the frame cache's size limit in GB (10**9 bytes); None: no limit."""

    def __init__(
        self, spec: FrameSpec, cache_dir: Path | None = None, video_root: Path | None = None,
        *, cache_limit_gb: float | None = DEFAULT_FRAME_CACHE_GB,
    ):
        if cache_limit_gb is not None and not cache_limit_gb > 0:
            raise InputError(f"--frame-cache-gb: must be positive, got {cache_limit_gb}")
        self.spec = spec
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.cache = self.cache_dir / "frames" if self.cache_dir is not None else None
        self.video_root = Path(video_root) if video_root is not None else None
        self.cache_limit_gb = cache_limit_gb
        self._evictor = (_Evictor(self.cache, int(cache_limit_gb * GB))
                         if self.cache is not None and cache_limit_gb is not None else None)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def prepare_pair(self, sample: Sample) -> tuple[Clip, Clip]:
        cap = self.spec.per_video_cap
        a, b = (self.prepare(v, sample.domain, cap) for v in sample.videos)
        return self.check_pair(sample, a, b)

    def check_pair(self, sample: Sample, a: Clip, b: Clip) -> tuple[Clip, Clip]:
        """The pair, unless the protocol refuses pairs over the cap (InputError)."""
        total, limit = len(a) + len(b), self.spec.max_frames
        if self.spec.over_cap == "refuse" and limit is not None and total > limit:
            raise InputError(
                f"{sample.sample_key}: {len(a)} + {len(b)} frames at "
                f"{self.spec.target_fps(sample.domain):g} fps exceed the pair cap of {limit}; "
                "the reference code stops here too (use --protocol fast to thin each video, "
                "or --max-frames)")
        return a, b

    def plan_pair(self, sample: Sample) -> tuple[ClipShape, ClipShape]:
        """How many frames of each video the pair will show, and at what size, from one
        decoded frame a video (for checking requests against a context window)."""
        fps, cap = self.spec.target_fps(sample.domain), self.spec.per_video_cap
        a, b = (self._plan(self._locate(v, sample.domain), v, fps, cap) for v in sample.videos)
        return a, b

    def _plan(self, path: Path, ref: VideoRef, fps: float, max_frames: int | None) -> ClipShape:
        video = open_video(path)
        try:
            sel = select_frames(ref, video.n_frames, fps, max_frames)
            _, first = next(iter(video.read(sel.indices[:1], self.spec.shown_size)))
        except StopIteration:
            raise InputError(f"{path}: no frames could be decoded from the video") from None
        finally:
            video.close()
        return ClipShape(len(sel.indices), *first.size, fps=sel.fps)

    def prepare(self, ref: VideoRef, domain: str, max_frames: int | None) -> Clip:
        """The clip of one video at the domain's rate, at most max_frames frames."""
        return self._prepare(ref, self.spec.target_fps(domain), max_frames, domain)

    def resolve(self, ref: VideoRef) -> Path:
        return ref.resolve(self.video_root)

    def _prepare(self, ref: VideoRef, fps: float, max_frames: int | None,
                 domain: str | None) -> Clip:
        path, key, clip = self.lookup(ref, fps, max_frames, domain)
        return clip if clip is not None else self.build(path, ref, fps, max_frames, key)

    def lookup(self, ref: VideoRef, fps: float, max_frames: int | None,
               domain: str | None) -> tuple[Path, str, Clip | None]:
        """The video's path, its clip's cache key, and the clip if the cache has it."""
        path = self._locate(ref, domain)
        key = self._key(path, ref, fps, max_frames)
        return path, key, self._load(key, path)

    def build(self, path: Path, ref: VideoRef, fps: float, max_frames: int | None,
              key: str) -> Clip:
        """The clip from the cache, or decoded and stored; one thread per key decodes."""
        with self._lock(key):
            clip = self._load(key, path)
            if clip is None:
                clip = self._build(path, ref, fps, max_frames, key)
                self._store(clip)
        return clip

    def _locate(self, ref: VideoRef, domain: str | None) -> Path:
        path = self.resolve(ref)
        if not path.exists():
            source = VIDEO_SOURCES.get(domain or "")
            hint = f" (the {domain} videos come from {source})" if source else ""
            raise InputError(f"video not found: {path}{hint}")
        if self.video_root is not None and path.is_dir():
            try:
                escape = linked_outside(path, self.video_root)
            except OSError as exc:
                raise InputError(f"{path}: unreadable folder ({exc})") from None
            if escape:
                raise InputError(f"{ref.where}: {path}: {escape}; a video must lie inside "
                                 "the data folder or --video-root")
        return path

    def _key(self, path: Path, ref: VideoRef, fps: float, max_frames: int | None) -> str:
        try:
            content = content_fingerprint(path)
        except OSError as exc:
            raise InputError(f"{path}: unreadable ({exc})") from None
        fields = {
            "version": CACHE_VERSION,
            "content": content,
            "fps_original": ref.fps_original,
            "frames_trim": list(ref.frames_trim),
            "target_fps": fps,
            "max_frames": max_frames,
            "long_side": self.spec.long_side,
            "jpeg_quality": self.spec.jpeg_quality,
            "format": self.spec.image_format,
        }
        if self.spec.pixels is not None:  # absent otherwise, so older cache entries still hit
            fields["pixels"] = self.spec.pixels.to_dict()
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()

    def _lock(self, key: str) -> threading.Lock:
        # One lock per key: two threads wanting the same clip decode it once.
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    def _build(self, path: Path, ref: VideoRef, fps: float, max_frames: int | None,
               key: str) -> Clip:
        video = open_video(path)
        try:
            sel = select_frames(ref, video.n_frames, fps, max_frames)
            encoded = {
                i: encode_frame(image, self.spec)
                for i, image in video.read(sel.indices, self.spec.shown_size)
            }
        finally:
            video.close()
        # A frame count taken from metadata can overshoot the real end: keep what was decoded.
        frames = [
            Frame(i, t, encoded[i], hashlib.sha256(encoded[i]).hexdigest())
            for i, t in zip(sel.indices, sel.times_s, strict=True)
            if i in encoded
        ]
        if not frames:
            raise InputError(f"{path}: no frames could be decoded from the video")
        return Clip(frames=tuple(frames), fps=sel.fps, source=str(path), key=key)

    def _load(self, key: str, path: Path) -> Clip | None:
        """The cached clip, its entry marked as just used; None if it is not cached, was
        evicted while being read, or is damaged (then it is removed, to be rebuilt)."""
        if self.cache is None:
            return None
        entry = self.cache / key
        try:
            manifest = json.loads((entry / "manifest.json").read_text())
            frames = []
            for f in manifest["frames"]:
                image = (entry / f["file"]).read_bytes()
                if hashlib.sha256(image).hexdigest() != f["sha256"]:
                    raise ValueError("corrupt frame")
                frames.append(Frame(f["index"], f["time_s"], image, f["sha256"]))
            clip = Clip(frames=tuple(frames), fps=manifest["fps"], source=str(path), key=key)
        except FileNotFoundError:
            if entry.is_dir():
                _discard(entry)  # a file of the entry is missing: damaged
            return None  # not cached, or evicted mid-read: the caller builds it again
        except (OSError, ValueError, KeyError, TypeError):
            _discard(entry)  # damaged entry: rebuild it
            return None
        try:
            os.utime(entry)  # most recently used: evicted last
        except OSError:
            pass  # evicted just now; the clip read is whole all the same
        return clip

    def _store(self, clip: Clip) -> None:
        if self.cache is None:
            return
        tmp = self.cache / f"{_TMP}{clip.key}-{uuid.uuid4().hex}"
        tmp.mkdir(parents=True)
        try:
            entries: list[dict[str, Any]] = []
            nbytes = 0
            for f in clip.frames:
                name = f"{f.index:06d}.{'png' if f.mime == 'image/png' else 'jpg'}"
                (tmp / name).write_bytes(f.image)
                nbytes += len(f.image)
                entries.append(
                    {"index": f.index, "time_s": f.time_s, "file": name, "sha256": f.sha256}
                )
            manifest = {"key": clip.key, "source": clip.source, "fps": clip.fps,
                        "bytes": nbytes, "frames": entries}
            text = json.dumps(manifest, indent=1)
            (tmp / "manifest.json").write_text(text)
            nbytes += len(text.encode())
            for _attempt in range(3):
                try:
                    os.rename(tmp, self.cache / clip.key)  # atomic; fails if the entry exists
                    break
                except OSError:
                    if (self.cache / clip.key).is_dir():
                        break  # another process stored the same clip first; as good as ours
                    # it was evicted between the two calls: try again
            else:
                raise OSError(f"{self.cache / clip.key}: cannot store the frame cache entry")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if self._evictor is not None:
            self._evictor.stored(clip.key, nbytes)


def _discard(entry: Path) -> None:
    """Remove a cache entry so that no reader ever sees part of one: renamed away first (one
    atomic step), then deleted."""
    gone = entry.with_name(f"{_EVICTED}{entry.name}-{uuid.uuid4().hex}")
    try:
        os.rename(entry, gone)
    except OSError:
        return  # already gone (another process evicted it), or in use where that is refused
    shutil.rmtree(gone, ignore_errors=True)


class _Evictor:
    """Keeps a frame cache folder under a size limit, least recently used entries first.

    Entries never change once stored, so each one's size is read once per process (the
    manifest records it) and kept; a scan then costs one stat per entry. A process rescans
    after its own stores take its last count over the limit, and at least every _RESCAN_S
    seconds while it stores, which is how it learns of other processes' stores.
    """

    def __init__(self, root: Path, limit_bytes: int):
        self.root = root
        self.limit = limit_bytes
        self._sizes: dict[str, int] = {}
        self._total: int | None = None  # the folder's size at the last scan, plus our stores
        self._scanned_at = 0.0
        self._lock = threading.Lock()

    def stored(self, key: str, nbytes: int) -> None:
        with self._lock:
            self._sizes[key] = nbytes
            if self._total is not None:
                self._total += nbytes
                if (self._total <= self.limit
                        and time.monotonic() - self._scanned_at < _RESCAN_S):
                    return
            self._evict(keep=key)

    def _evict(self, keep: str) -> None:
        entries = self._scan()
        total = sum(size for _, _, size in entries)
        if total > self.limit:
            for mtime, name, size in sorted(entries):  # oldest first
                if total <= self.limit:
                    break
                if name == keep:
                    continue
                entry = self.root / name
                try:
                    if entry.stat().st_mtime != mtime:
                        continue  # used since the scan: no longer the oldest
                except OSError:
                    total -= size  # gone already
                    continue
                _discard(entry)
                self._sizes.pop(name, None)
                total -= size
            if total > self.limit:
                log.info("frame cache %s: %.2f GB after eviction, over its %.2f GB limit "
                         "(the entry just stored is kept)", self.root, total / GB,
                         self.limit / GB)
        self._total, self._scanned_at = total, time.monotonic()

    def _scan(self) -> list[tuple[float, str, int]]:
        """(mtime, name, bytes) of every entry; leftovers of killed processes removed."""
        out = []
        now = time.time()
        try:
            listing = list(os.scandir(self.root))
        except OSError:
            return []
        for item in listing:
            try:
                st = item.stat()
                if not item.is_dir():
                    continue
            except OSError:
                continue  # evicted while we looked
            if item.name.startswith((_TMP, _EVICTED)):
                if now - st.st_mtime > _STALE_S:
                    shutil.rmtree(item.path, ignore_errors=True)
                continue
            if item.name.startswith("."):
                continue
            size = self._sizes.get(item.name)
            if size is None:
                size = _entry_size(Path(item.path))
                if size is None:
                    continue  # evicted while we looked
                self._sizes[item.name] = size
            out.append((st.st_mtime, item.name, size))
        return out


def _entry_size(entry: Path) -> int | None:
    """Bytes of one entry: its manifest's count (and the manifest), else every file's size."""
    manifest = entry / "manifest.json"
    try:
        text = manifest.read_bytes()
        recorded = json.loads(text).get("bytes")
        if isinstance(recorded, int):
            return recorded + len(text)
    except (OSError, ValueError, AttributeError):
        pass
    try:
        with os.scandir(entry) as files:
            return sum(f.stat().st_size for f in files if f.is_file())
    except OSError:
        return None


# --- preparing a run's pairs on every core --------------------------------------------------

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
        ctx.set_forkserver_preload(["vdbench.frames.prepare", "vdbench.frames.video", "av",
                                    "PIL.Image"])
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


def video_fps(path: Path) -> float | None:
    """The frame rate a video file declares (None for an image folder)."""
    video = open_video(path)
    try:
        return video.fps
    finally:
        video.close()


def prepare_single(
    path: str | Path,
    fps: float,
    spec: FrameSpec | None = None,
    cache_dir: Path | None = None,
    folder_fps: float = 8.0,
    max_frames: int | None = None,
) -> Clip:
    """The clip of one video given on the command line (`vdbench frames VIDEO --fps F`).

    A video file's own average rate is its fps_original; an image folder has none, so
    folder_fps is assumed. max_frames defaults to one video's share of the pair's cap.
    """
    spec = spec or FrameSpec()
    if not fps > 0:
        raise InputError(f"--fps must be positive, got {fps}")
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"video not found: {path}")
    ref = VideoRef(str(path.resolve()), video_fps(path) or folder_fps, (None, None, None))
    cap = max_frames if max_frames is not None else spec.per_video_cap
    return FramePreparer(spec, cache_dir)._prepare(ref, float(fps), cap, None)
