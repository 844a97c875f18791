"""Typed requests and replies between tasks, the request runtime and provider adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from vdbench.frames.types import Clip


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True)
class VideoPart:
    """One video. Adapters send it as images (one per frame) or natively as a video."""

    clip: Clip
    label: str  # "a" or "b"


Part = TextPart | VideoPart


@dataclass(frozen=True)
class GenerationConfig:
    temperature: float = 0.0
    seed: int | None = 0
    max_tokens: int = 2048
    json_mode: bool = False
    # A JSON Schema the reply must follow (structured output where the provider has it;
    # json_mode elsewhere). Part of the cache key like every other field.
    response_schema: dict | None = field(default=None, hash=False)


@dataclass(frozen=True)
class ChatRequest:
    """One provider call: ordered text and video parts (video a always before video b)."""

    parts: tuple[Part, ...]
    config: GenerationConfig = field(default_factory=GenerationConfig)
    system: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def clips(self) -> list[Clip]:
        return [p.clip for p in self.parts if isinstance(p, VideoPart)]


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class ChatReply:
    """The outcome of one call after retries: text on success, an error class otherwise."""

    status: Literal["ok", "error"]
    text: str | None = None
    error: str | None = None  # error class and short message; never contains a secret
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    cached: bool = False
