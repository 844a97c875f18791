"""What a model is shown: sampled, resized, encoded (JPEG or PNG) frames of one video."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    index: int  # frame index in the original video file / image folder
    time_s: float  # seconds from the start of the trimmed clip
    image: bytes  # JPEG or PNG, as the protocol says
    sha256: str  # hex digest of `image`

    @property
    def mime(self) -> str:
        return "image/png" if self.image[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"


@dataclass(frozen=True)
class Clip:
    """The frames of one video as sent to a model."""

    frames: tuple[Frame, ...]
    fps: float  # effective sampling rate of `frames` (frames per second of video time)
    source: str  # the video's path, for messages
    key: str  # content-addressed key of (video content, trim, sampling spec)

    def __len__(self) -> int:
        return len(self.frames)
