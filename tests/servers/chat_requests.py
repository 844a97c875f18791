"""Chat requests for tests, built from small synthetic clips instead of real videos."""

from __future__ import annotations

import hashlib
import io

from vdbench.frames.types import Clip, Frame
from vdbench.llm.types import ChatRequest, GenerationConfig, TextPart, VideoPart


def tiny_clip(seed: int, n_frames: int = 2, fps: float = 4.0, size: tuple[int, int] = (32, 24)
              ) -> Clip:
    """A clip of solid-colour JPEG frames; different seeds give different frames."""
    from PIL import Image

    frames = []
    for i in range(n_frames):
        colour = ((seed * 37 + i * 11) % 256, (seed * 91 + 7) % 256, (seed * 13 + i * 53) % 256)
        buffer = io.BytesIO()
        Image.new("RGB", size, colour).save(buffer, "JPEG", quality=90)
        jpeg = buffer.getvalue()
        frames.append(Frame(i, i / fps, jpeg, hashlib.sha256(jpeg).hexdigest()))
    return Clip(tuple(frames), fps=fps, source=f"synthetic:{seed}", key=f"synthetic:{seed}")


def pair_request(seed: int, question: str = "Which video shows a deeper squat?",
                 n_frames: int = 2, config: GenerationConfig | None = None) -> ChatRequest:
    """Text, video a, text, video b, text: the shape of a closed-mode request."""
    parts = (TextPart(f"Two videos of a squat (pair {seed})."), TextPart("Video a:"),
             VideoPart(tiny_clip(2 * seed, n_frames), "a"), TextPart("Video b:"),
             VideoPart(tiny_clip(2 * seed + 1, n_frames), "b"), TextPart(question))
    return ChatRequest(parts=parts, config=config or GenerationConfig())


def two_video_request(a: Clip, b: Clip, system: str | None = None) -> ChatRequest:
    """The same shape as pair_request, around the given clips."""
    parts = (TextPart("Compare."), TextPart("Video a:"), VideoPart(a, "a"),
             TextPart("Video b:"), VideoPart(b, "b"), TextPart("Answer in JSON."))
    return ChatRequest(parts=parts, system=system)
