"""Turn a VideoRef into the Clip a model is shown: sample, shrink, encode, cache on disk.

The cache (`store.py`) is content-addressed, so one video serves every pair, model and run
that uses it, and a hit reads only the cached frames: the video itself is never opened. It is
kept under a size limit (--frame-cache-gb, 20 GB by default; `eviction.py`). `pool.py`
prepares a run's pairs on every core.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from vdbench.core import defaults
from vdbench.core.errors import InputError
from vdbench.data.schema import Sample, VideoRef
from vdbench.data.viddiffbench_facts import VIDEO_SOURCES
from vdbench.frames.encode import encode_frame
from vdbench.frames.spec import FrameSpec, select_frames
from vdbench.frames.store import CACHE_VERSION, ClipStore, content_fingerprint
from vdbench.frames.types import Clip, ClipShape, Frame
from vdbench.frames.video import linked_outside, open_video

DEFAULT_FRAME_CACHE_GB = defaults.FRAME_CACHE_GB  # --frame-cache-gb


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
        self.store = ClipStore(self.cache, cache_limit_gb) if self.cache is not None else None
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
            sel = select_frames(ref, video.n_frames, fps, max_frames, self.spec.keep_first)
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
        if self.spec.keep_first:  # absent otherwise, so older cache entries still hit
            fields["keep_first"] = True
        if self.spec.pixels is not None:  # absent otherwise, so older cache entries still hit
            fields["pixels"] = self.spec.pixels.to_dict()
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()

    def _load(self, key: str, path: Path) -> Clip | None:
        return self.store.load(key, path) if self.store is not None else None

    def _store(self, clip: Clip) -> None:
        if self.store is not None:
            self.store.store(clip)

    def _lock(self, key: str) -> threading.Lock:
        # One lock per key: two threads wanting the same clip decode it once.
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    def _build(self, path: Path, ref: VideoRef, fps: float, max_frames: int | None,
               key: str) -> Clip:
        video = open_video(path)
        try:
            sel = select_frames(ref, video.n_frames, fps, max_frames, self.spec.keep_first)
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
