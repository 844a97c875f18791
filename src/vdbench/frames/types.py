"""What a model is shown: sampled, resized, JPEG-encoded frames of one video."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    index: int  # frame index in the original video file / image folder
    time_s: float  # seconds from the start of the trimmed clip
    jpeg: bytes
    sha256: str  # hex digest of `jpeg`


@dataclass(frozen=True)
class Clip:
    """The frames of one video as sent to a model."""

    frames: tuple[Frame, ...]
    fps: float  # effective sampling rate of `frames` (frames per second of video time)
    source: str  # the video's path, for messages
    key: str  # content-addressed key of (video content, trim, sampling spec)

    def __len__(self) -> int:
        return len(self.frames)
