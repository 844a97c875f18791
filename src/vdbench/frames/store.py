"""The on-disk frame cache: one folder a clip, named by its content-addressed key, holding its
encoded frames and a manifest. An entry appears whole (written aside, then renamed into
place) and is read back only when every frame matches its recorded hash; a damaged entry is
removed, to be rebuilt. Several processes can share the folder."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from vdbench.frames.eviction import GB, TMP, Evictor, discard
from vdbench.frames.types import Clip, Frame
from vdbench.frames.video import list_images

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


class ClipStore:
    """The clips of one cache folder, kept under `limit_gb` (None: no limit)."""

    def __init__(self, folder: Path, limit_gb: float | None):
        self.folder = folder
        self._evictor = Evictor(folder, int(limit_gb * GB)) if limit_gb is not None else None

    def load(self, key: str, path: Path) -> Clip | None:
        """The cached clip, its entry marked as just used; None if it is not cached, was
        evicted while being read, or is damaged (then it is removed, to be rebuilt)."""
        entry = self.folder / key
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
                discard(entry)  # a file of the entry is missing: damaged
            return None  # not cached, or evicted mid-read: the caller builds it again
        except (OSError, ValueError, KeyError, TypeError):
            discard(entry)  # damaged entry: rebuild it
            return None
        try:
            os.utime(entry)  # most recently used: evicted last
        except OSError:
            pass  # evicted just now; the clip read is whole all the same
        return clip

    def store(self, clip: Clip) -> None:
        tmp = self.folder / f"{TMP}{clip.key}-{uuid.uuid4().hex}"
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
                    os.rename(tmp, self.folder / clip.key)  # atomic; fails if the entry exists
                    break
                except OSError:
                    if (self.folder / clip.key).is_dir():
                        break  # another process stored the same clip first; as good as ours
                    # it was evicted between the two calls: try again
            else:
                raise OSError(f"{self.folder / clip.key}: cannot store the frame cache entry")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if self._evictor is not None:
            self._evictor.stored(clip.key, nbytes)


def frame_summary(folder: Path) -> tuple[int, int]:
    """(entries, bytes) of a frame cache folder."""
    sizes = [size for _, _, size in _entries(folder)]
    return len(sizes), sum(sizes)


def prune_frames(folder: Path, *, before: float | None = None) -> int:
    """Remove the clips last used before `before` (a Unix time; None: all); how many went.
    The caller holds the cache folder exclusively (core.cachelock)."""
    gone = 0
    for mtime, name, _ in _entries(folder):
        if before is None or mtime < before:
            discard(folder / name)
            gone += 1
    return gone


def _entries(folder: Path) -> list[tuple[float, str, int]]:
    return Evictor(folder, 0).scan() if folder.is_dir() else []
