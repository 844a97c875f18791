"""Turn a VideoRef into the Clip a model is shown: sample, shrink, JPEG-encode, cache on disk.

The cache is content-addressed, so one video serves every pair, model and run that uses it,
and a hit reads only the cached JPEGs: the video itself is never opened.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

from PIL import Image

from vdbench.core.errors import InputError
from vdbench.data.schema import Sample, VideoRef
from vdbench.data.splits import VIDEO_SOURCES
from vdbench.frames.spec import FrameSpec, select_frames
from vdbench.frames.types import Clip, Frame
from vdbench.frames.video import linked_outside, list_images, open_video

# Bump when sampling, resizing or encoding changes what a key produces. 2: rotation applied.
CACHE_VERSION = 2
_MIB = 1 << 20


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
    """Prepares clips for models; safe to call from several threads at once."""

    def __init__(
        self, spec: FrameSpec, cache_dir: Path | None = None, video_root: Path | None = None
    ):
        self.spec = spec
        self.cache = Path(cache_dir) / "frames" if cache_dir is not None else None
        self.video_root = Path(video_root) if video_root is not None else None
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def prepare_pair(self, sample: Sample) -> tuple[Clip, Clip]:
        cap = self.spec.per_video_cap
        a, b = (self.prepare(v, sample.domain, cap) for v in sample.videos)
        total, limit = len(a) + len(b), self.spec.max_frames
        if self.spec.over_cap == "refuse" and limit is not None and total > limit:
            raise InputError(
                f"{sample.sample_key}: {len(a)} + {len(b)} frames at "
                f"{self.spec.target_fps(sample.domain):g} fps exceed the pair cap of {limit}; "
                "the reference code stops here too (use --protocol fast to thin each video, "
                "or --max-frames)")
        return a, b

    def prepare(self, ref: VideoRef, domain: str, max_frames: int | None) -> Clip:
        """The clip of one video at the domain's rate, at most max_frames frames."""
        return self._prepare(ref, self.spec.target_fps(domain), max_frames, domain)

    def resolve(self, ref: VideoRef) -> Path:
        return ref.resolve(self.video_root)

    def _prepare(self, ref: VideoRef, fps: float, max_frames: int | None,
                 domain: str | None) -> Clip:
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
        key = self._key(path, ref, fps, max_frames)
        with self._lock(key):
            clip = self._load(key, path)
            if clip is None:
                clip = self._build(path, ref, fps, max_frames, key)
                self._store(clip)
        return clip

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
                for i, image in video.read(sel.indices, self.spec.long_side)
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
        if self.cache is None:
            return None
        entry = self.cache / key
        if not entry.is_dir():
            return None
        try:
            manifest = json.loads((entry / "manifest.json").read_text())
            frames = []
            for f in manifest["frames"]:
                image = (entry / f["file"]).read_bytes()
                if hashlib.sha256(image).hexdigest() != f["sha256"]:
                    raise ValueError("corrupt frame")
                frames.append(Frame(f["index"], f["time_s"], image, f["sha256"]))
        except (OSError, ValueError, KeyError, TypeError):
            shutil.rmtree(entry, ignore_errors=True)  # damaged entry: rebuild it
            return None
        return Clip(frames=tuple(frames), fps=manifest["fps"], source=str(path), key=key)

    def _store(self, clip: Clip) -> None:
        if self.cache is None:
            return
        tmp = self.cache / f".tmp-{clip.key}-{uuid.uuid4().hex}"
        tmp.mkdir(parents=True)
        try:
            entries: list[dict[str, Any]] = []
            for f in clip.frames:
                name = f"{f.index:06d}.{'png' if f.mime == 'image/png' else 'jpg'}"
                (tmp / name).write_bytes(f.image)
                entries.append(
                    {"index": f.index, "time_s": f.time_s, "file": name, "sha256": f.sha256}
                )
            manifest = {"key": clip.key, "source": clip.source, "fps": clip.fps, "frames": entries}
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
            try:
                os.rename(tmp, self.cache / clip.key)  # atomic; fails if the entry already exists
            except OSError:
                if not (self.cache / clip.key).is_dir():
                    raise
                # another process stored the same clip first; its copy is as good as ours
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


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
