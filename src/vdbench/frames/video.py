"""Read chosen frames of a video file (PyAV) or an image folder, already shrunk, as RGB images.

Only the wanted frames are ever converted or kept. A video file is decoded forward; it seeks
only when a keyframe lies between what was decoded and the next wanted frame, since seeking
for every frame (a decoder flush each time) is several times slower than decoding on.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from PIL import Image

from vdbench.core.errors import InputError, require
from vdbench.data.schema import outside

SizeRule = Callable[[int, int], tuple[int, int]]  # decoded (width, height) -> shown size
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})


def list_images(folder: Path) -> list[Path]:
    """The frames of an image-folder video, in name order."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )


def linked_outside(folder: Path, root: Path) -> str | None:
    """The first image of `folder` that is a symlink leading outside `root`, as a message."""
    with os.scandir(folder) as entries:
        for e in entries:
            if e.is_symlink() and Path(e.name).suffix.lower() in IMAGE_SUFFIXES:
                problem = outside(Path(e.path), root)
                if problem:
                    return f"image {e.name} {problem}"
    return None


class ImageFolder:
    def __init__(self, path: Path):
        self.path = path
        self.files = list_images(path)
        if not self.files:
            kinds = ", ".join(sorted(IMAGE_SUFFIXES))
            raise InputError(f"{path}: folder holds no image frames ({kinds})")
        self.n_frames = len(self.files)
        self.fps: float | None = None  # a folder does not know its rate

    def read(self, indices: Sequence[int],
             size_of: SizeRule) -> Iterator[tuple[int, Image.Image]]:
        for i in indices:
            if not 0 <= i < self.n_frames:
                continue
            file = self.files[i]
            try:
                with Image.open(file) as im:
                    size = size_of(*im.size)
                    im.draft("RGB", size)  # JPEG: decode at a reduced scale when possible
                    out = im.convert("RGB")
            except OSError as exc:
                raise InputError(f"{file}: unreadable image frame ({exc})") from None
            yield i, out if out.size == size else out.resize(size, Image.Resampling.BICUBIC)

    def close(self) -> None:
        pass


_QUARTER_TURNS = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
                  270: Image.Transpose.ROTATE_270}


def upright(image: Image.Image, rotation: float) -> Image.Image:
    """The frame as a player shows it: `rotation` is the display matrix's counter-clockwise
    angle in degrees (PyAV's VideoFrame.rotation; a phone's `rotate=90` tag reads -90)."""
    angle = round(rotation) % 360
    if angle == 0:
        return image
    if angle in _QUARTER_TURNS:
        return image.transpose(_QUARTER_TURNS[angle])  # exact, no resampling
    return image.rotate(angle, Image.Resampling.BICUBIC, expand=True)


class VideoFile:
    def __init__(self, path: Path):
        av = require("av", "video")
        self.path = path
        self._errors: tuple[type[BaseException], ...] = (av.error.FFmpegError, OSError)
        try:
            self._container = av.open(str(path))
        except self._errors as exc:
            raise InputError(f"{path}: unreadable video ({exc})") from None
        if not self._container.streams.video:
            self._container.close()
            raise InputError(f"{path}: no video stream")
        self._stream = stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not rate:
            self._container.close()
            raise InputError(f"{path}: video has no frame rate")
        self._rate = Fraction(rate)
        self._tb = Fraction(stream.time_base)
        self._start = stream.start_time or 0
        self.fps: float | None = float(self._rate)
        self.n_frames = self._count_frames()

    def _count_frames(self) -> int:
        s = self._stream
        if s.frames:
            return s.frames
        if s.duration:
            return round(s.duration * self._tb * self._rate)
        if self._container.duration:
            return round(Fraction(self._container.duration, 1_000_000) * self._rate)
        n = sum(1 for p in self._container.demux(s) if p.size)  # demux only, no decoding
        self._container.seek(0)
        return n

    def _index(self, pts: int) -> int:
        return round((pts - self._start) * self._tb * self._rate)

    def _pts(self, index: int) -> int:
        return self._start + round(index / (self._rate * self._tb))

    def _keyframe_timestamps(self) -> list[int]:
        # The demuxer's index (mp4/mov: every sample, in decode-time units), when the PyAV
        # version exposes it; without it we only decode forward.
        entries = getattr(self._stream, "index_entries", None) or ()
        return sorted(e.timestamp for e in entries if e.is_keyframe)

    def read(self, indices: Sequence[int],
             size_of: SizeRule) -> Iterator[tuple[int, Image.Image]]:
        try:
            for i, frame in self._decode(sorted(set(indices))):
                size = size_of(frame.width, frame.height)
                small = frame.reformat(
                    width=size[0], height=size[1], format="rgb24", interpolation="AREA"
                )
                yield i, upright(small.to_image(), getattr(frame, "rotation", 0))
        except self._errors as exc:
            raise InputError(f"{self.path}: unreadable video ({exc})") from None

    def _decode(self, want: list[int]) -> Iterator[tuple[int, Any]]:
        """Yield (index, frame) for each wanted index, decoding as little as possible.

        A wanted index with no frame of its own (a gap in a variable-rate stream) gets the
        next frame; indices past the end yield nothing.
        """
        container, stream = self._container, self._stream
        context, wanted = stream.codec_context, set(want)
        keys = self._keyframe_timestamps()
        fed = keys[0] if keys else 0  # decode timestamp of the last packet sent to the decoder
        # How far a keyframe's presentation time runs ahead of its decode time (B-frames): the
        # index holds decode times but seeking takes presentation times.
        lag = max(0, self._start - keys[0]) if keys else 0  # a first guess, until a keyframe
        j = 0  # position of the next wanted index in `want`

        def seek_to(k: int) -> int:
            container.seek(keys[k] + lag, stream=stream)
            return k

        def seek_ahead() -> int | None:
            k = bisect.bisect_right(keys, self._pts(want[j]) - lag) - 1
            return seek_to(k) if k >= 0 and keys[k] > fed else None

        sought = seek_ahead()  # the keyframe just sought to, until the landing is checked
        for packet in container.demux(stream):
            if packet.dts is not None:
                fed = packet.dts
                if packet.is_keyframe and packet.pts is not None:
                    lag = packet.pts - packet.dts
            if packet.pts is not None:
                # Frames that no other frame refers to (most B-frames) are skipped unless wanted.
                context.skip_frame = "DEFAULT" if self._index(packet.pts) in wanted else "NONREF"
            for frame in packet.decode():
                if frame.pts is None:
                    continue
                idx = self._index(frame.pts)
                if sought is not None:
                    if idx > want[j] and sought > 0:
                        sought = seek_to(sought - 1)  # landed past the wanted frame: back up
                        break
                    sought = None
                if idx < want[j]:
                    continue
                while j < len(want) and want[j] <= idx:
                    yield want[j], frame
                    j += 1
                if j == len(want):
                    return
                sought = seek_ahead()
                if sought is not None:
                    break

    def close(self) -> None:
        self._container.close()


def open_video(path: Path) -> ImageFolder | VideoFile:
    """Open an image folder or a video file; InputError naming the path when it is not there."""
    if path.is_dir():
        return ImageFolder(path)
    if not path.is_file():
        raise InputError(f"video not found: {path}")
    return VideoFile(path)
