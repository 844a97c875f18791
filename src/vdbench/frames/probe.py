"""Check every video of the chosen samples before a run, without decoding the videos.

A video file must open with PyAV, hold a video stream whose first frame decodes, and hold
all the bytes its index points at; an image folder must hold images. Either way the
sample's frames_trim [start, stop, step) must lie inside the frames there are. The frame
count comes from the container's metadata (mp4/mov: exact), else from a demux that reads
packets without decoding them.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from vdbench.core.errors import InputError, require
from vdbench.data.schema import Sample, VideoRef
from vdbench.frames.video import IMAGE_SUFFIXES, linked_outside

_WORKERS = 4  # opening containers is mostly waiting on the disk: a few at a time


@dataclass(frozen=True)
class VideoProblem:
    """One video that cannot be used, and why."""

    sample_key: str
    file: str  # the video file or image folder, as resolved against the video root
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: sample {self.sample_key!r}: {self.problem}"

    def to_json(self) -> dict[str, str]:
        return {"sample_key": self.sample_key, "file": self.file, "problem": self.problem}


@dataclass(frozen=True)
class VideoInfo:
    """What probing a video found: its frame count, or what is wrong with it."""

    n_frames: int = 0
    problem: str | None = None


def probe_path(path: Path, root: Path | None = None) -> VideoInfo:
    """Probe one video file or image folder (images must not link outside `root`)."""
    if path.is_dir():
        return _probe_folder(path, root)
    if not path.is_file():
        return VideoInfo(problem="not found" if not path.exists() else "not a file or folder")
    return _probe_file(path)


def _probe_folder(path: Path, root: Path | None) -> VideoInfo:
    n = 0
    try:
        with os.scandir(path) as entries:
            for e in entries:
                if e.name.startswith(".") or Path(e.name).suffix.lower() not in IMAGE_SUFFIXES:
                    continue
                if not e.is_file():
                    return VideoInfo(problem=f"image {e.name} is not a file")
                n += 1
        escape = linked_outside(path, root) if n and root is not None else None
    except OSError as exc:
        return VideoInfo(problem=f"unreadable folder ({exc})")
    if not n:
        kinds = ", ".join(sorted(IMAGE_SUFFIXES))
        return VideoInfo(problem=f"folder holds no image frames ({kinds})")
    return VideoInfo(problem=escape) if escape else VideoInfo(n)


def _probe_file(path: Path) -> VideoInfo:
    av = require("av", "video")
    try:
        size = path.stat().st_size
        if size == 0:
            return VideoInfo(problem="empty file (0 bytes)")
        container = av.open(str(path))
    except Exception as exc:  # FFmpeg raises many kinds for garbage; all mean "unreadable"
        return VideoInfo(problem=f"unreadable video ({_why(exc)})")
    try:
        if not container.streams.video:
            return VideoInfo(problem="no video stream")
        stream = container.streams.video[0]
        truncated = _truncated(stream, size)
        if truncated:
            return VideoInfo(problem=truncated)
        n = stream.frames
        try:
            if not n:  # the container does not say: count packets, decoding none of them
                n = sum(1 for p in container.demux(stream) if p.size)
                container.seek(0)
            if not n:
                return VideoInfo(problem="video stream holds no frames")
            if next(container.decode(stream), None) is None:
                return VideoInfo(problem="first frame does not decode")
        except Exception as exc:  # the same: a video FFmpeg cannot read
            return VideoInfo(problem=f"unreadable video ({_why(exc)})")
        return VideoInfo(n)
    finally:
        container.close()


def _why(exc: Exception) -> str:
    # FFmpeg errors carry the reason alone in strerror; str() repeats the path
    return getattr(exc, "strerror", None) or f"{type(exc).__name__}: {exc}"


def _truncated(stream, size: int) -> str | None:
    """The container's index (mp4/mov: every sample, with its byte range) pointing past the
    end of the file: a copy or download cut short."""
    entries = getattr(stream, "index_entries", None) or ()
    end = max((e.pos + e.size for e in entries if e.pos >= 0 and e.size > 0), default=0)
    if end > size:
        return f"truncated: the index points at byte {end} but the file has {size} bytes"
    return None


def trim_problem(ref: VideoRef, n_frames: int) -> str | None:
    """Why ref.frames_trim does not lie inside n_frames frames (None when it does)."""
    start, stop, _ = ref.frames_trim
    shown = list(ref.frames_trim)
    if start is not None and not -n_frames <= start < n_frames:
        return f"frames_trim {shown}: start lies past the end of the {n_frames} frames"
    if stop is not None and not -n_frames <= stop <= n_frames:
        return f"frames_trim {shown}: stop lies past the end of the {n_frames} frames"
    if not len(range(n_frames)[ref.trim]):
        return f"frames_trim {shown} selects none of the {n_frames} frames"
    return None


def probe_videos(samples: list[Sample], video_root: Path | None) -> list[VideoProblem]:
    """Every problem with the videos of `samples` (paths resolved as the frame preparer
    resolves them), in sample order; each video file is probed once."""
    root = Path(video_root) if video_root is not None else None
    located: list[tuple[Sample, VideoRef, Path | None, str | None]] = []
    for s in samples:
        for ref in s.videos:
            try:
                located.append((s, ref, ref.resolve(root), None))
            except InputError as exc:  # a path leading outside the video root
                located.append((s, ref, None, str(exc).removeprefix(f"{ref.where}: ")))
    paths = list(dict.fromkeys(p for _, _, p, _ in located if p is not None))
    with ThreadPoolExecutor(max_workers=max(1, min(_WORKERS, len(paths)))) as pool:
        infos = dict(zip(paths, pool.map(lambda p: probe_path(p, root), paths)))
    out: list[VideoProblem] = []
    for s, ref, path, problem in located:
        if path is not None:
            info = infos[path]
            problem = info.problem or trim_problem(ref, info.n_frames)
        if problem:
            out.append(VideoProblem(s.sample_key, str(path or ref.path), problem))
    return out


def verify_videos(
    samples: list[Sample], video_root: Path | None, *, skip: bool = False
) -> tuple[list[Sample], list[VideoProblem]]:
    """Probe the videos of `samples`. skip=False: one InputError listing every bad video
    (file, sample, problem) if there is any, else (samples, []). skip=True: the samples whose
    videos are all fine, and the problems of the others (a sample may have two)."""
    problems = probe_videos(samples, video_root)
    if problems and not skip:
        bad = len({p.sample_key for p in problems})
        raise InputError(
            f"{len(problems)} unusable video(s) in {bad} of {len(samples)} samples "
            f"(video root {video_root}); fix or remove them, or skip those samples",
            problems=[str(p) for p in problems])
    bad_keys = {p.sample_key for p in problems}
    return [s for s in samples if s.sample_key not in bad_keys], problems
