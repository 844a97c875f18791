"""Google Gemini: generateContent (adapter: vdbench.llm.gemini_api), its Batch API, prices and
image and video billing."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from vdbench.llm.providers.base import Alias, Price, Provider

# An uploaded video: sampled at video_metadata.fps (1 fps unless told), each sampled frame
# billed at 258 tokens at the default media resolution (66 at low, which vdbench does not ask
# for) whatever the video's resolution, plus 32 tokens a second of audio
# (ai.google.dev/gemini-api/docs/video-understanding, "Technical details about videos": "about
# 300 tokens per second" at the default resolution, audio and metadata included). The mp4s
# gemini_api.encode_mp4 writes have no audio track, so no audio tokens; the timestamp metadata
# Gemini adds each second is not counted.
VIDEO_TOKENS_PER_FRAME = 258


@dataclass(frozen=True)
class GeminiSettings:
    """What the named protocols set for Gemini (`--model-option gemini_input` wins)."""

    input: Literal["frames", "video"] = "frames"
    video_fps: float | None = None  # None: the sampling rate; 1: each frame lasts 1 s
    api_defaults: bool = False  # send no generation settings: Gemini's own apply


def image_tokens(width: int, height: int) -> int:
    if max(width, height) <= 384:
        return 258
    return 258 * math.ceil(width / 768) * math.ceil(height / 768)


def _image_tokens(width: int, height: int, identity: Mapping[str, Any]) -> int:
    return image_tokens(width, height)


PROVIDER = Provider(
    name="gemini",
    adapter="vdbench.llm.gemini_api:gemini_adapter",
    description="any Gemini model id, e.g. gemini:gemini-2.5-flash",
    extra="gemini",
    extra_note="('vdbench[video]' too for gemini_input=video)",
    key_env="GEMINI_API_KEY",
    aliases=(
        Alias("gemini-1.5-pro", "gemini-1.5-pro-002",
              "Gemini 1.5 Pro, pinned to -002; the reference ran the undated alias "
              "models/gemini-1.5-pro"),
        Alias("gemini-2.5-pro", "gemini-2.5-pro", "Gemini 2.5 Pro"),
    ),
    prices={
        "gemini-1.5-pro-002": Price(1.25, 5.00),
        "gemini-2.5-pro": Price(1.25, 10.00),
    },
    image_tokens=_image_tokens,
    video_frame_tokens=VIDEO_TOKENS_PER_FRAME,
    # gemini-2.5-pro cannot turn thinking off; its budget is dynamic
    thinking_models=frozenset({"gemini-2.5-pro"}),
    batch="vdbench.llm.batch.gemini_batch:GeminiBatch",
    batch_client="vdbench.llm.batch.gemini_batch:client_for",
    protocol={
        "paper": GeminiSettings(input="video", video_fps=1.0, api_defaults=True),
        "fast": GeminiSettings(),
    },
)
