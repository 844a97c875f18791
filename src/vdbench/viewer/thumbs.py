"""Thumbnails of the frames a model was shown: at most max_frames_per_video picked evenly from
each clip, shrunk to thumb_px on the long side and JPEG-encoded within a byte budget.

The budget (docs/viewer.md): 2,000 bytes of JPEG per thumbnail at 96 px, scaled with the
square of thumb_px, so 48 KB per sample with the defaults (2 videos x 12 thumbnails). The
quality starts at 70 and steps down to 30 until the sample fits; frames too detailed even
then are shrunk until they fit. Base64 in the page adds a third."""

from __future__ import annotations

import io
from dataclasses import dataclass

from vdbench.frames.spec import even_pick
from vdbench.frames.types import Clip

BYTES_PER_THUMB = 2_000  # at DEFAULT_THUMB_PX
DEFAULT_THUMB_PX = 96
DEFAULT_FRAMES_PER_VIDEO = 12
QUALITIES = (70, 60, 50, 40, 30)


def thumb_budget(thumb_px: int = DEFAULT_THUMB_PX,
                 max_frames_per_video: int = DEFAULT_FRAMES_PER_VIDEO) -> int:
    """The most bytes of thumbnail JPEG one sample (both videos) may take."""
    scale = (thumb_px / DEFAULT_THUMB_PX) ** 2
    return int(2 * max_frames_per_video * BYTES_PER_THUMB * scale)


@dataclass(frozen=True)
class Thumb:
    index: int  # frame index in the original video
    time_s: float  # seconds from the trim start
    jpeg: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Strip:
    """One video's row of thumbnails, and the clip it was taken from."""

    thumbs: tuple[Thumb, ...]
    n_frames: int  # frames in the clip the model was shown
    fps: float  # the clip's sampling rate
    times_s: tuple[float, ...]  # the time of every frame of the clip
    quality: int  # the JPEG quality the budget allowed

    @property
    def n_bytes(self) -> int:
        return sum(len(t.jpeg) for t in self.thumbs)


def make_strips(clips: tuple[Clip, Clip], thumb_px: int = DEFAULT_THUMB_PX,
                max_frames_per_video: int = DEFAULT_FRAMES_PER_VIDEO) -> tuple[Strip, Strip]:
    """Both videos' strips, together within thumb_budget(thumb_px, max_frames_per_video)."""
    from PIL import Image

    if thumb_px < 16:
        raise ValueError(f"thumb_px must be at least 16, got {thumb_px}")
    if max_frames_per_video < 1:
        raise ValueError(f"max_frames_per_video must be at least 1, got {max_frames_per_video}")
    picked = [even_pick(c.frames, max_frames_per_video) for c in clips]
    images = []
    for frames in picked:
        row = []
        for f in frames:
            with Image.open(io.BytesIO(f.image)) as im:
                im.draft("RGB", (thumb_px, thumb_px))  # JPEG: decode at a reduced scale
                small = im.convert("RGB")
            small.thumbnail((thumb_px, thumb_px), Image.Resampling.LANCZOS)
            row.append(small)
        images.append(row)
    budget = thumb_budget(thumb_px, max_frames_per_video)
    for quality in QUALITIES:
        encoded = [[_jpeg(im, quality) for im in row] for row in images]
        if _size(encoded) <= budget:
            break
    # Still over at the lowest quality (frames full of fine detail): shrink until they fit.
    while _size(encoded) > budget and max(max(im.size) for row in images for im in row) > 16:
        images = [[_shrunk(im, 0.8) for im in row] for row in images]
        encoded = [[_jpeg(im, quality) for im in row] for row in images]
    strips = []
    for clip, frames, row, data in zip(clips, picked, images, encoded):
        thumbs = tuple(Thumb(f.index, f.time_s, b, im.width, im.height)
                       for f, im, b in zip(frames, row, data))
        strips.append(Strip(thumbs, len(clip.frames), clip.fps,
                            tuple(f.time_s for f in clip.frames), quality))
    return strips[0], strips[1]


def _size(encoded: list[list[bytes]]) -> int:
    return sum(len(b) for row in encoded for b in row)


def _shrunk(image, factor: float):
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size)


def _jpeg(image, quality: int) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality, optimize=True)
    return buf.getvalue()
