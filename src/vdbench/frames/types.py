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


@dataclass(frozen=True)
class ClipShape:
    """What a clip will hold, known before it is prepared: its frame count and frame size."""

    n_frames: int
    width: int
    height: int
    fps: float  # effective sampling rate of the frames


def blank_clip(shape: ClipShape) -> Clip:
    """A clip with the shape's frame count and rate and no pixels: enough to write the prompt
    text that goes with it before any frame is decoded."""
    frames = tuple(Frame(i, i / shape.fps, b"", "") for i in range(shape.n_frames))
    return Clip(frames=frames, fps=shape.fps, source="", key="")
